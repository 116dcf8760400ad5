import { auditIntentions } from './audit';
import { baselineDigest, type IntentionBaseline } from './baseline';
import type { IntentionAuditDocument, IntentionAuditSnapshot, IntentionAuditSource, IntentionAuditStore } from './ports';
import { createReport, type Report } from '../report/report';
import { IntentionAuditStoreError } from './errors';
import { SEVERITIES, type Severity } from '../shared/severity';

/**
 * One workflow, two front doors: the scheduled audit-intentions Lambda and `consul-ops audit-intentions` both call
 * {@link runIntentionAudit}; only the wiring differs.
 */

/** What {@link runIntentionAudit} needs from outside. */
export interface IntentionAuditDeps {
  readonly consul: IntentionAuditSource;
  /** @default - the document is not stored */
  readonly store?: IntentionAuditStore;
  readonly now: () => Date;
}

/** What to audit. */
export interface IntentionAuditRunInput {
  /** The cluster name used in keys and reports. */
  readonly cluster: string;
  /** @default - no drift checks */
  readonly baseline?: IntentionBaseline;
}

/** What one run did. */
export interface IntentionAuditOutcome {
  readonly document: IntentionAuditDocument;
  /** Where the document was stored. */
  readonly documentUrl?: string;
}

/**
 * Reads the cluster's intention state, audits it and stores the full document. The report of the run is built by
 * the job (`runIntentionAuditJob`), which links the stored document instead of writing a second object.
 *
 * Invariant: a document that cannot be stored fails the run with {@link IntentionAuditStoreError}, which still
 * carries the document, so the findings are announced (without the link) and the run then fails and alarms.
 *
 * @example
 * const { document } = await runIntentionAudit({ consul: new ConsulIntentionSource(api), store, now: () => new Date() }, { cluster: 'prod-east', baseline });
 */
export async function runIntentionAudit(deps: IntentionAuditDeps, input: IntentionAuditRunInput): Promise<IntentionAuditOutcome> {
  const state = await deps.consul.readIntentionState();
  const scannedAt = deps.now();
  const document = buildAuditDocument(input, state, scannedAt);
  if (!deps.store) return { document };
  let documentUrl: string;
  try {
    documentUrl = await deps.store.saveAudit(document);
  } catch (err) {
    throw new IntentionAuditStoreError(document, err);
  }
  return { document, documentUrl };
}

/** Audits a snapshot and lays out the document. */
export function buildAuditDocument(input: IntentionAuditRunInput, state: IntentionAuditSnapshot, scannedAt: Date): IntentionAuditDocument {
  const result = auditIntentions({
    agent: state.agent,
    intentions: state.intentions,
    allowEnablingPermissiveMutualTLS: state.allowEnablingPermissiveMutualTLS,
    mutualTls: state.mutualTls,
    baseline: input.baseline,
  });
  return {
    version: 1,
    cluster: input.cluster,
    datacenter: state.datacenter,
    consulVersion: state.consulVersion,
    scannedAt: scannedAt.toISOString(),
    effectiveDefault: result.effectiveDefault.policy,
    defaults: result.effectiveDefault,
    baseline: input.baseline ? { sha256: baselineDigest(input.baseline), intentions: input.baseline.intentions.length } : null,
    inputs: { indexes: state.indexes, intentions: state.intentions.length, mutualTlsSettings: state.mutualTls.length },
    findings: result.findings,
    counts: countBySeverity(result.findings),
    resultHash: result.resultHash,
  };
}

/** Findings per severity, with a zero for every level (metrics want every series). */
export function countBySeverity(findings: readonly { readonly severity: Severity }[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** The short report for e-mail and Slack: the findings (fix as remedy), a few summary lines, the document link. */
export function buildIntentionReport(document: IntentionAuditDocument, documentUrl?: string): Report {
  const n = document.findings.length;
  const d = document.defaults;
  const summary = [
    `Audited ${document.inputs.intentions} intention(s) of datacenter ${document.datacenter} (Consul ${document.consulVersion}).`,
    `Effective default: ${d.policy} (decided by ${d.decidedBy}; ACLs ${d.aclsEnabled ? 'enabled' : 'disabled'}, acl.default_policy ${d.aclDefaultPolicy}, default_intention_policy ${d.defaultIntentionPolicy === null ? 'n/a' : `"${d.defaultIntentionPolicy}"`}${d.wildcardDeny ? ', * -> * deny present' : ''}).`,
    document.baseline ? `Compared with a baseline of ${document.baseline.intentions} intention(s) (sha256 ${document.baseline.sha256.slice(0, 12)}).` : 'No baseline configured: defaults, wildcards, shadowing and mTLS only.',
    `Result hash ${document.resultHash.slice(0, 16)}.`,
  ];
  return createReport({
    feature: 'intentions',
    cluster: document.cluster,
    title: n === 0 ? 'intentions ok' : `${n} intention finding${n === 1 ? '' : 's'}`,
    summary,
    findings: document.findings.map((f) => ({ id: f.id, check: f.check, severity: f.severity, subject: f.subject, message: f.message, remedy: f.fix })),
    occurredAt: document.scannedAt,
    ...(documentUrl === undefined ? {} : { reportUrl: documentUrl }),
  });
}
