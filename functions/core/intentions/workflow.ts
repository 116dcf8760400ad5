import { auditIntentions, type AgentPolicyFacts, type EffectiveDefault, type MutualTlsSetting } from './audit';
import { baselineDigest, type IntentionBaseline } from './baseline';
import type { IntentionFinding, LiveIntention } from './model';
import { createReport, type Report } from '../report/report';
import { publishReport, type PublishOutcome, type ReportDeps } from '../report/publish';
import { SEVERITIES, type Severity } from '../shared/severity';

/**
 * One workflow, two front doors: the scheduled audit-intentions Lambda and `consul-ops audit-intentions` both call
 * {@link runIntentionAudit}; only the wiring differs.
 */

/** What the Consul adapter reads for an audit. */
export interface IntentionAuditSnapshot {
  readonly datacenter: string;
  readonly consulVersion: string;
  readonly agent: AgentPolicyFacts;
  readonly intentions: readonly LiveIntention[];
  readonly allowEnablingPermissiveMutualTLS: boolean;
  readonly mutualTls: readonly MutualTlsSetting[];
  /** `X-Consul-Index` of each read, e.g. `{ 'service-intentions': 812, mesh: 17 }`: what state was audited. */
  readonly indexes: Readonly<Record<string, number>>;
}

/** Reads a cluster's intention state (the Consul adapter). */
export interface IntentionAuditSource {
  readIntentionState(): Promise<IntentionAuditSnapshot>;
}

/** Keeps the full JSON document (the S3 adapter: `reports/<cluster>/intentions/<timestamp>.json`). */
export interface IntentionAuditStore {
  /** Stores the document and returns where (`s3://…`). */
  saveAudit(document: IntentionAuditDocument): Promise<string>;
}

/** What {@link runIntentionAudit} needs from outside. */
export interface IntentionAuditDeps {
  readonly consul: IntentionAuditSource;
  /** @default - the document is not stored */
  readonly store?: IntentionAuditStore;
  /** @default - no report is published */
  readonly reports?: ReportDeps;
  readonly now: () => Date;
}

/** What to audit. */
export interface IntentionAuditRunInput {
  /** The cluster name used in keys and reports. */
  readonly cluster: string;
  /** @default - no drift checks */
  readonly baseline?: IntentionBaseline;
}

/** The full audit result, stored as JSON. */
export interface IntentionAuditDocument {
  readonly version: 1;
  readonly cluster: string;
  readonly datacenter: string;
  readonly consulVersion: string;
  /** ISO-8601 time the state was read. */
  readonly scannedAt: string;
  readonly effectiveDefault: 'allow' | 'deny';
  readonly defaults: EffectiveDefault;
  /** `null` without a baseline. */
  readonly baseline: { readonly sha256: string; readonly intentions: number } | null;
  readonly inputs: { readonly indexes: Readonly<Record<string, number>>; readonly intentions: number; readonly mutualTlsSettings: number };
  readonly findings: readonly IntentionFinding[];
  /** Findings per severity, every level present. */
  readonly counts: Readonly<Record<Severity, number>>;
  readonly resultHash: string;
}

/** What one run did. */
export interface IntentionAuditOutcome {
  readonly document: IntentionAuditDocument;
  /** Where the document was stored. */
  readonly documentUrl?: string;
  /** The report publish, when `deps.reports` was given. */
  readonly publish?: PublishOutcome;
}

/**
 * Reads the cluster's intention state, audits it, stores the full document, and publishes a short report through
 * the shared report path (dedupe, SNS). The report's "full report" link is the stored document; no second object
 * is written.
 *
 * Invariant: a failed store does not hold the report back (findings are still announced, without the link); the
 * store error is thrown after the publish, so the run still fails and alarms. A failed publish throws.
 *
 * @example
 * const { document } = await runIntentionAudit({ consul: new ConsulIntentionSource(api), store, reports, now: () => new Date() }, { cluster: 'prod-east', baseline });
 */
export async function runIntentionAudit(deps: IntentionAuditDeps, input: IntentionAuditRunInput): Promise<IntentionAuditOutcome> {
  const state = await deps.consul.readIntentionState();
  const scannedAt = deps.now();
  const document = buildAuditDocument(input, state, scannedAt);
  let documentUrl: string | undefined;
  let storeError: unknown;
  if (deps.store) {
    try {
      documentUrl = await deps.store.saveAudit(document);
    } catch (err) {
      storeError = err;
    }
  }
  let publish: PublishOutcome | undefined;
  if (deps.reports) {
    const { store } = deps.reports;
    // The full document is already stored: hand its location to the report path instead of a second object.
    const linked = { saveReport: () => Promise.resolve(documentUrl), loadState: store.loadState.bind(store), saveState: store.saveState.bind(store) };
    publish = await publishReport({ ...deps.reports, store: linked }, buildIntentionReport(document, documentUrl));
  }
  if (storeError !== undefined) throw storeError;
  return { document, ...(documentUrl === undefined ? {} : { documentUrl }), ...(publish ? { publish } : {}) };
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
