import type { AgentPolicyFacts, EffectiveDefault, IntentionFinding, LiveIntention, MutualTlsSetting } from './model';
import type { Severity } from '../shared/severity';

/**
 * The ports of the intention audit: what it reads from Consul and where it keeps its full document. Adapters:
 * `functions/adapters/consul/intention-source.ts`, `functions/adapters/s3-intention-audit-store.ts`.
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
