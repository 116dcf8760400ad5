import type { BackupResult } from './workflow';
import { summarizeError } from '../shared/errors';
import type { PruneResult } from '../retention/workflow';
import { createReport, type Finding, type Report } from '../report/report';

/** What one scheduled backup run did, as the handler saw it. */
export interface BackupRunOutcome {
  readonly cluster: string;
  /** The stored backup; absent when the backup step failed. */
  readonly backup?: BackupResult;
  /** The retention result; absent when the backup or the prune step failed. */
  readonly prune?: PruneResult;
  /** What was thrown, if anything. With `backup` set, it came from the retention step. */
  readonly error?: unknown;
  /** The bucket, to print `s3://` locations. @default - keys are printed without the bucket */
  readonly bucket?: string;
  readonly finishedAt: Date;
}

/** Stable finding ids of the backup report. */
export const BACKUP_FINDING_IDS = {
  backupFailed: 'backup-failed',
  retentionFailed: 'retention-failed',
  retentionGuard: 'retention-guard',
} as const;

/**
 * Turns a backup run into a {@link Report}:
 * - the backup step failed: `critical` (no new restore point), with the error's message and remedy;
 * - the backup is stored but retention failed: `high` (storage grows, nothing is lost);
 * - retention's stop guard held deletes back: `medium`;
 * - otherwise `info`, which dedupe keeps quiet apart from the daily digest.
 *
 * @example
 * const report = buildBackupReport({ cluster: 'prod-east', backup, prune, finishedAt: new Date() });
 */
export function buildBackupReport(run: BackupRunOutcome): Report {
  const findings: Finding[] = [];
  const summary: string[] = [];
  if (run.backup) summary.push(describeBackup(run.backup, run.bucket));
  if (run.prune) summary.push(describePrune(run.prune));
  if (run.error !== undefined) {
    const error = summarizeError(run.error);
    const backupFailed = run.backup === undefined;
    summary.push(backupFailed ? `No backup was stored in this run: ${error.code}.` : `Retention did not finish: ${error.code}.`);
    findings.push({
      id: backupFailed ? BACKUP_FINDING_IDS.backupFailed : BACKUP_FINDING_IDS.retentionFailed,
      check: backupFailed ? 'backup' : 'retention',
      severity: backupFailed ? 'critical' : 'high',
      subject: `cluster ${run.cluster}`,
      message: `${error.code}: ${error.message}`,
      remedy: error.remedy,
    });
  }
  if (run.prune?.guard) {
    findings.push({
      id: BACKUP_FINDING_IDS.retentionGuard,
      check: 'retention-guard',
      severity: 'medium',
      subject: `cluster ${run.cluster}`,
      message: run.prune.guard.message,
      remedy:
        run.prune.guard.kind === 'empty-policy'
          ? 'Give the retention policy at least one keep rule (e.g. backup.retention.daily: 7) in the deploy config.'
          : 'Nothing was deleted. Find out why the newest verified backup is old (see the backup alerts and the function logs); retention resumes by itself.',
    });
  }
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

function titleOf(run: BackupRunOutcome): string {
  if (run.error !== undefined) return run.backup ? 'backup stored, retention failed' : 'backup failed';
  return run.prune?.guard ? 'backup ok, retention paused' : 'backup ok';
}

function describeBackup(b: BackupResult, bucket: string | undefined): string {
  const where = bucket ? `s3://${bucket}/${b.key}` : b.key;
  return `Stored a verified snapshot ${where} (${formatSize(b.sizeBytes)}, raft index ${b.consulIndex}, Consul ${b.consulVersion}) in ${(b.durationMs / 1000).toFixed(1)} s.`;
}

function describePrune(p: PruneResult): string {
  const leftovers = p.leftovers.length > 0 ? `, ${p.leftovers.length} leftover(s) cleaned up` : '';
  return `Retention (${p.policy}): kept ${p.kept.length}, deleted ${p.deleted.length}${leftovers}.`;
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
