/**
 * `npm run bench`: backup and restore throughput and peak RSS of consul-ops against plain-stream baselines, and the
 * size and module-load time of every Lambda bundle. Results: a table on stdout, `bench/results/latest.json` and
 * `bench/results/latest.md`, plus the smaller benchmarks other modules contribute (`bench/components.ts`). See
 * BENCHMARKS.md for the method and the latest numbers.
 *
 * Every measured run is a fresh `node` process (bundled worker, no TypeScript loader) so its peak RSS is its own; the
 * Consul simulator runs in another process (gzip level 1), radosgw in its daemons. Everything started here is
 * stopped by PID at the end, on failure, and on SIGINT/SIGTERM.
 *
 * @example
 * npm run bench                  # 256 MiB and 1 GiB, 2 runs each, restore of 1 GiB, bundles (~10 min)
 * npm run bench -- --quick       # 64 MiB, 1 run each (smoke check)
 * npm run bench -- --synth-only  # cdk synth of 1, 10 and 100 clusters (bench/synth.ts)
 */
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRadosgwInstalled, s3ClientForLocal, startRadosgw, type RadosgwHandle } from '../local/radosgw';
import { bundleBenchPrograms, ROOT } from './build';
import { measureBundles, type BundleResult } from './cold-init';
import { runComponentBenchmarks } from './components';
import { benchSynth } from './synth';
import { RESULT_TAG, SIMULATOR_TAG, type Job, type JobResult, type JobTargets } from './jobs';
import { machineFacts, type MachineFacts } from './machine';
import { parseBenchOptions, type BenchOptions } from './options';
import { ARCHIVE_KINDS, benchArchive, type BenchArchive } from './archives';
import { measureCliStartup, type StartupResult } from './cli-startup';
import { PEERS, peerMissing, peerVersion, runPeer } from './peers';
import type { ReplaySpec } from './replay-process';
import { purgeBucket, removeBuckets } from './purge';
import { cephPids, cpuSecondsOf, killAll, spawnNode, waitForExit, waitForTaggedLine } from './processes';
import { evaluateTargets, markdownReport, summarise, textReport, type ComponentResult, type RunRecord } from './report';
import { fixed, mb } from './stats';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The Consul version the replay source reports (a restore checks it against the backup's). */
const CONSUL_VERSION = '1.21.0';
/** The S3BackupStore defaults, used by both configurations. */
const PART_SIZE = 8 * MiB;
const QUEUE_SIZE = 2;
const CLUSTER = 'bench';
const PREFIX = 'bench';
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const PROFILE_DIR = join(RESULTS_DIR, 'profiles');

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

/** What is running and must be stopped, for the signal and exit handlers (which cannot await). */
const running: { rgw?: RadosgwHandle; tmp?: string } = {};

function stopEverythingSync(): void {
  killAll();
  running.rgw?.stopSync();
  if (running.tmp) rmSync(running.tmp, { recursive: true, force: true });
  running.tmp = undefined;
}

interface Source {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** Starts the replay source (it announces itself with {@link SIMULATOR_TAG}). */
async function startSource(program: string, spec: ReplaySpec): Promise<Source> {
  const child = spawnNode(program, [JSON.stringify(spec)]);
  const { url, token } = await waitForTaggedLine<{ url: string; token: string }>(child, SIMULATOR_TAG, program);
  return {
    pid: child.pid ?? 0,
    url,
    token,
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child);
    },
  };
}

/** Creates the versioned bucket and pushes one small multipart upload through, so pool creation is not measured. */
async function prepareBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  await new Upload({ client: s3, partSize: PART_SIZE, queueSize: QUEUE_SIZE, params: { Bucket: bucket, Key: 'warm-up', Body: randomBytes(12 * MiB) } }).done();
}

interface Context {
  readonly worker: string;
  /** Where CPU profiles go (`--profile`). */
  readonly profileDir?: string;
  readonly targets: JobTargets;
  readonly rgwPids: readonly number[];
  readonly source: Source;
  readonly archive: BenchArchive;
  readonly tmp: string;
}

type Meta = Pick<RunRecord, 'stateMiB' | 'run' | 'source' | 'config' | 'operation'>;

