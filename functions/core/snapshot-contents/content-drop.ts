import type { Finding } from '../report/report';
import { InvalidInputError } from '../shared/errors';
import { SEVERITIES, type Severity } from '../shared/severity';
import { SUMMARY_COUNTS } from './content-diff';
import type { ContentSummary } from './content-summary';

/**
 * The content-drop alarm: each scheduled backup compares its {@link ContentSummary} with the previous verified
 * backup's. Someone wiping a KV tree or half the ACL tokens makes every later backup faithfully store the damage;
 * this catches it while the last good backup still exists.
 */

/** Per-cluster thresholds (the deploy config supplies them). Percentages are drops, 0–100; 100 turns a check off. */
export interface ContentDropThresholds {
  /** A drop of KV entries by more than this percentage is a `high` finding. @default 20 */
  readonly kvEntriesDropPercent?: number;
  /** A drop of ACL tokens by more than this percentage is a `high` finding. @default 20 */
  readonly aclTokensDropPercent?: number;
  /** A drop of distinct service names by more than this percentage is a `high` finding. @default 20 */
  readonly servicesDropPercent?: number;
  /** Severity of a finding when any `service-intentions` entry disappears; `off` disables it. @default 'medium' */
  readonly intentionRemovedSeverity?: Severity | 'off';
}

/** The defaults of {@link ContentDropThresholds}. */
export const DEFAULT_CONTENT_DROP_THRESHOLDS: Required<ContentDropThresholds> = {
  kvEntriesDropPercent: 20,
  aclTokensDropPercent: 20,
  servicesDropPercent: 20,
  intentionRemovedSeverity: 'medium',
};

const PERCENT_FIELDS = ['kvEntriesDropPercent', 'aclTokensDropPercent', 'servicesDropPercent'] as const;

/**
 * Validates per-cluster thresholds (from the deploy config or the Lambda environment) and applies the defaults.
 *
 * @throws InvalidInputError naming the field (`<where>.kvEntriesDropPercent`…) for a percentage outside 0–100, an
 * unknown severity or an unknown field.
 */
export function resolveContentDropThresholds(input: Readonly<Record<string, unknown>> = {}, where = 'contentDrop'): Required<ContentDropThresholds> {
  const known = new Set<string>([...PERCENT_FIELDS, 'intentionRemovedSeverity']);
  const unknown = Object.keys(input).find((k) => !known.has(k));
  if (unknown !== undefined) throw new InvalidInputError(`${where}.${unknown}`, `is not a threshold (known: ${[...known].join(', ')})`, '{ "kvEntriesDropPercent": 20 }');
  for (const field of PERCENT_FIELDS) {
    const v = input[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100)) {
      throw new InvalidInputError(`${where}.${field}`, `must be a percentage from 0 to 100 (100 turns the check off), got ${JSON.stringify(v)}`, '20');
    }
  }
  const severity = input.intentionRemovedSeverity;
  if (severity !== undefined && severity !== 'off' && !(SEVERITIES as readonly unknown[]).includes(severity)) {
    throw new InvalidInputError(`${where}.intentionRemovedSeverity`, `must be one of ${[...SEVERITIES, 'off'].join(', ')}, got ${JSON.stringify(severity)}`, '"medium"');
  }
  return { ...DEFAULT_CONTENT_DROP_THRESHOLDS, ...(input as ContentDropThresholds) };
}

/** One number for the dashboard (a metric per type). */
export interface ContentMetric {
  /** CamelCase metric name, e.g. `KvEntries`. */
  readonly name: string;
  readonly value: number;
  /** The previous backup's value, when there is one. */
  readonly previous?: number;
}

/** What the evaluation returns. */
export interface ContentDropEvaluation {
  /** Findings for the backup report (`check: 'content-drop'`), worst first. */
  readonly findings: readonly Finding[];
  readonly metrics: readonly ContentMetric[];
}

/** Context for the findings' wording. */
export interface ContentDropContext {
  /** The previous backup (its key), named in the remedy. */
  readonly previousBackup?: string;
  /** The cluster, for the `ack-drop` hint. */
  readonly cluster?: string;
}

/** The `check` of every finding here. */
export const CONTENT_DROP_CHECK = 'content-drop';

/**
 * Compares `current` with `previous` (undefined for a cluster's first backup: metrics only).
 *
 * @example
 * const { findings, metrics } = evaluateContentDrop(previous.summary, current.summary, cluster.contentDrop, { cluster: 'prod' });
 * // findings[0].message: 'KV entries 48 210 → 1 002 (−98 %) under `config/`'
 */
