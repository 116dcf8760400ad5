/**
 * The contract between the benchmark driver (`bench/run.ts`) and the measured child process (`bench/worker.ts`):
 * one job in as JSON on the command line, one {@link JobResult} out as a tagged JSON line on stdout.
 */
import type { LocalS3Endpoint } from '../local/radosgw';

/** The measured configurations run by the Node worker (peer tools are run by `bench/peers.ts`). */
export const JOB_MODES = ['backup-baseline', 'backup-consul-ops', 'backup-consul-ops-no-decode', 'restore-baseline', 'restore-consul-ops'] as const;
/** One of {@link JOB_MODES}. */
export type JobMode = (typeof JOB_MODES)[number];

/** Where the measured process finds Consul and S3. */
export interface JobTargets {
  readonly consulUrl: string;
  readonly consulToken: string;
  readonly s3: LocalS3Endpoint;
  readonly bucket: string;
  /** The cluster name consul-ops writes under (and restores from). */
  readonly cluster: string;
  readonly prefix: string;
  /** Multipart part size and queue of both the baseline and consul-ops uploads (the S3BackupStore defaults). */
  readonly partSizeBytes: number;
  readonly queueSize: number;
}

/** One measured run. `key`/`versionId` name the stored backup for restore jobs. */
export interface Job extends JobTargets {
  readonly mode: JobMode;
  /** Object key for `backup-baseline`. */
  readonly key?: string;
  /** The backup version a restore job reads. */
  readonly versionId?: string;
}

/** What one measured run reports. */
export interface JobResult {
  readonly mode: JobMode;
  /** Archive bytes moved (the gzip'd tar as Consul serves it and S3 stores it). */
  readonly archiveBytes: number;
  /** Wall time of the whole operation, from the first request to the last answer. */
  readonly wallMs: number;
  readonly maxRssBytes: number;
  readonly sampledPeakRssBytes: number;
  /** CPU time of the measured process over its whole life (includes module load, a few ms). */
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** The object written (backup jobs). */
  readonly key?: string;
  readonly versionId?: string;
  /** Restore phases (`restore-consul-ops`): verify pass and send pass. */
  readonly phases?: Readonly<Record<string, number>>;
}

/** Prefix of the result line a worker prints on stdout. */
export const RESULT_TAG = 'BENCH_RESULT ';

/** Prefix of the line `bench/simulator-process.ts` prints once listening: `{"url","token"}`. */
export const SIMULATOR_TAG = 'SIMULATOR ';