/** Runs `fn` and adds the CPU the replay source and Ceph spent meanwhile. */
async function withOthersCpu(ctx: Context, meta: Meta, fn: () => Promise<Omit<RunRecord, keyof Meta | 'sourceCpuS' | 'radosgwCpuS' | 'loadAvg1'>>): Promise<RunRecord> {
  const rgwCpu = () => ctx.rgwPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  const before = { source: cpuSecondsOf(ctx.source.pid), rgw: rgwCpu() };
  const loadAvg1 = loadavg()[0];
  const measured = await fn();
  const record: RunRecord = { ...measured, ...meta, sourceCpuS: cpuSecondsOf(ctx.source.pid) - before.source, radosgwCpuS: rgwCpu() - before.rgw, loadAvg1 };
  const rate = mb(record.archiveBytes) / (record.wallMs / 1000);
  log(`${meta.operation} ${meta.source} ${meta.stateMiB} MiB ${meta.config} run ${meta.run}: ${fixed(mb(record.archiveBytes), 0)} MB in ${fixed(record.wallMs / 1000, 1)} s = ${fixed(rate)} MB/s, maxRSS ${fixed(mb(record.maxRssBytes), 0)} MB, CPU s measured ${fixed((record.cpuUserMs + record.cpuSystemMs) / 1000)} source ${fixed(record.sourceCpuS)} rgw ${fixed(record.radosgwCpuS)}, load ${fixed(loadAvg1, 1)}`);
  // Let Ceph settle (it keeps working briefly after a large write) before the next run starts.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return record;
}

