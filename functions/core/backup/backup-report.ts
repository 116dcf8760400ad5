import type { BackupResult } from './workflow';
import { summarizeError } from '../shared/errors';
import type { PruneResult } from '../retention/workflow';
import { describePrune, retentionFailedFinding, retentionGuardFinding, RETENTION_FINDING_IDS } from '../retention/retention-report';
import { createReport, type Finding, type Report } from '../report/report';
import type { ContentSummary } from '../snapshot-contents';
import type { ContentCheckResult } from './content-check';
import { BACKUP_ERROR_CODES } from './errors';

/** What one scheduled backup run did, as the handler saw it. */
export interface BackupRunOutcome {
  readonly cluster: string;
  /** The stored backup; absent when the backup step failed. */
  readonly backup?: BackupResult;
  /** The content-drop check; absent when it did not run. */
  readonly contents?: ContentCheckResult;
  /** The retention result; absent when the backup or the prune step failed. */
  readonly prune?: PruneResult;
  /**
   * What was thrown, if anything. With `backup` set, it came from a later step: the contents could not be decoded
   * (`BACKUP_CONTENTS_UNREADABLE`), the content check failed (no `contents`), or retention failed.
   */
  readonly error?: unknown;
  /** The bucket, to print `s3://` locations. @default - keys are printed without the bucket */
  readonly bucket?: string;
  readonly finishedAt: Date;
}

/** Stable finding ids of the backup report. */
export const BACKUP_FINDING_IDS = {
  backupFailed: 'backup-failed',
  contentsUnreadable: 'backup-contents-unreadable',
  contentsNotStored: 'backup-contents-not-stored',
  contentCheckFailed: 'content-check-failed',
  retentionFailed: RETENTION_FINDING_IDS.failed,
  retentionGuard: RETENTION_FINDING_IDS.guard,
} as const;

/**
 * Turns a backup run into a {@link Report}:
 * - the backup step failed: `critical` (no new restore point), with the error's message and remedy;
 * - the backup is stored but its state.bin could not be decoded: `high` (restorable, but the contents are unknown);
 * - content-drop findings: `high` (a count dropped beyond its threshold) or `medium` (intentions removed), repeated
 *   while the hold on the last good backup is open;
 * - the backup is stored but the content check or retention failed: `high` (storage grows, nothing is lost);
 * - retention's stop guard held deletes back: `medium`;
 * - otherwise `info`, which dedupe keeps quiet apart from the daily digest.
 *
 * @example
 * const report = buildBackupReport({ cluster: 'prod-east', backup, contents, prune, finishedAt: new Date() });
 */
export function buildBackupReport(run: BackupRunOutcome): Report {
  const findings: Finding[] = [...(run.contents?.findings ?? [])];
  const summary: string[] = [];
  if (run.backup) summary.push(describeBackup(run.backup, run.bucket));
  if (run.backup?.contents.summary) summary.push(describeContents(run.backup.contents.summary));
  if (run.contents) summary.push(...describeCheck(run.cluster, run.contents));
  const storeError = run.backup?.contents.storeError;
  if (storeError) {
    findings.push({ id: BACKUP_FINDING_IDS.contentsNotStored, check: 'backup', severity: 'high', subject: `cluster ${run.cluster}`, message: `the contents of ${run.backup?.key} were not stored: ${storeError.message}`, remedy: `${storeError.remedy} The next backup compares its counts with an older backup meanwhile.` });
  }
  if (run.prune) summary.push(describePrune(run.prune));
  if (run.error !== undefined) {
    const error = summarizeError(run.error);
    summary.push(run.backup === undefined ? `No backup was stored in this run: ${error.code}.` : `${stepOf(run, error.code)} did not finish: ${error.code}.`);
    findings.push(failureFinding(run, error));
  }
  const guard = run.prune && retentionGuardFinding(run.cluster, run.prune);
  if (guard) findings.push(guard);
  return createReport({
    feature: 'backup',
    cluster: run.cluster,
    title: titleOf(run),
    summary,
    findings,
    occurredAt: run.finishedAt.toISOString(),
    outcome: run.error === undefined ? 'succeeded' : 'failed',
  });
}

