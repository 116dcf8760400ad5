/**
 * Speed of the streaming state.bin decoder (functions/core/snapshot-contents), which runs inside every scheduled
 * backup's verifying pass. Target: decoding adds at most 10 % CPU to a backup; inflating alone costs about 2.8 CPU-s
 * per GB of state.bin, so the decoder should run at 1 GB/s or more on KV-heavy data.
 *
 * Generates a 256 MiB state.bin per data mix in memory (Consul CE record shapes, encoded by the test fixtures'
 * msgpack encoder), then feeds it in 64 KiB chunks (the verifier's inflate chunk size) to the decoder bundled as the
 * Lambda bundles it (esbuild with the CDK's options: under a TypeScript loader, cross-module calls go through
 * property getters and the numbers would not be the Lambda's), and prints MB/s and CPU ms per MB for each mix and
 * option set. MB = 10^6 bytes.
 *
 * @example
 * npx tsx bench/state-decoder.ts            # 256 MiB per mix
 * npx tsx bench/state-decoder.ts --mib 64   # smaller
 */
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type * as Archive from '../functions/core/snapshot-archive';
import type * as Contents from '../functions/core/snapshot-contents';
import { writeSnapshotArchive } from '../local/consul-simulator/archive-writer';
import { syntheticStateStream } from '../local/consul-simulator/synthetic-state';
import type { createStateBinDecoder as CreateDecoder, StateBinDecoderOptions } from '../functions/core/snapshot-contents/state-bin-decoder';
import { encodeMsgpack, goMap } from '../test/helpers/consul-msgpack';
import { CDK_ESBUILD_OPTIONS, ROOT } from './build';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** One measured combination. */
export interface StateDecoderBenchRow {
  readonly mix: string;
  readonly options: string;
  readonly stateMiB: number;
  readonly records: number;
  readonly mbPerSecond: number;
  readonly cpuMsPerMb: number;
}

/** A data mix: a pool of encoded records (with their type byte) cycled until the size is reached. */
export interface Mix {
  readonly name: string;
  readonly pool: readonly Buffer[];
}

/** xorshift32, so every run generates the same bytes. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

function record(type: number, value: unknown): Buffer {
  return Buffer.concat([Buffer.from([type]), encodeMsgpack(value)]);
}

/** Characters of generated values, the frequent ones first (a skewed pick makes them compress like text). */
const VALUE_CHARS = Buffer.from('eaotinsrhl-_./:"{},=0123456789dcumfpgwybvkxjqzEAOTINSRHL', 'latin1');

function kvRecords(count: number, minValue: number, maxValue: number, rnd: () => number): Buffer[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(`${['config', 'vault/core', 'app', 'locks'][i % 4]}/svc-${Math.floor(i / 40) % 60}/env-${i % 3}/key-${i}`);
  keys.sort();
  return keys.map((key, i) => {
    // Log-uniform value sizes: many small values, a few large ones, as real KV stores have.
    const size = Math.round(minValue * Math.pow(maxValue / minValue, rnd()));
    // Text that compresses about as configuration values do (gzip ~2-3x), not runs of one byte (which would make the
    // archive tiny and every per-archive-MB figure meaningless).
    const value = Buffer.alloc(size);
    for (let b = 0; b < size; b++) value[b] = VALUE_CHARS[Math.floor(rnd() * rnd() * VALUE_CHARS.length)];
    return record(2, { CreateIndex: 100 + i, Flags: i % 7 === 0 ? 42 : 0, Key: key, LockIndex: 0, ModifyIndex: 200 + i, Session: '', Value: value });
  });
}

function catalogRecords(nodes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 0; n < nodes; n++) {
    const base = { Address: `10.0.${n >> 8}.${n & 255}`, Check: null, Checks: null, CreateIndex: 10, Datacenter: 'dc1', ID: `node-${n}`, Locality: null, ModifyIndex: 12, Node: `node-${n}`, NodeMeta: goMap([['az', 'a']]), PeerName: '', Service: null, SkipNodeUpdate: false, TaggedAddresses: goMap([['lan', '10.0.0.1']]), Token: '' };
    out.push(record(0, base));
    for (let s = 0; s < 4; s++) {
      const service = { Address: '', Connect: { Native: false, PeerMeta: null, SidecarService: null }, CreateIndex: 20, EnableTagOverride: false, ID: `svc-${s}-${n}`, Kind: '', Locality: null, LocallyRegisteredAsSidecar: false, Meta: goMap([['version', '1.2.3']]), ModifyIndex: 21, PeerName: '', Port: 8000 + s, Proxy: { Config: null, Mode: '', Upstreams: null }, Service: `svc-${s}`, SocketPath: '', TaggedAddresses: null, Tags: ['primary', 'v1'], Weights: { Passing: 1, Warning: 1 } };
      out.push(record(0, { ...base, Service: service }));
      out.push(record(0, { ...base, Check: { CheckID: `service:svc-${s}-${n}`, CreateIndex: 30, Definition: { HTTP: 'http://localhost/health', Interval: 10_000_000_000 }, ExposedPort: 0, Interval: '10s', ModifyIndex: 31, Name: 'HTTP health', Node: `node-${n}`, Notes: '', Output: 'HTTP GET: 200 OK', PeerName: '', ServiceID: `svc-${s}-${n}`, ServiceName: `svc-${s}`, ServiceTags: ['primary'], Status: 'passing', Timeout: '5s', Type: 'http' } }));
    }
  }
  return out;
}

