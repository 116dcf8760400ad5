/**
 * One measured run, in its own process (bundled by `bench/build.ts` and started by `bench/run.ts`), so that peak RSS
 * is this run's alone. Usage: `node worker.js '<Job JSON>'`; prints `BENCH_RESULT {JobResult}` on stdout.
 *
 * The baselines use the same HTTP client, S3 client, part size and queue as consul-ops and leave out only what
 * consul-ops adds: archive verification (inflate, tar, the archive and state.bin SHA-256s), the per-part SHA-256 S3
 * checksum, tagging, and for restore the verification while sending.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { ConsulApi } from '../functions/adapters/consul/api';
import { ConsulHttpClient } from '../functions/adapters/consul/client';
import { staticTokenSource } from '../functions/adapters/consul/settings';
import { ConsulSnapshotSource } from '../functions/adapters/consul/snapshot-source';
import { S3BackupStore } from '../functions/adapters/s3-backup-store';
import { verifyingPassFactoryFromEnv } from '../functions/adapters/verify-thread';
import { runBackup } from '../functions/core/backup/workflow';
import { runRestore } from '../functions/core/restore/workflow';
import { createVerifyingPass } from '../functions/core/snapshot-contents';
import { s3ClientForLocal } from '../local/radosgw';
import { JOB_MODES, RESULT_TAG, type Job, type JobResult } from './jobs';
import { startMemorySampler } from './memory-sampler';

type Measured = Omit<JobResult, 'mode' | 'wallMs' | 'maxRssBytes' | 'sampledPeakRssBytes' | 'cpuUserMs' | 'cpuSystemMs'>;

interface Clients {
  readonly api: ConsulApi;
  readonly s3: S3Client;
  close(): Promise<void>;
}

function connect(job: Job): Clients {
  const http = new ConsulHttpClient({ settings: { addresses: [job.consulUrl], tls: { verify: true } }, token: staticTokenSource(job.consulToken) });
  const s3 = s3ClientForLocal(job.s3);
  return {
    api: new ConsulApi(http),
    s3,
    async close() {
      s3.destroy();
      await http.close();
    },
  };
}

/** Baseline: `GET /v1/snapshot` body straight into a lib-storage multipart upload; nothing checked. */
async function backupBaseline(job: Job, c: Clients): Promise<Measured> {
  const key = required(job.key, 'key');
  const snapshot = await c.api.snapshotSave();
  const upload = new Upload({
    client: c.s3,
    partSize: job.partSizeBytes,
    queueSize: job.queueSize,
    leavePartsOnError: false,
    params: { Bucket: job.bucket, Key: key, Body: snapshot.body, ContentType: 'application/x-gzip' },
  });
  const done = await upload.done();
  return { archiveBytes: -1, key, versionId: done.VersionId ?? 'null' };
}

/**
 * consul-ops: `runBackup` with the production adapters (the verifying pass where the CLI runs it: a worker thread on
 * 2+ cores unless CONSUL_OPS_VERIFY_THREAD=off, inline on one; SHA-256 part checksums, tagging).
 */
async function backupConsulOps(job: Job, c: Clients): Promise<Measured> {
  const store = new S3BackupStore({ client: c.s3, bucket: job.bucket, partSizeBytes: job.partSizeBytes, queueSize: job.queueSize });
  const result = await runBackup(
    { consul: new ConsulSnapshotSource(c.api), store, now: () => new Date(), createVerifyingPass: verifyingPassFactoryFromEnv() },
    { cluster: job.cluster, prefix: job.prefix, kind: 'manual' },
  );
  return { archiveBytes: result.sizeBytes, key: result.key, versionId: result.versionId };
}

/** consul-ops without the state.bin decoder (same thread policy): the price of the decode in every backup. */
async function backupConsulOpsNoDecode(job: Job, c: Clients): Promise<Measured> {
  const store = new S3BackupStore({ client: c.s3, bucket: job.bucket, partSizeBytes: job.partSizeBytes, queueSize: job.queueSize });
  const result = await runBackup(
    { consul: new ConsulSnapshotSource(c.api), store, now: () => new Date(), createVerifyingPass: () => (verifyingPassFactoryFromEnv() ?? createVerifyingPass)(undefined) },
    { cluster: job.cluster, prefix: job.prefix, kind: 'manual' },
  );
  if (result.contents.summary) throw new Error('the decoder saw state.bin although no sink was given');
  return { archiveBytes: result.sizeBytes, key: result.key, versionId: result.versionId };
}

