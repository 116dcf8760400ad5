import { InvalidInputError } from '../shared/errors';
import type { Severity, Thresholds } from '../shared/severity';

/**
 * Severity as data for the certificate check: per kind of certificate, a `{ warning, critical }` pair, and the one
 * mapping from those levels to the shared severity scale.
 */

/** The kinds of certificate the check reports. */
export const CERT_KINDS = ['ca-root', 'leaf', 'proxy', 'endpoint'] as const;
/** One of {@link CERT_KINDS}: a Connect CA root or intermediate, an agent-issued leaf, a leaf a sidecar serves, a TLS endpoint. */
export type CertKind = (typeof CERT_KINDS)[number];

/** Thresholds of every kind. Days-left pairs have `warning >= critical`; the leaf pair has `warning <= critical`. */
export interface CertificateThresholds {
  /** Days left on the active CA root and its intermediates (S6). @default { warning: 90, critical: 30 } */
  readonly caRoot: Thresholds<number>;
  /** Days left on the earliest-expiring certificate of an endpoint's chain (S7). @default { warning: 28, critical: 14 } */
  readonly endpoint: Thresholds<number>;
  /**
   * Percent of its lifetime a leaf (served by a sidecar, or the agent's own) has used (S2). Healthy renewals happen
   * at 60–90 %, so anything past 90 % means renewal is stuck; a lower warning gives an earlier heads-up at the cost
   * of noise. @default { warning: 90, critical: 90 }
   */
  readonly leaf: Thresholds<number>;
}

/** A partial override, as the deploy config, the Lambda environment and the CLI give it. */
export type CertificateThresholdsInput = { readonly [K in keyof CertificateThresholds]?: Partial<Thresholds<number>> };

/** The defaults: enix x509-certificate-exporter for endpoints (28/14), ops-contracts S6 for roots (90/30), S2 for leaves. */
export const DEFAULT_CERT_THRESHOLDS: CertificateThresholds = {
  caRoot: { warning: 90, critical: 30 },
  endpoint: { warning: 28, critical: 14 },
  leaf: { warning: 90, critical: 90 },
};

/**
 * What each level means on the shared scale. A warning is `medium`: it reaches Slack and the full report but not the
 * default e-mail filter (critical, high), and does not fail `--fail-on high`; critical pages.
 */
export const LEVEL_SEVERITY = { warning: 'medium', critical: 'critical' } as const satisfies Record<keyof Thresholds<number>, Severity>;

/**
 * Severity of a days-left value: expired or under `critical` → critical, under `warning` → medium, else info.
 *
 * @example
 * severityForDaysLeft(10, { warning: 28, critical: 14 }) // 'critical'
 */
export function severityForDaysLeft(daysLeft: number, t: Thresholds<number>): Severity {
  if (daysLeft <= 0 || daysLeft < t.critical) return LEVEL_SEVERITY.critical;
  if (daysLeft < t.warning) return LEVEL_SEVERITY.warning;
  return 'info';
}

/** Severity of a percent-of-lifetime-used value: past `critical` → critical, past `warning` → medium, else info. */
export function severityForLifetimeUsed(percentUsed: number, t: Thresholds<number>): Severity {
  if (percentUsed >= 100 || percentUsed > t.critical) return LEVEL_SEVERITY.critical;
  if (percentUsed > t.warning) return LEVEL_SEVERITY.warning;
  return 'info';
}

/**
 * Merges an override onto the defaults and checks it; `field` names the source in errors (e.g. `certificates.thresholds`).
 *
 * @throws InvalidInputError naming the offending pair
 */
export function resolveCertThresholds(input: CertificateThresholdsInput = {}, field = 'thresholds'): CertificateThresholds {
  const merged: CertificateThresholds = {
    caRoot: { ...DEFAULT_CERT_THRESHOLDS.caRoot, ...input.caRoot },
    endpoint: { ...DEFAULT_CERT_THRESHOLDS.endpoint, ...input.endpoint },
    leaf: { ...DEFAULT_CERT_THRESHOLDS.leaf, ...input.leaf },
  };
  for (const key of ['caRoot', 'endpoint'] as const) {
    const { warning, critical } = merged[key];
    if (!isNumber(warning) || !isNumber(critical) || critical < 0 || warning < critical) {
      throw new InvalidInputError(`${field}.${key}`, `expected days left with warning >= critical >= 0, got ${JSON.stringify(merged[key])}`, `{ "warning": ${DEFAULT_CERT_THRESHOLDS[key].warning}, "critical": ${DEFAULT_CERT_THRESHOLDS[key].critical} }`);
    }
  }
  const { warning, critical } = merged.leaf;
  if (!isNumber(warning) || !isNumber(critical) || warning <= 0 || critical > 100 || warning > critical) {
    throw new InvalidInputError(`${field}.leaf`, `expected percent of lifetime used with 0 < warning <= critical <= 100, got ${JSON.stringify(merged.leaf)}`, '{ "warning": 90, "critical": 90 }');
  }
  return merged;
}

function isNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}
