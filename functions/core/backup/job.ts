import type { JobOutcome } from '../report/job';
import { withPermissionHelp } from '../shared/acl-policies';
import type { RetentionPolicy } from '../retention/retention-plan';
import { runPrune, type PruneResult } from '../retention/workflow';
import { buildBackupReport } from './backup-report';
import { runBackup, type BackupDeps, type BackupInput, type BackupResult } from './workflow';

/** What the snapshot job takes besides the backup's own input. */
export interface SnapshotJobInput extends BackupInput {
  /**
   * Apply this retention policy to the cluster's backups once the new backup is stored.
   * @default - no retention (a manual `consul-ops backup`)
   */
  readonly retention?: RetentionPolicy;
  /** The bucket, to print `s3://` locations in the report. @default - keys without the bucket */
  readonly bucket?: string;
}

/** What the snapshot job did. */
export interface SnapshotJobResult {
  readonly backup: BackupResult;
  /** Absent when no retention policy was given. */
  readonly prune?: PruneResult;
}

/**
 * The snapshot job, the same through both front doors (the scheduled take-snapshot Lambda and `consul-ops backup`):
 * one verified backup ({@link runBackup}), then retention when a policy is given, and the report of the whole run.
 * A retention failure after a stored backup fails the job (the backup stays: it is verified and listed).
 *
 * @example
 * const outcome = await runSnapshotJob({ consul, store, now }, { cluster: 'prod', prefix: 'snapshots', kind: 'scheduled', retention: policy });
 */
export async function runSnapshotJob(deps: BackupDeps, input: SnapshotJobInput): Promise<JobOutcome<SnapshotJobResult>> {
  let backup: BackupResult | undefined;
  let prune: PruneResult | undefined;
  const report = (error?: unknown) =>
    buildBackupReport({ cluster: input.cluster, backup, prune, error, bucket: input.bucket, finishedAt: deps.now() });
  try {
    backup = await withPermissionHelp('take-snapshot', () => runBackup(deps, input));
    if (input.retention !== undefined) prune = await runPrune({ store: deps.store, now: deps.now }, { cluster: input.cluster, prefix: input.prefix, policy: input.retention });
  } catch (error) {
    return { ok: false, error, report: report(error) };
  }
  return { ok: true, result: { backup, ...(prune ? { prune } : {}) }, report: report() };
}
