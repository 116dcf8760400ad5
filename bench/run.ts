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
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRadosgwInstalled, s3ClientForLocal, startRadosgw, type RadosgwHandle } from '../local/radosgw';
import { bundleBenchPrograms, ROOT } from './build';
import { measureBundles, type BundleResult } from './cold-init';
import { runComponentBenchmarks } from './components';
import { benchSynth } from './synth';
import { RESULT_TAG, SIMULATOR_TAG, type Job, type JobMode, type JobResult, type JobTargets } from './jobs';
import { machineFacts, type MachineFacts } from './machine';
import { parseBenchOptions, type BenchOptions } from './options';
import { recordSnapshot, type ReplayRecording } from './replay-source';
import { cephPids, cpuSecondsOf, killAll, spawnNode, waitForExit, waitForTaggedLine } from './processes';
import { evaluateTargets, markdownReport, summarise, textReport, type ComponentResult, type RunRecord } from './report';
import { fixed, mb } from './stats';

const MiB = 1024 * 1024;
/** The S3BackupStore defaults, used by both configurations. */
const PART_SIZE = 8 * MiB;
const QUEUE_SIZE = 2;
/** The simulator's gzip level: 1, so that the simulator (one core) is not what limits the transfer. */
const GZIP_LEVEL = 1;
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

/**
 * radosgw memstore large enough for every archive of the run (each configuration stores one object per run; an
 * archive is at most about its state.bin size) below Ceph's full ratio, plus headroom.
 */
function memstoreBytes(options: BenchOptions): number {
  const replayMiB = options.replay ? Math.max(...options.sizesMiB) : 0;
  const stored = [...options.sizesMiB, replayMiB].reduce((sum, s) => sum + 2 * options.runs * s * MiB * 1.02, 0);
  return Math.ceil((stored + 512 * MiB) / 0.8);
}

