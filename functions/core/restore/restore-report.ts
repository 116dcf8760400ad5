import { createReport, type Finding, type Report } from '../report/report';
import { summarizeError } from '../shared/errors';
import type { Severity } from '../shared/severity';
import { secretNameOf } from '../shared/secret-name';
import { RESTORE_ERROR_CODES } from './errors';
import type { TokenSecretPreflight, TokenSecretReconciliation } from './ports';
import type { RestoreInput, RestoreResult } from './workflow';

/** What one restore run did: a result, or the error it stopped with, and who asked for what. */
export interface RestoreRunOutcome {
  readonly cluster: string;
  /** What was asked, e.g. `latest, dryRun false, confirm given`. */
  readonly request: string;
  readonly invokedBy: string;
  readonly result?: RestoreResult;
  readonly error?: unknown;
  readonly finishedAt: Date;
}

/** Stable finding ids of the restore report. */
export const RESTORE_FINDING_IDS = {
  restored: 'restore-applied',
  failed: 'restore-failed',
  refused: 'restore-refused',
  checkFailed: 'restore-check-failed',
  tokenFailed: 'restore-token-failed',
} as const;

/**
 * Turns a restore run into a {@link Report}. A restore is an event people must hear about every time, so the report
 * is `alwaysNotify` (dedupe never holds it back). Severity:
 * - completed: `high` (the cluster's state was replaced), `critical` when a check after the restore failed;
 * - failed once the PUT began (or unexpectedly): `critical`, the cluster's state is in question;
 * - the safety snapshot failed: `high` (nothing was sent);
 * - refused before anything was sent: `medium`;
 * - a dry run: `info`.
 * A token secret whose token could not be made to work after the restore is a `high` finding of its own, with the
 * exact command that fixes it.
 *
 * @example
 * const report = buildRestoreReport({ cluster: 'prod-east', request: 'latest', invokedBy: 'alice', result, finishedAt: new Date() });
 */
export function buildRestoreReport(run: RestoreRunOutcome): Report {
  const base = {
    feature: 'restore' as const,
    cluster: run.cluster,
    alwaysNotify: true,
    occurredAt: run.finishedAt.toISOString(),
  };
  const requested = `Requested: ${run.request}; invoked by ${run.invokedBy}.`;
  if (run.result === undefined) {
    const error = summarizeError(run.error);
    const severity: Severity =
      error.code === RESTORE_ERROR_CODES.failed || error.code === 'UNEXPECTED' ? 'critical' : error.code === RESTORE_ERROR_CODES.safetySnapshotFailed ? 'high' : 'medium';
    const safetyKey = error.context.safetySnapshotKey;
    const sent = severity === 'critical';
    return createReport({
      ...base,
      title: `restore failed (${error.code})`,
      outcome: 'failed',
      summary: [
        sent ? 'The restore failed after the upload to Consul began.' : 'The restore was refused before anything was sent to Consul: the cluster is unchanged.',
        ...(typeof safetyKey === 'string' ? [`Safety snapshot of the state before: ${safetyKey}.`] : []),
        requested,
      ],
      findings: [
        {
          id: sent ? RESTORE_FINDING_IDS.failed : RESTORE_FINDING_IDS.refused,
          check: 'restore',
          severity,
          subject: `cluster ${run.cluster}`,
          message: `${error.code}: ${error.message}`,
          remedy: error.remedy,
        },
      ],
    });
  }
  const r = run.result;
  // Token secrets get findings of their own (below), with their fix commands.
  const failedChecks = r.checks.filter((c) => c.status === 'fail' && c.id !== 'tokens-after-restore');
  const findings: Finding[] = failedChecks.map((c) => ({
    id: `${RESTORE_FINDING_IDS.checkFailed}:${c.id}`,
    check: 'restore',
    severity: 'critical',
    subject: `cluster ${run.cluster}`,
    message: `check ${c.id} failed after the restore: ${c.detail}`,
    remedy: 'Check the cluster now (`consul operator raft list-peers`, `consul members`); the state from before is in the safety snapshot.',
  }));
  if (r.restored) {
    findings.push({
      id: RESTORE_FINDING_IDS.restored,
      check: 'restore',
      severity: 'high',
      subject: `cluster ${run.cluster}`,
      message: `the cluster's state was replaced by ${r.backup.key} (raft index ${r.backup.consulIndex}, taken ${r.backup.takenAt})`,
      remedy:
        r.tokenReconciliation === undefined
          ? 'Tokens created after the backup no longer exist: restore with the cluster\'s token secrets (CLI --secret-id / --management-secret-id, Lambda RESTORE_TOKEN_SECRET_ARNS) so they are re-created, then run the certificate check (Connect CA).'
          : 'Tokens created after the backup were reconciled (see the summary); run the certificate check (Connect CA).',
    });
  }
  findings.push(...tokenFindings(run.cluster, r.tokenReconciliation ?? []));
  const safety = r.safetySnapshot ? `${r.safetySnapshot.key} (version ${r.safetySnapshot.versionId})` : r.restored ? 'skipped on request' : 'none (nothing was sent)';
  return createReport({
    ...base,
    title: r.restored ? `restored raft index ${r.backup.consulIndex}${failedChecks.length ? ', check failed' : ''}` : `restore not applied (${r.notApplied ?? 'dry run'})`,
    summary: [
      r.summary,
      `Backup: ${r.backup.key} (version ${r.backup.versionId}, taken ${r.backup.takenAt}, raft index ${r.backup.consulIndex}, sha256 ${r.backup.sha256}).`,
      `Target: datacenter ${r.target.datacenter}, Consul ${r.target.consulVersion}.`,
      `Safety snapshot: ${safety}.`,
      `Durations: verify ${seconds(r.durations.verifyMs)}, safety snapshot ${seconds(r.durations.safetyMs)}, restore ${seconds(r.durations.restoreMs)}.`,
      `Checks: ${r.checks.map((c) => `${c.id} ${c.status}`).join(', ')}.`,
      ...tokenSummary(r),
      requested,
    ],
    findings,
    publicIds: tokenAccessorIds(r),
  });
}

