/**
 * Severity as data: one ordered scale shared by every check (certificate expiry, token age, intention drift, backup
 * health), so thresholds, `--fail-on` and SNS filter policies all speak the same words.
 */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** One level of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** Thresholds keyed by level, e.g. `{ warning: 28, critical: 14 }` days for a TLS endpoint. */
export interface Thresholds<T> {
  readonly warning: T;
  readonly critical: T;
}

/** Rank of a severity: higher is worse. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when `severity` is at or above `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/** The worst severity of a list, or `undefined` for an empty list. */
export function worstSeverity(severities: Iterable<Severity>): Severity | undefined {
  let worst: Severity | undefined;
  for (const s of severities) if (worst === undefined || severityRank(s) > severityRank(worst)) worst = s;
  return worst;
}

/** Type guard for user input (CLI flags, config). */
export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
