import { createHash } from 'node:crypto';
import type { IntentionBaseline } from './baseline';
import { diffAgainstBaseline, findShadowedIntentions } from './drift';
import { canonicalJson } from './l7';
import { INTENTION_CHECKS, intentionFinding, prepareIntention, type AgentPolicyFacts, type EffectiveDefault, type IntentionFinding, type LiveIntention, type MutualTlsSetting, type PreparedIntention } from './model';
import { allowsTraffic, describePair, IntentionIndex, intentionKey, WILDCARD } from './precedence';
import { severityRank } from '../shared/severity';

/**
 * The intention audit: how an unmatched connection is decided (never asked of `/v1/connect/intentions/check`, which
 * PR #23868 showed to be wrong when the settings disagree), wildcard allows, drift against a baseline, shadowed
 * rules and permissive mTLS. Pure: plain data in, findings and a stable result hash out.
 */

/** Everything the audit looks at. */
export interface IntentionAuditInput {
  readonly agent: AgentPolicyFacts;
  readonly intentions: readonly LiveIntention[];
  /** The `mesh` config entry's `AllowEnablingPermissiveMutualTLS`. @default false (no mesh entry) */
  readonly allowEnablingPermissiveMutualTLS?: boolean;
  /** @default [] */
  readonly mutualTls?: readonly MutualTlsSetting[];
  /** @default - no drift checks: defaults, wildcards, shadowing and mTLS only */
  readonly baseline?: IntentionBaseline;
}

/** The audit's answer. */
export interface IntentionAuditResult {
  readonly effectiveDefault: EffectiveDefault;
  /** Worst first, then by check and subject: the same for the same state whatever the input order. */
  readonly findings: readonly IntentionFinding[];
  /** sha256 (hex) over the canonical findings, order-independent: unchanged hash, unchanged posture. */
  readonly resultHash: string;
}

/**
 * Audits a mesh's intentions.
 *
 * @example
 * const { effectiveDefault, findings, resultHash } = auditIntentions({ agent, intentions, mutualTls, baseline });
 */
export function auditIntentions(input: IntentionAuditInput): IntentionAuditResult {
  const live = dedupeLive(input.intentions.map(prepareIntention));
  const index = new IntentionIndex(live);
  const effectiveDefault = resolveEffectiveDefault(input.agent, index.get({ source: WILDCARD, destination: WILDCARD })?.action === 'deny');
  const findings = [
    ...checkDefaults(effectiveDefault),
    ...checkWildcards(live),
    ...(input.baseline ? diffAgainstBaseline(live, index, input.baseline, effectiveDefault.policy) : []),
    ...findShadowedIntentions(live, index),
    ...checkMutualTls(input.allowEnablingPermissiveMutualTLS === true, input.mutualTls ?? []),
  ];
  const sorted = sortIntentionFindings(findings);
  return { effectiveDefault, findings: sorted, resultHash: intentionResultHash(sorted) };
}

/** One intention per identity: the config-entry form wins over a legacy-list duplicate. */
function dedupeLive(live: readonly PreparedIntention[]): PreparedIntention[] {
  const byKey = new Map<string, PreparedIntention>();
  for (const i of live) {
    const key = intentionKey(i);
    if (!byKey.has(key) || (byKey.get(key)!.origin === 'legacy-list' && i.origin === 'config-entry')) byKey.set(key, i);
  }
  return [...byKey.values()];
}

/**
 * The decision for a connection no intention matches (ops-contracts §4.1): `default_intention_policy` when set,
 * else the ACL default policy, and allow with ACLs disabled.
 */
export function resolveEffectiveDefault(agent: AgentPolicyFacts, wildcardDeny: boolean): EffectiveDefault {
  const dip = agent.defaultIntentionPolicy;
  const fromAcl = agent.aclsEnabled ? agent.aclDefaultPolicy : 'allow';
  const set = dip === 'allow' || dip === 'deny';
  return {
    policy: set ? dip : fromAcl,
    decidedBy: set ? 'default_intention_policy' : agent.aclsEnabled ? 'acl.default_policy' : 'acls-disabled',
    aclsEnabled: agent.aclsEnabled,
    aclDefaultPolicy: agent.aclDefaultPolicy,
    defaultIntentionPolicy: dip ?? null,
    headerDefaultAclPolicy: agent.headerDefaultAclPolicy ?? null,
    wildcardDeny,
  };
}