/** One line per token secret: what the preflight found (a plan), or what the reconciliation did (AccessorIDs only). */
function tokenSummary(r: RestoreResult): string[] {
  if (r.tokenReconciliation !== undefined) {
    return r.tokenReconciliation.map((t) => {
      const redeleted = t.redeleted.length ? `; retired token(s) deleted again: ${t.redeleted.join(', ')}` : '';
      return `Token secret ${secretNameOf(t.secret)} (${t.role}${t.accessorId ? `, token ${t.accessorId}` : ''}): ${t.outcome}, ${t.detail}${redeleted}.`;
    });
  }
  return (r.tokens ?? []).map((t: TokenSecretPreflight) => `Token secret ${secretNameOf(t.secret)} (${t.role}${t.accessorId ? `, token ${t.accessorId}` : ''}): ${t.detail}.`);
}

/** A `high` finding per token secret whose token could not be made to work. */
function tokenFindings(cluster: string, results: readonly TokenSecretReconciliation[]): Finding[] {
  return results
    .filter((t) => t.outcome === 'failed')
    .map((t) => ({
      id: `${RESTORE_FINDING_IDS.tokenFailed}:${secretNameOf(t.secret)}`,
      check: 'restore-tokens',
      severity: 'high' as const,
      subject: `secret ${secretNameOf(t.secret)}`,
      message: `the ${t.role} token${t.accessorId ? ` ${t.accessorId}` : ''} of cluster ${cluster} does not work after the restore: ${t.detail}`,
      remedy: t.fixCommand
        ? `${t.error?.remedy ? `${t.error.remedy} ` : ''}Then run, with CONSUL_HTTP_ADDR and a management CONSUL_HTTP_TOKEN of the restored state: ${t.fixCommand}`
        : (t.error?.remedy ?? 'Create a token with the links it needs and store it in the secret (`aws secretsmanager put-secret-value`).'),
    }));
}

/** The AccessorIDs the report names on purpose (reports mask every other UUID). */
function tokenAccessorIds(r: RestoreResult): string[] {
  const fromPlan = (r.tokens ?? []).flatMap((t) => (t.accessorId ? [t.accessorId] : []));
  const fromResults = (r.tokenReconciliation ?? []).flatMap((t) => [...(t.accessorId ? [t.accessorId] : []), ...t.redeleted]);
  // Link IDs in the fix commands we built, and the tokens whose links were copied ("token <accessor>").
  const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
  const inText = (r.tokenReconciliation ?? []).flatMap((t) => [
    ...(t.fixCommand?.match(new RegExp(uuid, 'gi')) ?? []),
    ...[...t.detail.matchAll(new RegExp(`token (${uuid})`, 'gi'))].map((m) => m[1]),
  ]);
  return [...new Set([...fromPlan, ...fromResults, ...inText])];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * What a restore asked for, in words, for logs and the report, e.g. `latest, dryRun false, confirm given,
 * allowCrossCluster`. Never contains anything secret.
 */
export function describeRestoreRequest(e: Pick<RestoreInput, 'cluster' | 'selector' | 'dryRun' | 'confirm' | 'allowCrossCluster' | 'forceVersionMismatch' | 'skipSafetySnapshot'>): string {
  const s = e.selector;
  const which = 'latest' in s ? 'latest' : 'key' in s ? `key ${s.key}${s.versionId ? ` version ${s.versionId}` : ''}` : `newest at or before ${s.before.toISOString()}`;
  const flags = [e.allowCrossCluster && 'allowCrossCluster', e.forceVersionMismatch && 'forceVersionMismatch', e.skipSafetySnapshot && 'skipSafetySnapshot'].filter(Boolean);
  return `${which}, dryRun ${e.dryRun !== false}, confirm ${e.confirm === e.cluster ? 'given' : 'missing'}${flags.length ? `, ${flags.join(', ')}` : ''}`;
}
