import { createReport, type Finding, type Report } from '../report/report';
import { summarizeError } from '../shared/errors';
import type { PruneResult } from './workflow';

/** Stable finding ids of retention. */
export const RETENTION_FINDING_IDS = {
  failed: 'retention-failed',
  guard: 'retention-guard',
} as const;

/** One line about a prune, e.g. `Retention (24h/7d/4w/6m): kept 30, deleted 1.` */
export function describePrune(p: PruneResult): string {
  const leftovers = p.leftovers.length > 0 ? `, ${p.leftovers.length} leftover(s) ${p.dryRun ? 'to clean up' : 'cleaned up'}` : '';
  return `Retention (${p.policy})${p.dryRun ? ', dry run' : ''}: kept ${p.kept.length}, ${p.dryRun ? 'would delete' : 'deleted'} ${p.deleted.length}${leftovers}.`;
}

/** The `medium` finding of a prune whose stop guard held deletes back, or `undefined`. */
export function retentionGuardFinding(cluster: string, p: PruneResult): Finding | undefined {
  if (!p.guard) return undefined;
  return {
    id: RETENTION_FINDING_IDS.guard,
    check: 'retention-guard',
    severity: 'medium',
    subject: `cluster ${cluster}`,
    message: p.guard.message,
    remedy:
      p.guard.kind === 'empty-policy'
        ? 'Give the retention policy at least one keep rule (e.g. backup.retention.daily: 7) in the deploy config.'
        : 'Nothing was deleted. Find out why the newest verified backup is old (see the backup alerts and the function logs); retention resumes by itself.',
  };
}

/** The `high` finding of a retention run that failed (storage grows; nothing is lost). */
export function retentionFailedFinding(cluster: string, error: unknown): Finding {
  const e = summarizeError(error);
  return { id: RETENTION_FINDING_IDS.failed, check: 'retention', severity: 'high', subject: `cluster ${cluster}`, message: `${e.code}: ${e.message}`, remedy: e.remedy };
}

/** What one prune run (`consul-ops prune`) did. */
export interface PruneRunOutcome {
  readonly cluster: string;
  readonly prune?: PruneResult;
  readonly error?: unknown;
  readonly finishedAt: Date;
}

/**
 * The report of a prune run on its own (`consul-ops prune`; the scheduled job reports retention inside the backup
 * report): `high` when it failed, `medium` when the stop guard held deletes back, else `info`.
 */
export function buildPruneReport(run: PruneRunOutcome): Report {
  const guard = run.prune && retentionGuardFinding(run.cluster, run.prune);
  const findings = [...(guard ? [guard] : []), ...(run.error !== undefined ? [retentionFailedFinding(run.cluster, run.error)] : [])];
  return createReport({
    feature: 'retention',
    cluster: run.cluster,
    title: run.error !== undefined ? 'retention failed' : guard ? 'retention paused' : run.prune?.dryRun ? 'retention dry run' : 'retention ok',
    summary: run.prune ? [describePrune(run.prune)] : [`Retention did not finish: ${summarizeError(run.error).code}.`],
    findings,
    occurredAt: run.finishedAt.toISOString(),
    outcome: run.error === undefined ? 'succeeded' : 'failed',
  });
}