export function evaluateContentDrop(
  previous: ContentSummary | undefined,
  current: ContentSummary,
  thresholds: ContentDropThresholds = {},
  context: ContentDropContext = {},
): ContentDropEvaluation {
  const t = { ...DEFAULT_CONTENT_DROP_THRESHOLDS, ...thresholds };
  const metrics = SUMMARY_COUNTS.map(([name, of]) => ({ name: metricName(name), value: of(current), ...(previous ? { previous: of(previous) } : {}) }));
  if (previous === undefined) return { findings: [], metrics };
  const remedy = remedyFor(context);
  const findings: Finding[] = [];
  const drop = (id: string, label: string, before: number, after: number, percent: number, where = '') => {
    if (before === 0 || after >= before || (100 * (before - after)) / before <= percent) return;
    findings.push({ id: `${CONTENT_DROP_CHECK}:${id}`, check: CONTENT_DROP_CHECK, severity: 'high', subject: label, message: `${label} ${group(before)} → ${group(after)} (${dropText(before, after)})${where}`, remedy });
  };
  drop('kv-entries', 'KV entries', previous.kv.entries, current.kv.entries, t.kvEntriesDropPercent, whereKvDropped(previous, current));
  drop('acl-tokens', 'ACL tokens', previous.acl.tokens, current.acl.tokens, t.aclTokensDropPercent);
  drop('services', 'Services', previous.catalog.services, current.catalog.services, t.servicesDropPercent, ` (instances ${group(previous.catalog.serviceInstances)} → ${group(current.catalog.serviceInstances)})`);
  const intentions = removedIntentions(previous, current);
  if (intentions !== undefined && t.intentionRemovedSeverity !== 'off') {
    findings.push({ id: `${CONTENT_DROP_CHECK}:service-intentions`, check: CONTENT_DROP_CHECK, severity: t.intentionRemovedSeverity, subject: 'service-intentions entries', message: intentions, remedy });
  }
  return { findings, metrics };
}

/** `48 210`: thousands grouped with spaces, as in the report. */
function group(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** `−98 %`; never `−100 %` unless everything is gone, never `−0 %`. */
function dropText(before: number, after: number): string {
  const exact = (100 * (before - after)) / before;
  const shown = after === 0 ? 100 : Math.min(99, Math.max(1, Math.round(exact)));
  return `−${shown} %`;
}

/** ` under \`config/\``: the top-level prefix that lost most entries. */
function whereKvDropped(previous: ContentSummary, current: ContentSummary): string {
  const now = new Map(current.kv.topPrefixes.map((p) => [p.prefix, p.entries]));
  // A prefix missing from a list that was cut could still hold up to the smallest listed count.
  const floor = current.kv.otherPrefixes.entries > 0 ? Math.min(...current.kv.topPrefixes.map((p) => p.entries)) : 0;
  let worst: { prefix: string; lost: number } | undefined;
  for (const p of previous.kv.topPrefixes) {
    const lost = p.entries - (now.get(p.prefix) ?? floor);
    if (lost > 0 && (worst === undefined || lost > worst.lost)) worst = { prefix: p.prefix, lost };
  }
  if (worst === undefined) return '';
  return worst.prefix === '' ? ' at the top level (keys without `/`)' : ` under \`${worst.prefix}\``;
}

function removedIntentions(previous: ContentSummary, current: ContentSummary): string | undefined {
  const before = previous.intentions.destinations;
  const after = current.intentions.destinations;
  const label = `service-intentions entries ${group(previous.intentions.entries)} → ${group(current.intentions.entries)}`;
  if (before !== undefined && after !== undefined) {
    const kept = new Set(after);
    const gone = before.filter((d) => !kept.has(d));
    if (gone.length === 0) return undefined;
    const names = gone.slice(0, 5).map((d) => `\`${d}\``).join(', ');
    return `${label}: removed for ${names}${gone.length > 5 ? ` and ${gone.length - 5} more` : ''}`;
  }
  // Too many destinations to list: fall back to the count.
  return current.intentions.entries < previous.intentions.entries ? `${label} (${previous.intentions.entries - current.intentions.entries} removed)` : undefined;
}

function remedyFor(context: ContentDropContext): string {
  const from = context.previousBackup ? ` from ${context.previousBackup}` : ' from the previous backup';
  const ack = context.cluster ? `\`consul-ops ack-drop --cluster ${context.cluster}\`` : '`consul-ops ack-drop`';
  return `If the deletion was not intended, compare with \`consul-ops diff\` and restore what is missing${from} (for KV: \`consul-ops restore-kv --prefix …\`); the last backup before the drop is kept until you run ${ack} or the counts recover.`;
}

/** `KV entries` → `KvEntries`, `service-intentions entries` → `ServiceIntentionsEntries`. */
function metricName(label: string): string {
  return label
    .split(/[\s-]+/)
    .map((w) => (w === w.toUpperCase() ? w[0] + w.slice(1).toLowerCase() : w[0].toUpperCase() + w.slice(1)))
    .join('');
}
