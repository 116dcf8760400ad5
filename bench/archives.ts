/**
 * The archives the transfer benchmarks replay: written once per (kind, size) with the simulator's archive writer at
 * gzip level 6 (Consul's own level) and cached in `bench/results/tmp/archives/` (ignored by git). Two kinds:
 * - `realistic`: the simulator's synthetic state with `compressibility: 'realistic'` (KV records of JSON service
 *   configuration), about 35–42 % of state.bin after gzip -6, like real Consul data: inflate is the largest cost.
 * - `incompressible`: the same records with random values, the archive is ~100 % of state.bin: hashing and moving
 *   bytes dominate.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeSnapshotArchive } from '../local/consul-simulator/archive-writer';
import { syntheticStateStream } from '../local/consul-simulator/synthetic-state';
import { ROOT } from './build';

/** Which archive. */
export const ARCHIVE_KINDS = ['realistic', 'incompressible'] as const;
/** One of {@link ARCHIVE_KINDS}. */
export type ArchiveKind = (typeof ARCHIVE_KINDS)[number];

/** A written archive and what the replay process serves with it. */
export interface BenchArchive {
  readonly kind: ArchiveKind;
  readonly file: string;
  readonly bytes: number;
  readonly stateBytes: number;
  readonly index: number;
  readonly gzipLevel: number;
}

const GZIP_LEVEL = 6;
const INDEX = 4242;
const MiB = 1024 * 1024;
const CACHE = join(ROOT, 'bench', 'results', 'tmp', 'archives');

/** The cached archive of `kind` with `stateMiB` MiB of state.bin, written first if missing. */
export async function benchArchive(kind: ArchiveKind, stateMiB: number, log: (line: string) => void): Promise<BenchArchive> {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `${kind}-${stateMiB}MiB-level${GZIP_LEVEL}-kvs.snap`);
  const facts = `${file}.json`;
  if (existsSync(file) && existsSync(facts)) {
    const cached = JSON.parse(readFileSync(facts, 'utf8')) as BenchArchive;
    if (statSync(file).size === cached.bytes) return cached;
  }
  const stateBytes = stateMiB * MiB;
  log(`writing the ${kind} archive (${stateMiB} MiB state.bin, gzip level ${GZIP_LEVEL}) to ${file}…`);
  const started = Date.now();
  const stream = syntheticStateStream({ bytes: stateBytes, compressibility: kind, seed: INDEX, index: INDEX });
  const meta = {
    Version: 1,
    ID: `2-${INDEX}-1764000000000`,
    Index: INDEX,
    Term: 2,
    Peers: 'ka4xMjcuMC4wLjE6ODMwMA==',
    Configuration: { Servers: [{ Suffrage: 0, ID: 'a577b288-b354-770e-e909-da0972eb20e8', Address: '127.0.0.1:8300' }] },
    ConfigurationIndex: 1,
  };
  await pipeline(writeSnapshotArchive({ meta, state: { size: stateBytes, stream } }, { mtime: new Date(0), gzipLevel: GZIP_LEVEL }), createWriteStream(`${file}.part`));
  renameSync(`${file}.part`, file);
  const archive: BenchArchive = { kind, file, bytes: statSync(file).size, stateBytes, index: INDEX, gzipLevel: GZIP_LEVEL };
  writeFileSync(facts, JSON.stringify(archive));
  log(`${kind} archive: ${(archive.bytes / 1e6).toFixed(0)} MB = ${((100 * archive.bytes) / stateBytes).toFixed(1)} % of state.bin, written in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return archive;
}
