import { fingerprintFindings, type NotificationReason, type Report, type ReportFeature, type ReportOutcome } from './report';
import { severityRank, worstSeverity, type Severity } from '../shared/severity';

/**
 * When a report becomes a notification. The rules, in order:
 *
 * 1. a failed run is always announced (`failure`): failures are loud; so is a one-off event such as a restore
 *    (`event`, a report with `alwaysNotify`);
 * 2. a changed finding set is announced: `new` (an id appeared), `changed` (a severity moved), `resolved` (ids
 *    went away, nothing new);
 * 3. an unchanged set with an open critical finding is repeated once a day (`reminder`);
 * 4. otherwise a successful run is quiet, except for one `digest` a day;
 * 5. everything else is `quiet`.
 *
 * "Once a day" means: the last notification of this cluster and feature is at least a day old (less a tolerance, so
 * an hourly schedule's jitter does not push the digest to the next run).
 */

/** The small JSON kept per cluster and feature between runs (`state/<cluster>/<feature>.json`). */
export interface ReportState {
  readonly version: 1;
  readonly feature: ReportFeature;
  readonly cluster: string;
  /** The report's scope, when it has one (`state/<cluster>/<feature>/<scope>.json`). */
  readonly scope?: string;
  /** {@link fingerprintFindings} of the open findings. */
  readonly fingerprint: string;
  /** Open findings, id → severity; empty when there were more than {@link MAX_STATE_FINDINGS} (`complete: false`). */
  readonly findings: Readonly<Record<string, Severity>>;
  readonly complete: boolean;
  readonly lastOutcome: ReportOutcome;
  readonly lastRunAt: string;
  readonly lastNotifiedAt?: string;
  readonly lastReason?: NotificationReason;
}

/** Timing of reminders and digests. */
export interface NotificationPolicy {
  /** @default 24 hours */
  readonly reminderIntervalMs: number;
  /** @default 24 hours */
  readonly digestIntervalMs: number;
  /** Subtracted from both intervals. @default 15 minutes */
  readonly toleranceMs: number;
}

/** What {@link decideNotification} decided. */
export interface NotificationDecision {
  readonly notify: boolean;
  readonly reason: NotificationReason;
  /** The `severity` attribute to route on: the report's, or for a resolution the worst resolved severity. */
  readonly routingSeverity: Severity;
  /** How the finding set moved since the last run. */
  readonly changes: {
    readonly added: readonly string[];
    readonly changed: readonly string[];
    readonly resolved: readonly { readonly id: string; readonly severity: Severity }[];
  };
  /** The state to save once the notification (if any) went out. */
  readonly nextState: ReportState;
}

/** Beyond this many findings only the fingerprint is kept, so the state stays a few kB. */
export const MAX_STATE_FINDINGS = 500;

const HOUR_MS = 3_600_000;
/** The defaults of {@link NotificationPolicy}. */
export const DEFAULT_NOTIFICATION_POLICY: NotificationPolicy = { reminderIntervalMs: 24 * HOUR_MS, digestIntervalMs: 24 * HOUR_MS, toleranceMs: HOUR_MS / 4 };

/**
 * Decides whether `report` is worth a notification, given the state the previous run left.
 *
 * @param previous the saved state, or `undefined` on the first run (or when it could not be read)
 * @example
 * const decision = decideNotification(await store.loadState(cluster, 'backup'), report, now);
 * if (decision.notify) await publisher.publish(formatNotification(report, { reason: decision.reason, routingSeverity: decision.routingSeverity, resolved: decision.changes.resolved }));
 * await store.saveState(decision.nextState);
 */
export function decideNotification(previous: ReportState | undefined, report: Report, now: Date, policy: NotificationPolicy = DEFAULT_NOTIFICATION_POLICY): NotificationDecision {
  const current = openFindings(report);
  const fingerprint = fingerprintFindings(report.findings);
  const changes = diffFindings(previous, current);
  const reason = chooseReason(previous, report, current, fingerprint, changes, now, policy);
  const notify = reason !== 'quiet';
  const resolvedWorst = worstSeverity(changes.resolved.map((r) => r.severity));
  const routingSeverity =
    reason === 'resolved' && resolvedWorst !== undefined && severityRank(resolvedWorst) > severityRank(report.severity) ? resolvedWorst : report.severity;
  const complete = current.size <= MAX_STATE_FINDINGS;
  const nextState: ReportState = {
    version: 1,
    feature: report.feature,
    cluster: report.cluster,
    ...(report.scope === undefined ? {} : { scope: report.scope }),
    fingerprint,
    findings: complete ? Object.fromEntries([...current].sort(([a], [b]) => (a < b ? -1 : 1))) : {},
    complete,
    lastOutcome: report.outcome ?? 'succeeded',
    lastRunAt: now.toISOString(),
    ...(notify ? { lastNotifiedAt: now.toISOString(), lastReason: reason } : pick(previous)),
  };
  return { notify, reason, routingSeverity, changes, nextState };
}

function chooseReason(
  previous: ReportState | undefined,
  report: Report,
  current: ReadonlyMap<string, Severity>,
  fingerprint: string,
  changes: NotificationDecision['changes'],
  now: Date,
  policy: NotificationPolicy,
): NotificationReason {
  if (report.outcome === 'failed') return 'failure';
  if (report.alwaysNotify === true) return 'event';
  if (previous === undefined) {
    if (current.size > 0) return 'new';
  } else if (previous.fingerprint !== fingerprint) {
    if (changes.added.length > 0) return 'new';
    if (changes.changed.length > 0) return 'changed';
    if (changes.resolved.length > 0) return 'resolved';
    return 'changed'; // the previous set was too large to keep: all we know is that it differs
  } else if (previous.lastOutcome === 'failed') {
    return 'resolved'; // the run works again (a failure report without findings leaves the set unchanged)
  }
  const since = previous?.lastNotifiedAt === undefined ? Number.POSITIVE_INFINITY : now.getTime() - Date.parse(previous.lastNotifiedAt);
  const hasCritical = [...current.values()].includes('critical');
  if (hasCritical && since >= policy.reminderIntervalMs - policy.toleranceMs) return 'reminder';
  if (!hasCritical && since >= policy.digestIntervalMs - policy.toleranceMs) return 'digest';
  return 'quiet';
}

function diffFindings(previous: ReportState | undefined, current: ReadonlyMap<string, Severity>): NotificationDecision['changes'] {
  if (previous === undefined || !previous.complete) return { added: [], changed: [], resolved: [] };
  const before = new Map(Object.entries(previous.findings));
  const added = [...current.keys()].filter((id) => !before.has(id)).sort();
  const changed = [...current].filter(([id, s]) => before.has(id) && before.get(id) !== s).map(([id]) => id).sort();
  const resolved = [...before].filter(([id]) => !current.has(id)).map(([id, severity]) => ({ id, severity })).sort((a, b) => (a.id < b.id ? -1 : 1));
  return { added, changed, resolved };
}

/** Open findings by id; a repeated id keeps its worst severity. */
function openFindings(report: Report): Map<string, Severity> {
  const open = new Map<string, Severity>();
  for (const f of report.findings) {
    const seen = open.get(f.id);
    if (seen === undefined || severityRank(f.severity) > severityRank(seen)) open.set(f.id, f.severity);
  }
  return open;
}

function pick(previous: ReportState | undefined): Partial<Pick<ReportState, 'lastNotifiedAt' | 'lastReason'>> {
  if (previous?.lastNotifiedAt === undefined) return {};
  return { lastNotifiedAt: previous.lastNotifiedAt, ...(previous.lastReason ? { lastReason: previous.lastReason } : {}) };
}
