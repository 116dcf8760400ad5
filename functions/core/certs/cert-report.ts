import type { CertCheckResult } from './workflow';
import { STALE_LEAF_NOT_COMPARED_ID } from './evaluation';
import { CERT_KINDS } from './thresholds';
import { summarizeError } from '../shared/errors';
import { createReport, type Finding, type Report } from '../report/report';

/** What one scheduled certificate check did, as the handler saw it. */
export interface CertRunOutcome {
  readonly cluster: string;
  /** Absent when the run failed. */
  readonly result?: CertCheckResult;
  /** What was thrown, if anything. */
  readonly error?: unknown;
  readonly finishedAt: Date;
}

/** Stable id of the finding of a run that could not finish. */
export const CERT_CHECK_FAILED_ID = 'cert-check-failed';

/**
 * Turns a certificate check run into a {@link Report} (feature `certificates`): the findings as they are (their ids
 * are stable, so dedupe announces a problem once and its resolution once), a title naming the problems above `info`,
 * and summary lines with the minimum days left per kind. A run that failed is one `high` finding: certificates were
 * not checked.
 *
 * @example
 * const report = buildCertificateReport({ cluster: 'prod-east', result, finishedAt: new Date() });
 */
export function buildCertificateReport(run: CertRunOutcome): Report {
  if (!run.result) {
    const error = summarizeError(run.error);
    const finding: Finding = { id: CERT_CHECK_FAILED_ID, check: 'cert-check', severity: 'high', subject: `cluster ${run.cluster}`, message: `certificates were not checked: ${error.code}: ${error.message}`, remedy: error.remedy };
    return createReport({ feature: 'certificates', cluster: run.cluster, title: 'certificate check failed', summary: [`The check did not finish: ${error.code}.`], findings: [finding], occurredAt: run.finishedAt.toISOString(), outcome: 'failed' });
  }
  const { result } = run;
  const problems = result.findings.filter((f) => f.severity !== 'info');
  const m = result.metrics;
  const mins = CERT_KINDS.filter((k) => m.minDaysLeft[k] !== undefined).map((k) => `${k} ${m.minDaysLeft[k]}`);
  const summary = [
    `Checked ${result.certs.length} certificates: ${m.proxiesChecked} of ${m.proxiesTotal} sidecars answered (${m.proxiesUnreachable} unreachable), ${m.proxiesServingStaleLeaves} serve expired, stuck or stale leaves.`,
    ...(mins.length > 0 ? [`Minimum days left: ${mins.join(', ')}.`] : []),
    ...(result.findings.some((f) => f.id === STALE_LEAF_NOT_COMPARED_ID)
      ? ['Consul before 1.16 caches leaves per token: served leaves were not compared with the agent\'s; sidecars were judged on expiry, lifetime used and LeafCertTTL drift.']
      : []),
  ];
  const title = problems.length === 0 ? 'certificates OK' : `${problems.length} certificate ${problems.length === 1 ? 'problem' : 'problems'}`;
  // The trust domain is `<cluster-id>.consul`: public, and it would otherwise be masked as a UUID.
  const clusterId = /^([0-9a-f-]{36})\.consul$/i.exec(result.trustDomain)?.[1];
  return createReport({
    feature: 'certificates',
    cluster: run.cluster,
    title,
    summary,
    findings: result.findings,
    occurredAt: run.finishedAt.toISOString(),
    ...(clusterId ? { publicIds: [clusterId] } : {}),
  });
}