/** The data mixes measured. */
export function benchMixes(): Mix[] {
  const rnd = random(7);
  return [
    { name: 'kv-heavy (values 8 B-16 KiB, log-uniform; 10% catalog)', pool: [...kvRecords(3600, 8, 16 * 1024, rnd), ...catalogRecords(40)] },
    { name: 'small-kv (values 16-256 B)', pool: kvRecords(4000, 16, 256, rnd) },
    { name: 'catalog-heavy (Register records)', pool: catalogRecords(400) },
  ];
}

/** A state.bin of about `bytes` bytes: the header, then the pool repeated. */
export function buildStateBin(mix: Mix, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes + Math.max(...mix.pool.map((r) => r.length)));
  let at = encodeMsgpack({ LastIndex: 123456 }).copy(out, 0);
  for (let i = 0; at < bytes; i = (i + 1) % mix.pool.length) at += mix.pool[i].copy(out, at);
  return out.subarray(0, at);
}

/**
 * Requires `source` (a module's text, resolved from the repository root) bundled with the Lambda's esbuild options for
 * this Node: under a TypeScript loader, cross-module calls go through property getters and the numbers would not be
 * the Lambda's.
 */
function requireBundled<T>(source: string): T {
  const dir = mkdtempSync(join(tmpdir(), 'state-decoder-bench-'));
  try {
    const outfile = join(dir, 'bundle.js');
    buildSync({ ...CDK_ESBUILD_OPTIONS, target: `node${process.versions.node.split('.')[0]}`, stdin: { contents: source, resolveDir: ROOT, loader: 'ts' }, outfile, absWorkingDir: ROOT });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(outfile) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The decoder's factory, bundled as the Lambda bundles it. */
export function loadBundledDecoder(): typeof CreateDecoder {
  return requireBundled<{ createStateBinDecoder: typeof CreateDecoder }>("export { createStateBinDecoder } from './functions/core/snapshot-contents/state-bin-decoder';").createStateBinDecoder;
}

function decodeOnce(createStateBinDecoder: typeof CreateDecoder, state: Buffer, options: StateBinDecoderOptions): number {
  const decoder = createStateBinDecoder(options);
  for (let at = 0; at < state.length; at += CHUNK) decoder.write(state.subarray(at, at + CHUNK));
  return decoder.end().records;
}

/** Decodes `state` with `options` (one warm-up run, then the best of `runs`). */
export function measure(create: typeof CreateDecoder, mix: string, state: Buffer, label: string, options: StateBinDecoderOptions, runs = 2): StateDecoderBenchRow {
  decodeOnce(create, state, options);
  let best = Number.POSITIVE_INFINITY;
  let bestWall = Number.POSITIVE_INFINITY;
  let records = 0;
  for (let r = 0; r < runs; r++) {
    const cpu = process.cpuUsage();
    const wall = process.hrtime.bigint();
    records = decodeOnce(create, state, options);
    const wallMs = Number(process.hrtime.bigint() - wall) / 1e6;
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / 1000);
    bestWall = Math.min(bestWall, wallMs);
  }
  const mb = state.length / 1e6;
  return { mix, options: label, stateMiB: state.length / MiB, records, mbPerSecond: mb / (bestWall / 1000), cpuMsPerMb: best / mb };
}

/** The option sets measured: the hourly path first. */
export const OPTION_SETS: readonly (readonly [string, StateBinDecoderOptions])[] = [
  ['stats only', {}],
  ['summary (hourly backup)', { summary: true }],
  ['summary + kvdetails (inspect)', { summary: true, kvDetails: {} }],
  ['index (diff)', { index: true }],
];

/** The speed the hourly path must reach on KV-heavy data (the first mix, with the summary). */
export const TARGET_MB_PER_SECOND = 1000;

/** Runs every mix × option set on `mib` MiB of state.bin. */
export function benchStateDecoder(mib = 256): { rows: StateDecoderBenchRow[]; target: { text: string; pass: boolean } } {
  const create = loadBundledDecoder();
  const rows: StateDecoderBenchRow[] = [];
  for (const mix of benchMixes()) {
    const state = buildStateBin(mix, mib * MiB);
    for (const [label, options] of OPTION_SETS) rows.push(measure(create, mix.name, state, label, options));
  }
  const hourly = rows.find((r) => r.mix === benchMixes()[0].name && r.options === OPTION_SETS[1][0]);
  // Judged on CPU time, which a shared machine's load hardly moves (wall-clock MB/s halves under load): 1 GB/s of
  // one core is 1 CPU ms per MB.
  const cpuBudget = 1000 / TARGET_MB_PER_SECOND;
  return { rows, target: { text: `state.bin decode with summary, KV-heavy: ≤ ${cpuBudget} CPU ms/MB (≥ ${TARGET_MB_PER_SECOND} MB/s of one core)`, pass: (hourly?.cpuMsPerMb ?? Infinity) <= cpuBudget } };
}

/** What the decode adds to the pass that verifies an archive (the part of a backup it runs in). */
export interface DecodeShareResult {
  /** The state.bin data: `realistic KV` (the simulator's synthetic KVS records) or one of {@link benchMixes}. */
  readonly data: string;
  readonly stateMiB: number;
  readonly archiveMiB: number;
  /** CPU of the verifying pass alone, ms per MB of archive. */
  readonly verifyCpuMsPerMb: number;
  /** The same pass with the decoder (summary, as in every backup) as its state.bin sink. */
  readonly verifyAndDecodeCpuMsPerMb: number;
  /** (with − without) ÷ without, in percent: an upper bound of the decode's share of a backup's CPU. */
  readonly addedPercent: number;
}

/** The most the decode may add to a backup's CPU. */
export const MAX_DECODE_SHARE_PERCENT = 10;

/**
 * The verifier and the decoder bundled together with the Lambda's options, so both run as in the backup function.
 */
function loadBundledPass(): { verify: typeof Archive.verifySnapshotStream; create: typeof Contents.createStateBinDecoder; sink: typeof Contents.decoderSink } {
  const m = requireBundled<{ verifySnapshotStream: typeof Archive.verifySnapshotStream; createStateBinDecoder: typeof Contents.createStateBinDecoder; decoderSink: typeof Contents.decoderSink }>(
    "export { verifySnapshotStream } from './functions/core/snapshot-archive'; export { createStateBinDecoder, decoderSink } from './functions/core/snapshot-contents';",
  );
  return { verify: m.verifySnapshotStream, create: m.createStateBinDecoder, sink: m.decoderSink };
}

/**
 * Verifies one archive of realistic KV data (the simulator's synthetic state: Consul KVS records with JSON values that
 * compress like real KV data, gzip level 6 as Consul writes it) with and without the decoder as its state.bin sink,
 * and reports the CPU the decode adds. Best of `runs` after a warm-up, each way.
 */
export async function benchDecodeShare(mib = 128, runs = 3, mix?: Mix): Promise<DecodeShareResult> {
  const meta = { Version: 1, ID: '2-100-0', Index: 100, Term: 2, Peers: '', Configuration: { Servers: [] }, ConfigurationIndex: 1 };
  const state = mix ? buildStateBin(mix, mib * MiB) : undefined;
  const stateBytes = state?.length ?? mib * MiB;
  const parts: Buffer[] = [];
  const stream = state ? Readable.from([state]) : syntheticStateStream({ bytes: stateBytes, compressibility: 'realistic' });
  for await (const chunk of writeSnapshotArchive({ meta, state: { size: stateBytes, stream } })) parts.push(chunk as Buffer);
  const archive = Buffer.concat(parts);
  const pass = loadBundledPass();
  const chunks = (): Readable => Readable.from(Array.from({ length: Math.ceil(archive.length / CHUNK) }, (_, i) => archive.subarray(i * CHUNK, (i + 1) * CHUNK)));
  const cpuOf = async (withDecoder: boolean): Promise<number> => {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r <= runs; r++) {
      const before = process.cpuUsage();
      const decoder = withDecoder ? pass.create({ summary: true }) : undefined;
      await pass.verify(chunks(), decoder ? { stateSink: pass.sink(decoder) } : {});
      decoder?.end({ checksums: 'matched' });
      const used = process.cpuUsage(before);
      if (r > 0) best = Math.min(best, (used.user + used.system) / 1000);
    }
    return best;
  };
  const without = await cpuOf(false);
  const withDecode = await cpuOf(true);
  const mb = archive.length / 1e6;
  return {
    data: mix ? mix.name : 'realistic KV (simulator synthetic state, values 32 B-64 KiB)',
    stateMiB: mib,
    archiveMiB: archive.length / MiB,
    verifyCpuMsPerMb: without / mb,
    verifyAndDecodeCpuMsPerMb: withDecode / mb,
    addedPercent: (100 * (withDecode - without)) / without,
  };
}

if (require.main === module) {
  const i = process.argv.indexOf('--mib');
  const mib = i > 0 ? Number(process.argv[i + 1]) : 256;
  const inflateMsPerMb = 2.8;
  console.log(`state.bin decoder, ${mib} MiB per mix, ${CHUNK / 1024} KiB chunks (inflate alone: ~${inflateMsPerMb} CPU ms/MB)`);
  const { rows, target } = benchStateDecoder(mib);
  for (const r of rows) {
    const share = ((100 * r.cpuMsPerMb) / inflateMsPerMb).toFixed(1);
    console.log(`${r.mix.padEnd(56)} ${r.options.padEnd(30)} ${r.mbPerSecond.toFixed(0).padStart(6)} MB/s ${r.cpuMsPerMb.toFixed(3).padStart(7)} CPU ms/MB (${share}% of inflate) ${r.records} records`);
  }
  console.log(`${target.pass ? 'PASS' : 'FAIL'}: ${target.text}`);
}