/** Baseline: one S3 GetObject of the pinned version streamed into `PUT /v1/snapshot`; nothing checked here. */
async function restoreBaseline(job: Job, c: Clients): Promise<Measured> {
  const key = required(job.key, 'key');
  const object = await c.s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: key, VersionId: job.versionId }));
  if (!(object.Body instanceof Readable)) throw new Error('GetObject body is not a stream');
  await c.api.snapshotRestore(object.Body);
  return { archiveBytes: object.ContentLength ?? -1, key, versionId: job.versionId };
}

/** consul-ops: `runRestore` applied: one pass, verified while sent, its last bytes withheld until verified. */
async function restoreConsulOps(job: Job, c: Clients): Promise<Measured> {
  const store = new S3BackupStore({ client: c.s3, bucket: job.bucket, partSizeBytes: job.partSizeBytes, queueSize: job.queueSize });
  const result = await runRestore(
    { consul: new ConsulSnapshotSource(c.api), store, now: () => new Date() },
    {
      cluster: job.cluster,
      prefix: job.prefix,
      selector: { key: required(job.key, 'key'), versionId: required(job.versionId, 'versionId') },
      dryRun: false,
      confirm: job.cluster,
      // The safety snapshot is a full backup (measured above); the restore figure is the verify and send passes.
      skipSafetySnapshot: true,
      largeRestoreBytes: Number.MAX_SAFE_INTEGER,
    },
  );
  if (!result.restored) throw new Error(`restore not applied: ${result.notApplied ?? 'unknown'}`);
  return {
    archiveBytes: result.backup.sizeBytes,
    key: result.backup.key,
    versionId: result.backup.versionId,
  };
}

const RUNNERS: Record<Job['mode'], (job: Job, c: Clients) => Promise<Measured>> = {
  'backup-baseline': backupBaseline,
  'backup-consul-ops': backupConsulOps,
  'backup-consul-ops-no-decode': backupConsulOpsNoDecode,
  'restore-baseline': restoreBaseline,
  'restore-consul-ops': restoreConsulOps,
};

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`job.${name} is required for this mode`);
  return value;
}

/** Runs one job and reports it; everything outside `RUNNERS[mode]` is excluded from the wall time. */
async function runJob(job: Job): Promise<JobResult> {
  const clients = connect(job);
  const sampler = startMemorySampler(50);
  const started = process.hrtime.bigint();
  let measured: Measured;
  try {
    measured = await RUNNERS[job.mode](job, clients);
  } finally {
    await clients.close();
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const memory = sampler.stop();
  const cpu = process.resourceUsage();
  let archiveBytes = measured.archiveBytes;
  if (archiveBytes < 0 && measured.key) {
    // Outside the timed window: the baseline never counts bytes itself (no extra stream in its path).
    const s3 = s3ClientForLocal(job.s3);
    const head = await s3.send(new HeadObjectCommand({ Bucket: job.bucket, Key: measured.key, VersionId: measured.versionId }));
    s3.destroy();
    archiveBytes = head.ContentLength ?? 0;
  }
  return {
    ...measured,
    mode: job.mode,
    archiveBytes,
    wallMs,
    maxRssBytes: memory.maxRssBytes,
    sampledPeakRssBytes: memory.sampledPeakRssBytes,
    cpuUserMs: cpu.userCPUTime / 1000,
    cpuSystemMs: cpu.systemCPUTime / 1000,
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as Job;
  if (!JOB_MODES.includes(job.mode)) throw new Error(`unknown mode ${String(job.mode)}; one of ${JOB_MODES.join(', ')}`);
  const result = await runJob(job);
  process.stdout.write(`${RESULT_TAG}${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
