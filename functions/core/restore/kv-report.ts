import { createReport, type Finding, type Report } from '../report/report';
import { summarizeError } from '../shared/errors';
import type { Severity } from '../shared/severity';
import { RESTORE_ERROR_CODES } from './errors';
import { KV_NOT_RESTORED, type RestoreKvInput, type RestoreKvResult } from './kv-workflow';

/** What one `restore-kv` run did: a result, or the error it stopped with, and who asked for what. */
export interface RestoreKvRunOutcome {
  readonly cluster: string;
  /** What was asked (see {@link describeRestoreKvRequest}). */
  readonly request: string;
  readonly invokedBy: string;
  readonly result?: RestoreKvResult;
  readonly error?: unknown;
  readonly finishedAt: Date;
}

/** Stable finding ids of the `restore-kv` report. */
export const RESTORE_KV_FINDING_IDS = {
  applied: 'restore-kv-applied',
  conflicts: 'restore-kv-conflicts',
  failed: 'restore-kv-failed',
  refused: 'restore-kv-refused',
} as const;

/** Keys a report lists by name before "and N more". */
const LISTED_KEYS = 10;

/**
 * Turns a `restore-kv` run into a {@link Report} (feature `restore`, announced every time). Keys are named, values
 * never. Severity: applied `medium` (keys were written), keys left alone because they changed meanwhile `medium`,
 * stopped while writing `high` (some keys may be written), refused before writing `medium`, a plan `info`.
 *
 * @example
 * const report = buildRestoreKvReport({ cluster: 'prod', request: 'latest, prefix config/', invokedBy: 'alice', result, finishedAt: new Date() });
 */
export function buildRestoreKvReport(run: RestoreKvRunOutcome): Report {
  const base = { feature: 'restore' as const, cluster: run.cluster, alwaysNotify: true, occurredAt: run.finishedAt.toISOString() };
  const requested = `Requested: restore-kv ${run.request}; invoked by ${run.invokedBy}.`;
  if (run.result === undefined) {
    const error = summarizeError(run.error);
    const writing = error.code === RESTORE_ERROR_CODES.kvFailed || error.code === 'UNEXPECTED';
    const severity: Severity = writing ? 'high' : 'medium';
    return createReport({
      ...base,
      title: `restore-kv failed (${error.code})`,
      outcome: 'failed',
      summary: [writing ? 'restore-kv stopped while writing: the keys named below as applied were written, the rest not.' : 'restore-kv was refused before anything was written: the KV store is unchanged.', requested],
      findings: [{ id: writing ? RESTORE_KV_FINDING_IDS.failed : RESTORE_KV_FINDING_IDS.refused, check: 'restore-kv', severity, subject: `cluster ${run.cluster}`, message: `${error.code}: ${error.message}`, remedy: error.remedy }],
    });
  }
  const r = run.result;
  const c = r.counts;
  const findings: Finding[] = [];
  if (r.applied && r.outcome) {
    const o = r.outcome;
    findings.push({
      id: RESTORE_KV_FINDING_IDS.applied,
      check: 'restore-kv',
      severity: 'medium',
      subject: `KV prefix ${r.kvPrefix}`,
      message: `restored ${r.kvPrefix} from ${r.backup.key}: ${o.created} created, ${o.updated} updated, ${o.deleted} deleted, ${c.skip} unchanged`,
    });
    if (o.conflicts.length > 0) {
      findings.push({
        id: RESTORE_KV_FINDING_IDS.conflicts,
        check: 'restore-kv',
        severity: 'medium',
        subject: `KV prefix ${r.kvPrefix}`,
        message: `${o.conflicts.length} key(s) changed after the plan was made and were left alone: ${listKeys(o.conflicts.map((k) => k.key))}`,
        remedy: 'Someone else wrote these keys meanwhile: check them, then run restore-kv again if the backup\'s values should still win.',
      });
    }
  }
  return createReport({
    ...base,
    title: r.applied ? `restore-kv of ${r.kvPrefix} applied` : `restore-kv of ${r.kvPrefix} not applied (${r.notApplied ?? 'dry run'})`,
    summary: [
      `Plan for ${r.kvPrefix}: ${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.skip} unchanged, ${c.extra} not in the backup (left alone)${c.unaddressable ? `, ${c.unaddressable} not restorable (key not UTF-8)` : ''}.`,
      `Backup: ${r.backup.key} (version ${r.backup.versionId}, taken ${r.backup.takenAt}, raft index ${r.backup.consulIndex}).`,
      `Target: datacenter ${r.target.datacenter}, Consul ${r.target.consulVersion}.`,
      KV_NOT_RESTORED,
      requested,
    ],
    findings,
  });
}

/**
 * What a `restore-kv` asked for, in words: `prefix config/, latest, dryRun true, confirm missing, deleteExtra`.
 */
export function describeRestoreKvRequest(e: Pick<RestoreKvInput, 'cluster' | 'selector' | 'kvPrefix' | 'dryRun' | 'confirm' | 'deleteExtra' | 'allowCrossCluster'>): string {
  const s = e.selector;
  const which = 'latest' in s ? 'latest' : 'key' in s ? `key ${s.key}${s.versionId ? ` version ${s.versionId}` : ''}` : `newest at or before ${s.before.toISOString()}`;
  const flags = [e.deleteExtra && 'deleteExtra', e.allowCrossCluster && 'allowCrossCluster'].filter(Boolean);
  return `prefix ${e.kvPrefix}, ${which}, dryRun ${e.dryRun !== false}, confirm ${e.confirm === e.cluster ? 'given' : 'missing'}${flags.length ? `, ${flags.join(', ')}` : ''}`;
}

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, LISTED_KEYS).join(', ');
  return keys.length > LISTED_KEYS ? `${shown} and ${keys.length - LISTED_KEYS} more` : shown;
}