interface Simulator {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** Starts the simulator or the replay source (both announce themselves with {@link SIMULATOR_TAG}). */
async function startSimulator(program: string, args: string[]): Promise<Simulator> {
  const child = spawnNode(program, args);
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
  readonly sim: Simulator;
}

/** One measured run in a fresh worker process, with the CPU the simulator and Ceph spent meanwhile. */
async function measure(ctx: Context, job: Omit<Job, keyof JobTargets>, meta: Pick<RunRecord, 'stateMiB' | 'run' | 'source'>): Promise<RunRecord> {
  const rgwCpu = () => ctx.rgwPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  const before = { sim: cpuSecondsOf(ctx.sim.pid), rgw: rgwCpu() };
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const loadAvg1 = loadavg()[0];
  const flags = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${job.mode}-${meta.source}-${meta.stateMiB}MiB-run${meta.run}.cpuprofile`] : [];
  const child = spawnNode(ctx.worker, [JSON.stringify({ ...ctx.targets, ...job })], env, flags);
  const result = await waitForTaggedLine<JobResult>(child, RESULT_TAG, `worker ${job.mode}`);
  await waitForExit(child);
  const [operation, config] = splitMode(job.mode);
  const record: RunRecord = {
    ...result,
    ...meta,
    operation,
    config,
    sourceCpuS: cpuSecondsOf(ctx.sim.pid) - before.sim,
    radosgwCpuS: rgwCpu() - before.rgw,
    loadAvg1,
  };
  const rate = mb(record.archiveBytes) / (record.wallMs / 1000);
  log(`${operation} ${meta.stateMiB} MiB from ${meta.source} ${config} run ${meta.run}: ${fixed(mb(record.archiveBytes), 0)} MB in ${fixed(record.wallMs / 1000, 1)} s = ${fixed(rate)} MB/s, maxRSS ${fixed(mb(record.maxRssBytes), 0)} MB (sampled ${fixed(mb(record.sampledPeakRssBytes), 0)}), CPU s worker ${fixed((record.cpuUserMs + record.cpuSystemMs) / 1000)} source ${fixed(record.sourceCpuS)} rgw ${fixed(record.radosgwCpuS)}, load ${fixed(loadAvg1, 1)}`);
  // Let Ceph settle (it keeps working briefly after a large write) before the next run starts.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return record;
}

function splitMode(mode: JobMode): [RunRecord['operation'], RunRecord['config']] {
  const [operation, ...rest] = mode.split('-');
  return [operation as RunRecord['operation'], rest.join('-') as RunRecord['config']];
}

/** Alternates the order per round (AB, BA, …) so drift does not favour one configuration. */
function inRoundOrder<T>(round: number, pair: readonly [T, T]): T[] {
  return round % 2 === 1 ? [pair[0], pair[1]] : [pair[1], pair[0]];
}

/** Backup runs of one size against `ctx.sim`, baseline and consul-ops alternating. */
async function backupRuns(ctx: Context, options: BenchOptions, stateMiB: number, source: RunRecord['source']): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of inRoundOrder(run, ['backup-baseline', 'backup-consul-ops'] as const)) {
      const key = mode === 'backup-baseline' ? `${PREFIX}-baseline/${source}-${stateMiB}MiB-run${run}.snap` : undefined;
      records.push(await measure(ctx, { mode, key }, { stateMiB, run, source }));
    }
  }
  return records;
}

/** Restore runs of the given backup, baseline and consul-ops alternating. */
async function restoreRuns(ctx: Context, options: BenchOptions, backup: RunRecord): Promise<RunRecord[]> {
  if (!backup.key || !backup.versionId) throw new Error('the backup to restore has no key or version');
  log(`restoring ${backup.key} (version ${backup.versionId})`);
  const records: RunRecord[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of inRoundOrder(run, ['restore-baseline', 'restore-consul-ops'] as const)) {
      records.push(await measure(ctx, { mode, key: backup.key, versionId: backup.versionId }, { stateMiB: backup.stateMiB, run, source: 'simulator' }));
    }
  }
  return records;
}

async function runTransfers(options: BenchOptions, tmp: string): Promise<RunRecord[]> {
  const programs = await bundleBenchPrograms(join(tmp, 'programs'));
  const memstore = memstoreBytes(options);
  log(`starting radosgw (memstore ${fixed(memstore / 2 ** 30, 1)} GiB)…`);
  const rgw = await startRadosgw({ memstoreBytes: memstore });
  running.rgw = rgw;
  const records: RunRecord[] = [];
  try {
    const bucket = 'consul-ops-bench';
    const s3 = s3ClientForLocal(rgw);
    await prepareBucket(s3, bucket);
    s3.destroy();
    const rgwPids = cephPids(rgw.dir);
    const managementSecretId = randomUUID();
    const largestMiB = Math.max(...options.sizesMiB);
    const base = { s3: rgw, bucket, cluster: CLUSTER, prefix: PREFIX, partSizeBytes: PART_SIZE, queueSize: QUEUE_SIZE };
    const contextFor = (sim: Simulator): Context => ({
      worker: programs.worker,
      targets: { ...base, consulUrl: sim.url, consulToken: sim.token },
      rgwPids,
      sim,
      profileDir: options.profile ? PROFILE_DIR : undefined,
    });
    let recording: ReplayRecording | undefined;
    for (const stateMiB of options.sizesMiB) {
      const sim = await startSimulator(programs.simulator, [JSON.stringify({ snapshotStateBytes: stateMiB * MiB, gzipLevel: GZIP_LEVEL, managementSecretId })]);
      log(`simulator (pid ${sim.pid}) at ${sim.url}: state.bin ${stateMiB} MiB, gzip level ${GZIP_LEVEL}`);
      try {
        const ctx = contextFor(sim);
        records.push(...(await backupRuns(ctx, options, stateMiB, 'simulator')));
        if (stateMiB !== largestMiB) continue;
        const restoreFrom = records.filter((r) => r.mode === 'backup-consul-ops' && r.stateMiB === stateMiB).at(-1);
        if (!restoreFrom) throw new Error('no consul-ops backup to restore');
        records.push(...(await restoreRuns(ctx, options, restoreFrom)));
        if (options.replay) {
          log(`recording one ${stateMiB} MiB snapshot for the replay runs…`);
          recording = await recordSnapshot(sim.url, sim.token, join(tmp, 'replay.snap'));
        }
      } finally {
        await sim.stop();
      }
    }
    if (recording) {
      const replay = await startSimulator(programs.replay, [JSON.stringify(recording)]);
      log(`replay source (pid ${replay.pid}) at ${replay.url}: ${fixed(mb(recording.bytes), 0)} MB archive from a file`);
      try {
        records.push(...(await backupRuns(contextFor(replay), options, largestMiB, 'replay')));
      } finally {
        await replay.stop();
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
  readonly runs: readonly RunRecord[];
}

const METHOD = {
  units: 'MB = 10^6 bytes; MB/s = archive bytes (gzip as served and stored) / wall time of the operation in the worker',
  simulator: `Consul simulator in its own process, state.bin padded with synthetic data, gzip level ${GZIP_LEVEL}`,
  replay: 'source "replay": one snapshot recorded from the simulator, served again from a file by bench/replay-process.ts (its own process); shows the client path without the simulator as the bottleneck',
  backupBaseline: `ConsulApi.snapshotSave() body -> lib-storage Upload (part ${PART_SIZE / MiB} MiB, queue ${QUEUE_SIZE}, no checksum algorithm), no verification, no tagging`,
  backupConsulOps: `runBackup with ConsulSnapshotSource and S3BackupStore (part ${PART_SIZE / MiB} MiB, queue ${QUEUE_SIZE}, ChecksumAlgorithm SHA256), incl. agent/self and PutObjectTagging`,
  restoreBaseline: 'S3 GetObject of the pinned version -> ConsulApi.snapshotRestore (PUT /v1/snapshot), no verification here (the simulator verifies every upload)',
  restoreConsulOps: 'runRestore (key + versionId, confirmed, skipSafetySnapshot): HeadObject/tags, preflight, verify pass, send pass through verifier + sha256 guard',
  rss: 'peak RSS = process.resourceUsage().maxRSS of the worker; sampled = max process.memoryUsage.rss() every 50 ms',
  s3Client: 's3ClientForLocal (path style, WHEN_REQUIRED checksums: the SHA-256 part checksum is computed only when ChecksumAlgorithm is set, i.e. consul-ops)',
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
  const runs = options.bundlesOnly || options.synthOnly ? [] : await runTransfers(options, tmp);
  const summaries = summarise(runs);
  const targets = evaluateTargets(summaries, bundles, components);
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
    runs,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  // A synth-only run keeps the full run's results: it writes synth.json / synth.md beside them.
  const resultName = options.synthOnly ? 'synth' : 'latest';
  writeFileSync(join(RESULTS_DIR, `${resultName}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const header = `${results.command} — ${results.generatedAt}, ${results.durationS} s; ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}`;
  writeFileSync(join(RESULTS_DIR, `${resultName}.md`), `${header}\n\n${markdownReport(summaries, bundles, components, targets)}\n`);
  console.log(`\n${header}\n\n${textReport(summaries, bundles, components, targets)}\n`);
  const failed = targets.filter((t) => !t.pass).length;
  console.log(`${targets.length - failed}/${targets.length} targets met. Results: bench/results/${resultName}.json, bench/results/${resultName}.md`);
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  })
  .finally(stopEverythingSync);