/** One run in a fresh worker process (pinned to CPU 0 with taskset for the `-1cpu` configs). */
async function measure(ctx: Context, job: Omit<Job, keyof JobTargets>, meta: Meta): Promise<RunRecord> {
  return withOthersCpu(ctx, meta, async () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const flags = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${meta.config}-${meta.source}-${meta.stateMiB}MiB-run${meta.run}.cpuprofile`] : [];
    const pinned = meta.config.endsWith('-1cpu');
    // `-inline`: the verifying pass on the calling thread although two cores are there (what one core always does).
    if (meta.config.endsWith('-inline')) env.CONSUL_OPS_VERIFY_THREAD = 'off';
    const child = spawnNode(ctx.worker, [JSON.stringify({ ...ctx.targets, ...job })], env, flags, pinned ? ['taskset', '-c', '0'] : []);
    const result = await waitForTaggedLine<JobResult>(child, RESULT_TAG, `worker ${job.mode}`);
    await waitForExit(child);
    const { mode: _mode, phases: _phases, ...measured } = result;
    return measured;
  });
}

/** Alternates the order per round (AB, BA, …) so drift does not favour one configuration. */
function inRoundOrder<T>(round: number, pair: readonly [T, T]): T[] {
  return round % 2 === 1 ? [pair[0], pair[1]] : [pair[1], pair[0]];
}

/** The backup runs of one archive (pairs; at the largest size also peers, the decode's share and one core), each cleaned up after. */
async function backupAndPeerRuns(
  ctx: Context,
  options: BenchOptions,
  notes: string[],
  largest: boolean,
  records: RunRecord[],
  backup: (config: string, run: number) => Promise<RunRecord>,
  cleanUp: () => Promise<void>,
): Promise<void> {
  const { kind: source } = ctx.archive;
  const stateMiB = ctx.archive.stateBytes / MiB;
  const add = async (record: RunRecord): Promise<void> => {
    records.push(record);
    await cleanUp();
  };
  for (let run = 1; run <= options.runs; run++) {
    for (const config of inRoundOrder(run, ['baseline', 'consul-ops'] as const)) await add(await backup(config, run));
    // The same pass on the calling thread: what the verifying thread buys on two cores.
    await add(await backup('consul-ops-inline', run));
  }
  if (!largest) return;
  for (const peer of PEERS) {
    const missing = peerMissing(peer);
    if (missing) {
      notes.push(missing);
      log(missing);
      continue;
    }
    for (let run = 1; run <= options.runs; run++) {
      const target = { s3: ctx.targets.s3, bucket: ctx.targets.bucket, snapshotUrl: `${ctx.source.url}/v1/snapshot`, tmp: ctx.tmp };
      await add(
        await withOthersCpu(ctx, { operation: 'backup', source, stateMiB, run, config: peer }, async () => {
          const m = await runPeer(peer, target, `${PREFIX}-${peer}/${source}-run${run}.snap`);
          return { ...m, archiveBytes: ctx.archive.bytes, sampledPeakRssBytes: Number.NaN };
        }),
      );
    }
  }
  for (let run = 1; run <= options.runs; run++) {
    // The decode's cost: consul-ops without the state.bin decoder next to consul-ops (which decodes in every backup).
    await add(await backup('consul-ops-no-decode', run));
    // A small Lambda: one core for the measured process.
    for (const config of inRoundOrder(run, ['baseline-1cpu', 'consul-ops-1cpu'] as const)) await add(await backup(config, run));
  }
}

/** The backups and restores of one archive: pairs against the plain pipe, peers, the decode's share, one core. */
async function archiveRuns(ctx: Context, options: BenchOptions, notes: string[], largest: boolean): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const { kind: source } = ctx.archive;
  const stateMiB = ctx.archive.stateBytes / MiB;
  const backup = (config: string, run: number) => {
    const mode = config.startsWith('baseline') ? 'backup-baseline' : config.startsWith('consul-ops-no-decode') ? 'backup-consul-ops-no-decode' : 'backup-consul-ops';
    const key = mode === 'backup-baseline' ? `${PREFIX}-baseline/${source}-${stateMiB}MiB-${config}-run${run}.snap` : undefined;
    return measure(ctx, { mode, key }, { operation: 'backup', source, stateMiB, run, config });
  };
  const s3 = s3ClientForLocal(ctx.targets.s3);
  // The first consul-ops backup stays for the restores; everything else is deleted after its run.
  let keep: string | undefined;
  const cleanUp = async (): Promise<void> => {
    keep ??= records.find((r) => r.config === 'consul-ops' && r.key)?.key;
    await purgeBucket(s3, ctx.targets.bucket, keep);
    await removeBuckets(s3, `${ctx.targets.bucket}-restic-`);
  };
  try {
    await backupAndPeerRuns(ctx, options, notes, largest, records, backup, cleanUp);
  } finally {
    s3.destroy();
  }
  if (!largest) return records;
  const stored = records.find((r) => r.config === 'consul-ops' && r.key === keep && r.versionId);
  if (!stored) throw new Error('no consul-ops backup to restore');
  log(`restoring ${stored.key} (version ${stored.versionId})`);
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of inRoundOrder(run, ['restore-baseline', 'restore-consul-ops'] as const)) {
      const config = mode === 'restore-baseline' ? 'baseline' : 'consul-ops';
      records.push(await measure(ctx, { mode, key: stored.key, versionId: stored.versionId }, { operation: 'restore', source, stateMiB, run, config }));
    }
  }
  return records;
}

/**
 * radosgw memstore large enough for every object of the run below Ceph's full ratio: per archive and run, the
 * backups (2 + inline + no-decode + 2 pinned) and the peers (2), plus headroom.
 */
function memstoreBytes(archives: readonly BenchArchive[], runs: number): number {
  const stored = archives.reduce((sum, a) => sum + a.bytes * runs * 9, 0);
  return Math.ceil((stored + GiB) / 0.8);
}

async function runTransfers(options: BenchOptions, tmp: string, notes: string[]): Promise<RunRecord[]> {
  const programs = await bundleBenchPrograms(join(tmp, 'programs'));
  const archives: BenchArchive[] = [];
  for (const kind of ARCHIVE_KINDS) for (const stateMiB of options.sizesMiB) archives.push(await benchArchive(kind, stateMiB, log));
  const memstore = memstoreBytes(archives, options.runs);
  log(`starting radosgw (memstore ${fixed(memstore / GiB, 1)} GiB)…`);
  const rgw = await startRadosgw({ memstoreBytes: memstore });
  running.rgw = rgw;
  const records: RunRecord[] = [];
  try {
    const bucket = 'consul-ops-bench';
    const s3 = s3ClientForLocal(rgw);
    await prepareBucket(s3, bucket);
    s3.destroy();
    const rgwPids = cephPids(rgw.dir);
    const largestMiB = Math.max(...options.sizesMiB);
    for (const archive of archives) {
      const source = await startSource(programs.replay, { file: archive.file, index: archive.index, datacenter: 'dc1', consulVersion: CONSUL_VERSION });
      log(`replay source (pid ${source.pid}) at ${source.url}: ${archive.kind} archive, ${fixed(mb(archive.bytes), 0)} MB`);
      try {
        const targets: JobTargets = { s3: rgw, bucket, cluster: CLUSTER, prefix: PREFIX, partSizeBytes: PART_SIZE, queueSize: QUEUE_SIZE, consulUrl: source.url, consulToken: source.token };
        const ctx: Context = { worker: programs.worker, targets, rgwPids, source, archive, tmp, profileDir: options.profile ? PROFILE_DIR : undefined };
        records.push(...(await archiveRuns(ctx, options, notes, archive.stateBytes / MiB === largestMiB)));
      } finally {
        await source.stop();
      }
    }
  } finally {
    await rgw.stop();
    running.rgw = undefined;
  }
  return records;
}

/** Everything written to `bench/results/latest.json`. */
interface BenchResults {
  readonly generatedAt: string;
  readonly command: string;
  readonly options: BenchOptions;
  readonly method: Readonly<Record<string, string>>;
  readonly machine: MachineFacts & { readonly loadAvgAfter: readonly number[] };
  readonly durationS: number;
  readonly summaries: ReturnType<typeof summarise>;
  readonly targets: ReturnType<typeof evaluateTargets>;
  readonly bundles: readonly BundleResult[];
  readonly components: readonly ComponentResult[];
  readonly startup: readonly StartupResult[];
  readonly peers: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
  readonly runs: readonly RunRecord[];
}

const METHOD = {
  units: 'MB = 10^6 bytes, GB = 10^9 bytes; MB/s = archive bytes (gzip as served and stored) / wall time of the operation; CPU-s/GB = CPU seconds per GB of archive',
  source: 'bench/replay-process.ts in its own process serves one archive file at page-cache speed (like a Consul server streaming its finished snapshot file) and reads restore PUTs through Consul\'s archive checks (as a Consul server does before raft takes state.bin)',
  archives: 'bench/archives.ts: gzip level 6 (Consul\'s); realistic = compressible synthetic state (about 35-42 % after gzip), incompressible = random state.bin',
  backupBaseline: `plain pipe: ConsulApi.snapshotSave() body -> lib-storage Upload (part ${PART_SIZE / MiB} MiB, queue ${QUEUE_SIZE}, no checksum algorithm), no verification, no tagging`,
  backupConsulOps: `runBackup with ConsulSnapshotSource and S3BackupStore (part ${PART_SIZE / MiB} MiB, ${QUEUE_SIZE} parts in flight, SHA-256 per part), incl. agent/self, the verifying pass and PutObjectTagging`,
  backupConsulOpsNoDecode: 'consul-ops without the state.bin decoder in the verifying pass (every backup decodes; this row prices it)',
  pinned: 'the -1cpu configs run the worker under taskset -c 0 (one core, like a Lambda of <= 1769 MB); source and Ceph are not pinned',
  peers: 'aws-cli: curl | aws s3 cp - (Debian awscli); restic: curl to a temp file, then restic backup to a fresh repository in the same radosgw (Debian restic); timed by GNU time (CPU of the whole command tree)',
  restoreBaseline: 'S3 GetObject of the pinned version -> ConsulApi.snapshotRestore (PUT /v1/snapshot), nothing verified on the client side',
  restoreConsulOps: 'runRestore applied (key + versionId, confirmed, skipSafetySnapshot): HeadObject/tags, preflight, one pass verified while sent, last chunk withheld until verified',
  ratios: 'each config over its baseline in the same round (AB/BA alternating), median and range of those pairs',
  rss: 'peak RSS = process.resourceUsage().maxRSS of the worker (GNU time %M for peers)',
  s3Client: 's3ClientForLocal (path style, WHEN_REQUIRED checksums); consul-ops sends its own SHA-256 checksum per part either way',
};

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (!options.bundlesOnly && !options.synthOnly && !isRadosgwInstalled()) {
    throw new Error('Ceph radosgw is not installed. Install it with: sudo bash local/radosgw.sh install (or run npm run bench -- --bundles-only).');
  }
  const started = Date.now();
  process.on('exit', stopEverythingSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping everything`);
      stopEverythingSync();
      process.exit(130);
    });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'consul-ops-bench-'));
  running.tmp = tmp;
  const machineBefore = machineFacts();
  log(`${machineBefore.cpus} × ${machineBefore.cpuModel}, node ${machineBefore.node}, load ${machineBefore.loadAvg.join(' ')}`);
  // Bundles first, while nothing else of ours runs.
  const bundles = options.synthOnly ? [] : await measureBundles(join(tmp, 'handlers'), options.loadRuns, log);
  const components = options.bundlesOnly ? [] : [...(options.synthOnly ? [] : await runComponentBenchmarks(log)), ...(await benchSynth(join(tmp, 'synth'), log))];
  const startup = options.synthOnly ? [] : measureCliStartup(options.loadRuns, log);
  const notes: string[] = [];
  const runs = options.bundlesOnly || options.synthOnly ? [] : await runTransfers(options, tmp, notes);
  const summaries = summarise(runs);
  const targets = evaluateTargets(summaries, bundles, components, startup);
  const peers = Object.fromEntries(PEERS.map((p) => [p, peerMissing(p) ? 'not installed' : peerVersion(p)]));
  const machine = { ...machineBefore, loadAvgAfter: machineFacts().loadAvg };
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    options,
    method: METHOD,
    machine,
    durationS: Math.round((Date.now() - started) / 1000),
    summaries,
    targets,
    bundles,
    components,
    startup,
    peers,
    notes,
    runs,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  // A synth-only run keeps the full run's results: it writes synth.json / synth.md beside them.
  const resultName = options.synthOnly ? 'synth' : 'latest';
  writeFileSync(join(RESULTS_DIR, `${resultName}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const header = `${results.command} — ${results.generatedAt}, ${results.durationS} s; ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}`;
  writeFileSync(join(RESULTS_DIR, `${resultName}.md`), `${header}\n\n${markdownReport(summaries, bundles, components, targets, startup, notes)}\n`);
  console.log(`\n${header}\n\n${textReport(summaries, bundles, components, targets, startup, notes)}\n`);
  const failed = targets.filter((t) => !t.pass).length;
  console.log(`${targets.length - failed}/${targets.length} targets met. Results: bench/results/${resultName}.json, bench/results/${resultName}.md`);
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  })
  .finally(stopEverythingSync);
