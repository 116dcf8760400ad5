import { createReport, type Report } from '../report/report';
import { runJob, type JobOutcome } from '../report/job';
import { withPermissionHelp } from '../shared/acl-policies';
import { summarizeError } from '../shared/errors';
import { IntentionAuditStoreError } from './errors';
import { buildIntentionReport, runIntentionAudit, type IntentionAuditDeps, type IntentionAuditOutcome, type IntentionAuditRunInput } from './workflow';

/** Stable id of the finding of an audit that could not run. */
export const INTENTION_AUDIT_FAILED_ID = 'intention-audit-failed';

/**
 * The intention audit job, the same through both front doors (the scheduled audit-intentions Lambda and
 * `consul-ops audit-intentions`): {@link runIntentionAudit} and its report, which links the stored document. An
 * audit whose document could not be stored still reports its findings, then fails; an audit that could not read
 * the cluster reports one `high` finding.
 *
 * @example
 * const outcome = await runIntentionAuditJob({ consul, store, now }, { cluster: 'prod-east', baseline });
 */
export function runIntentionAuditJob(deps: IntentionAuditDeps, input: IntentionAuditRunInput): Promise<JobOutcome<IntentionAuditOutcome>> {
  return runJob(
    () => withPermissionHelp('audit-intentions', () => runIntentionAudit(deps, input)),
    (run) => (run.result ? buildIntentionReport(run.result.document, run.result.documentUrl) : failureReport(input.cluster, run.error, deps.now())),
  );
}

function failureReport(cluster: string, error: unknown, now: Date): Report {
  if (error instanceof IntentionAuditStoreError) return buildIntentionReport(error.document);
  const e = summarizeError(error);
  return createReport({
    feature: 'intentions',
    cluster,
    title: 'intention audit failed',
    summary: [`The audit did not finish: ${e.code}.`],
    findings: [{ id: INTENTION_AUDIT_FAILED_ID, check: 'intention-audit', severity: 'high', subject: `cluster ${cluster}`, message: `intentions were not audited: ${e.code}: ${e.message}`, remedy: e.remedy }],
    occurredAt: now.toISOString(),
    outcome: 'failed',
  });
}
