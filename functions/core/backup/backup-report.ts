import type { BackupResult } from './workflow';
import { summarizeError } from '../shared/errors';
import type { PruneResult } from '../retention/workflow';
import { describePrune, retentionFailedFinding, retentionGuardFinding, RETENTION_FINDING_IDS } from '../retention/retention-report';
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
  retentionFailed: RETENTION_FINDING_IDS.failed,
  retentionGuard: RETENTION_FINDING_IDS.guard,
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
    findings.push(
      backupFailed
        ? { id: BACKUP_FINDING_IDS.backupFailed, check: 'backup', severity: 'critical', subject: `cluster ${run.cluster}`, message: `${error.code}: ${error.message}`, remedy: error.remedy }
        : retentionFailedFinding(run.cluster, run.error),
    );
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

function titleOf(run: BackupRunOutcome): string {
  if (run.error !== undefined) return run.backup ? 'backup stored, retention failed' : 'backup failed';
  return run.prune?.guard ? 'backup ok, retention paused' : 'backup ok';
}

function describeBackup(b: BackupResult, bucket: string | undefined): string {
  const where = bucket ? `s3://${bucket}/${b.key}` : b.key;
  return `Stored a verified snapshot ${where} (${formatSize(b.sizeBytes)}, raft index ${b.consulIndex}, Consul ${b.consulVersion}) in ${(b.durationMs / 1000).toFixed(1)} s.`;
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
