import { l7Digest, normalizeL7Permissions, type L7Permission } from './l7';
import { decisionOf, intentionPrecedence } from './precedence';
import type { Severity } from '../shared/severity';

/**
 * The shared vocabulary of the intention audit: check names, findings, and intentions (live or from the baseline)
 * prepared for comparison (canonical L7 permissions, precedence, decision).
 */

/** The stable `check` names of the findings. */
export const INTENTION_CHECKS = {
  aclsDisabled: 'acls-disabled',
  defaultAllow: 'default-allow',
  defaultPolicyMismatch: 'default-policy-mismatch',
  wildcardSourceAllow: 'wildcard-source-allow',
  wildcardDestinationAllow: 'wildcard-destination-allow',
  unexpectedAllow: 'unexpected-allow',
  unexpectedDeny: 'unexpected-deny',
  missingAllow: 'missing-allow',
  missingDeny: 'missing-deny',
  changed: 'changed',
  shadowed: 'shadowed',
  permissiveMtls: 'permissive-mtls',
} as const;

/** One of {@link INTENTION_CHECKS}. */
export type IntentionCheck = (typeof INTENTION_CHECKS)[keyof typeof INTENTION_CHECKS];

/** One thing the audit found. `id` (`intention:<check>:<subject>`) is stable across runs, for report dedupe. */
export interface IntentionFinding {
  readonly id: string;
  readonly check: IntentionCheck;
  readonly severity: Severity;
  /** A pair (`web -> db`), a config entry (`service-defaults/web`), `mesh` or `cluster`. */
  readonly subject: string;
  readonly message: string;
  /** What the operator should do. */
  readonly fix: string;
}

/** An intention as Consul serves it (config-entry source, or the legacy list); `permissions` in wire form. */
export interface LiveIntention {
  readonly source: string;
  readonly destination: string;
  readonly sourcePeer?: string;
  readonly action?: 'allow' | 'deny';
  readonly permissions?: readonly unknown[];
  /** Where it was read: a `service-intentions` entry, or only the legacy `GET /v1/connect/intentions` list. */
  readonly origin: 'config-entry' | 'legacy-list';
}

/** A live or baseline intention with its canonical permissions, precedence and decision. */
export interface PreparedIntention {
  readonly source: string;
  readonly destination: string;
  readonly sourcePeer?: string;
  readonly action?: 'allow' | 'deny';
  readonly permissions?: readonly L7Permission[];
  readonly precedence: number;
  /** `allow`, `deny` or `l7:<canonical permissions>` (see `decisionOf`). */
  readonly decision: string;
  readonly origin?: LiveIntention['origin'];
}

/** Builds a finding with its stable id. */
export function intentionFinding(check: IntentionCheck, severity: Severity, subject: string, message: string, fix: string): IntentionFinding {
  return { id: `intention:${check}:${subject}`, check, severity, subject, message, fix };
}

/** Canonical permissions, precedence and decision of an intention. */
export function prepareIntention(i: Omit<LiveIntention, 'origin'> & { readonly origin?: LiveIntention['origin'] }): PreparedIntention {
  const permissions = i.permissions && i.permissions.length > 0 ? normalizeL7Permissions(i.permissions) : undefined;
  // Built field by field, not by spreads: this runs for every live and baseline intention of large meshes.
  const out: { -readonly [K in keyof PreparedIntention]: PreparedIntention[K] } = { source: i.source, destination: i.destination, precedence: 0, decision: '' };
  if (i.sourcePeer) out.sourcePeer = i.sourcePeer;
  if (permissions) out.permissions = permissions;
  else out.action = i.action ?? 'deny';
  if (i.origin) out.origin = i.origin;
  out.precedence = intentionPrecedence(out);
  out.decision = decisionOf(out, l7Digest);
  return out;
}

/** What the agent says about defaults (`GET /v1/agent/self` DebugConfig, and the response header). */
export interface AgentPolicyFacts {
  readonly aclsEnabled: boolean;
  /** `acl.default_policy`. */
  readonly aclDefaultPolicy: 'allow' | 'deny';
  /** `default_intention_policy`; `undefined` when this Consul version has no such option (before 1.18). */
  readonly defaultIntentionPolicy?: '' | 'allow' | 'deny';
  /** `X-Consul-Default-ACL-Policy`, recorded as seen. */
  readonly headerDefaultAclPolicy?: string;
}

/** Where a service's `MutualTLSMode` is set. */
export interface MutualTlsSetting {
  readonly kind: 'proxy-defaults' | 'service-defaults';
  readonly name: string;
  /** `strict`, `permissive` or `''` (strict). */
  readonly mode: string;
}

/** How an unmatched connection is decided, and why. */
export interface EffectiveDefault {
  readonly policy: 'allow' | 'deny';
  readonly decidedBy: 'default_intention_policy' | 'acl.default_policy' | 'acls-disabled';
  readonly aclsEnabled: boolean;
  readonly aclDefaultPolicy: 'allow' | 'deny';
  /** `null` when this Consul version has no `default_intention_policy`. */
  readonly defaultIntentionPolicy: '' | 'allow' | 'deny' | null;
  readonly headerDefaultAclPolicy: string | null;
  /** A live `* -> *` deny intention catches what nothing else matches. */
  readonly wildcardDeny: boolean;
}