function failureFinding(run: BackupRunOutcome, error: ReturnType<typeof summarizeError>): Finding {
  const subject = `cluster ${run.cluster}`;
  if (run.backup === undefined) return { id: BACKUP_FINDING_IDS.backupFailed, check: 'backup', severity: 'critical', subject, message: `${error.code}: ${error.message}`, remedy: error.remedy };
  if (error.code === BACKUP_ERROR_CODES.contentsUnreadable) return { id: BACKUP_FINDING_IDS.contentsUnreadable, check: 'backup', severity: 'high', subject, message: `${error.code}: ${error.message}`, remedy: error.remedy };
  if (run.backup.contents.summary && run.contents === undefined) return { id: BACKUP_FINDING_IDS.contentCheckFailed, check: 'content-drop', severity: 'high', subject, message: `${error.code}: ${error.message}`, remedy: error.remedy };
  return retentionFailedFinding(run.cluster, run.error);
}

function stepOf(run: BackupRunOutcome, code: string): string {
  if (code === BACKUP_ERROR_CODES.contentsUnreadable) return 'The contents check (retention skipped)';
  return run.backup?.contents.summary && run.contents === undefined ? 'The content-drop check (retention skipped)' : 'Retention';
}

function titleOf(run: BackupRunOutcome): string {
  if (run.error !== undefined) {
    if (!run.backup) return 'backup failed';
    const code = summarizeError(run.error).code;
    return code === BACKUP_ERROR_CODES.contentsUnreadable ? 'backup stored, contents unreadable' : run.contents === undefined && run.backup.contents.summary ? 'backup stored, content check failed' : 'backup stored, retention failed';
  }
  if (run.contents && run.contents.findings.length > 0) return `backup ok, content drop (${run.contents.findings.length} finding${run.contents.findings.length > 1 ? 's' : ''})`;
  return run.prune?.guard ? 'backup ok, retention paused' : 'backup ok';
}

function describeBackup(b: BackupResult, bucket: string | undefined): string {
  const where = bucket ? `s3://${bucket}/${b.key}` : b.key;
  return `Stored a verified snapshot ${where} (${formatSize(b.sizeBytes)}, raft index ${b.consulIndex}, Consul ${b.consulVersion}) in ${(b.durationMs / 1000).toFixed(1)} s.`;
}

/** `Contents: 48210 KV entries, 12 services (30 instances) on 8 nodes, 30 ACL tokens, 12 ACL policies, …`. */
export function describeContents(s: ContentSummary): string {
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  return (
    `Contents: ${n(s.kv.entries, 'KV entry', 'KV entries')}, ${n(s.catalog.services, 'service', 'services')} (${n(s.catalog.serviceInstances, 'instance', 'instances')}) ` +
    `on ${n(s.catalog.nodes, 'node', 'nodes')}, ${n(s.acl.tokens, 'ACL token', 'ACL tokens')}, ${n(s.acl.policies, 'ACL policy', 'ACL policies')}, ` +
    `${n(s.intentions.entries, 'service-intentions entry', 'service-intentions entries')}, ${n(s.configEntries.total, 'config entry', 'config entries')}.`
  );
}

function describeCheck(cluster: string, c: ContentCheckResult): string[] {
  const ack = `\`consul-ops ack-drop --cluster ${cluster}\``;
  const held = c.hold.held ? `${c.hold.held.key} (version ${c.hold.held.versionId}, taken ${c.hold.held.takenAt})` : '';
  switch (c.hold.change) {
    case 'opened':
      return [`Content drop against ${c.comparedWith?.key}: keeping ${held}, the last backup before the drop, whatever retention says, until ${ack} or the counts recover.`];
    case 'kept':
      return [`Content-drop hold open since ${c.hold.openedAt}: keeping ${held} until ${ack} or the counts recover.`];
    case 'released':
      return ['Content-drop hold released: the counts recovered.'];
    default:
      return c.comparedWith ? [] : ['No earlier backup with stored contents to compare with.'];
  }
}

function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