function checkDefaults(d: EffectiveDefault): IntentionFinding[] {
  const out: IntentionFinding[] = [];
  const C = INTENTION_CHECKS;
  if (!d.aclsEnabled) {
    out.push(intentionFinding(C.aclsDisabled, 'critical', 'cluster', 'ACLs are disabled: any client can read and rewrite intentions, and unless default_intention_policy is "deny" every connection no intention matches is allowed.', 'Enable ACLs (acl { enabled = true, default_policy = "deny" }), bootstrap them and give services tokens.'));
  }
  if (d.policy === 'allow') {
    const shield = d.wildcardDeny ? ' A "* -> *" deny intention catches that traffic today, but deleting that one intention opens the whole mesh.' : '';
    out.push(intentionFinding(C.defaultAllow, 'critical', 'cluster', `Connections that no intention matches are allowed (effective default "allow", decided by ${d.decidedBy}).${shield}`, 'Add explicit allow intentions for the traffic you need, then set default_intention_policy = "deny" (Consul >= 1.18) or acl.default_policy = "deny".'));
  }
  const fromAcl = d.aclsEnabled ? d.aclDefaultPolicy : 'allow';
  if ((d.defaultIntentionPolicy === 'allow' || d.defaultIntentionPolicy === 'deny') && d.defaultIntentionPolicy !== fromAcl) {
    out.push(intentionFinding(C.defaultPolicyMismatch, 'medium', 'cluster', `default_intention_policy is "${d.defaultIntentionPolicy}" but the ACL default is "${fromAcl}": Envoy enforces "${d.defaultIntentionPolicy}", while /v1/connect/intentions/check, the UI topology view and transparent-proxy upstreams use "${fromAcl}" on servers without hashicorp/consul#23868.`, 'Make acl.default_policy agree with default_intention_policy (or upgrade to a release with #23868), and do not trust `consul intention check` until then.'));
  }
  return out;
}

function checkWildcards(live: readonly PreparedIntention[]): IntentionFinding[] {
  const out: IntentionFinding[] = [];
  for (const i of live) {
    if (!allowsTraffic(i)) continue;
    const pair = describePair(i);
    const what = i.permissions ? 'allows (by L7 permissions)' : 'allows';
    if (i.source === WILDCARD) {
      const from = i.sourcePeer ? `every service of peer ${i.sourcePeer}` : 'every service in the mesh';
      const to = i.destination === WILDCARD ? 'every service' : i.destination;
      out.push(intentionFinding(INTENTION_CHECKS.wildcardSourceAllow, 'critical', pair, `${pair} ${what} ${from} to reach ${to} (precedence ${i.precedence}).`, `Replace it with one allow intention per source that needs ${to}, then delete ${pair}.`));
    } else if (i.destination === WILDCARD) {
      out.push(intentionFinding(INTENTION_CHECKS.wildcardDestinationAllow, 'high', pair, `${pair} ${what} ${i.source} to reach every service, including ones added later (precedence ${i.precedence}).`, `Replace it with one allow intention per destination ${i.source} needs, then delete ${pair}.`));
    }
  }
  return out;
}

function checkMutualTls(meshAllowsPermissive: boolean, settings: readonly MutualTlsSetting[]): IntentionFinding[] {
  const out: IntentionFinding[] = [];
  const C = INTENTION_CHECKS;
  if (meshAllowsPermissive) {
    out.push(intentionFinding(C.permissiveMtls, 'high', 'mesh', 'The mesh config entry sets AllowEnablingPermissiveMutualTLS = true: services may switch to permissive mTLS and accept plain-text connections that intentions cannot identify.', 'Set AllowEnablingPermissiveMutualTLS = false in the mesh entry once no service needs permissive mode (e.g. after a migration onto the mesh).'));
  }
  for (const s of settings) {
    if (s.mode.toLowerCase() !== 'permissive') continue;
    const subject = `${s.kind}/${s.name}`;
    const scope = s.kind === 'proxy-defaults' ? 'every proxy' : `service ${s.name}`;
    out.push(intentionFinding(C.permissiveMtls, 'high', subject, `${subject} sets MutualTLSMode = "permissive": ${scope} also accepts non-mTLS connections, which bypass intentions.`, `Set MutualTLSMode = "strict" (or remove it) in ${subject} once its clients are in the mesh.`));
  }
  return out;
}

/** Worst first, then by check, subject and message. */
export function sortIntentionFindings(findings: readonly IntentionFinding[]): IntentionFinding[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || cmp(a.check, b.check) || cmp(a.subject, b.subject) || cmp(a.message, b.message));
}

/** sha256 (hex) over the canonical JSON of each finding (`check`, `severity`, `subject`, `message`, `fix`), sorted. */
export function intentionResultHash(findings: readonly IntentionFinding[]): string {
  const lines = findings.map((f) => canonicalJson({ check: f.check, severity: f.severity, subject: f.subject, message: f.message, fix: f.fix })).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
