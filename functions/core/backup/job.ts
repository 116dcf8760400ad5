import type { JobOutcome } from '../report/job';
import { withPermissionHelp } from '../shared/acl-policies';
import type { RetentionPolicy } from '../retention/retention-plan';
import { runPrune, type PruneResult } from '../retention/workflow';
import type { ContentDropThresholds } from '../snapshot-contents';
import { buildBackupReport } from './backup-report';
import { checkBackupContents, type ContentCheckResult } from './content-check';
import { BackupContentsUnreadableError } from './errors';
import type { ContentHoldStore } from './ports';
import { runBackup, type BackupDeps, type BackupInput, type BackupResult } from './workflow';

/** What the snapshot job needs besides the backup's own deps: where the content-drop hold lives. */
export interface SnapshotJobDeps extends BackupDeps {
  readonly holds: ContentHoldStore;
}

/** What the snapshot job takes besides the backup's own input. */
export interface SnapshotJobInput extends BackupInput {
  /**
   * Apply this retention policy to the cluster's backups once the new backup is stored.
   * @default - no retention (a manual `consul-ops backup`)
   */
  readonly retention?: RetentionPolicy;
  /** The bucket, to print `s3://` locations in the report. @default - keys without the bucket */
  readonly bucket?: string;
  /** The cluster's content-drop thresholds (deploy config `backup.contentDrop`). @default - the defaults */
  readonly contentDrop?: ContentDropThresholds;
}

/** What the snapshot job did. */
export interface SnapshotJobResult {
  readonly backup: BackupResult;
  /** The content-drop check (absent when the backup has no summary). */
  readonly contents?: ContentCheckResult;
  /** Absent when no retention policy was given. */
  readonly prune?: PruneResult;
}

/**
 * The snapshot job, the same through both front doors (the scheduled take-snapshot Lambda and `consul-ops backup`):
 * one verified backup ({@link runBackup}, its state.bin decoded in the same pass), the content-drop check against the
 * previous backup ({@link checkBackupContents}), then retention when a policy is given (content-drop holds kept),
 * and the report of the whole run. A failure after a stored backup fails the job (the backup stays: it is verified
 * and listed); so does a state.bin that cannot be decoded, and retention is then skipped.
 *
 * @example
 * const outcome = await runSnapshotJob({ consul, store, now }, { cluster: 'prod', prefix: 'snapshots', kind: 'scheduled', retention: policy });
 */
export async function runSnapshotJob(deps: SnapshotJobDeps, input: SnapshotJobInput): Promise<JobOutcome<SnapshotJobResult>> {
  let backup: BackupResult | undefined;
  let contents: ContentCheckResult | undefined;
  let prune: PruneResult | undefined;
  const report = (error?: unknown) =>
    buildBackupReport({ cluster: input.cluster, backup, contents, prune, error, bucket: input.bucket, finishedAt: deps.now() });
  try {
    backup = await withPermissionHelp('take-snapshot', () => runBackup(deps, input));
    const { summary, unreadable } = backup.contents;
    if (unreadable) throw new BackupContentsUnreadableError(backup.key, backup.versionId, unreadable);
    if (summary) contents = await checkBackupContents(deps, { cluster: input.cluster, prefix: input.prefix, thresholds: input.contentDrop }, backup, summary);
    if (input.retention !== undefined) prune = await runPrune(deps, { cluster: input.cluster, prefix: input.prefix, policy: input.retention });
  } catch (error) {
    return { ok: false, error, report: report(error) };
  }
  return { ok: true, result: { backup, ...(contents ? { contents } : {}), ...(prune ? { prune } : {}) }, report: report() };
}
