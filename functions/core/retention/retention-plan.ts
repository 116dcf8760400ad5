/**
 * Grandfather-father-son retention for the snapshots of ONE cluster, following restic `forget` (`ApplyPolicy`):
 * newest first, one walk, newest backup per period, only periods that hold a backup consume a count, the "oldest"
 * rule, OR of all rules. Two guards restic lacks: a `keepMin` floor, and a stop guard that deletes nothing when
 * backups have stopped (a broken job must never erode history).
 *
 * Pure: plain data and `now` in, plain data out. Period keys are computed in UTC.
 */
import { InvalidInputError } from '../shared/errors';
import { DEFAULT_RETENTION_COUNTS, DEFAULT_TIME_ZONE } from '../shared/defaults';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Time zones period keys can be computed in. Only `'UTC'` for now; see `calendarFields` for how to add IANA zones. */
export type RetentionTimeZone = 'UTC';

/** One backup of one cluster, as the planner sees it. */
export interface RetentionCandidate {
  /** Opaque identity, e.g. `${key}#${versionId}`. */
  readonly id: string;
  /** When the snapshot was taken (object metadata, not S3 `LastModified` after copies). */
  readonly takenAt: Date;
  /** True once the archive was verified. Unverified backups are never deleted by {@link planRetention}. */
  readonly verified: boolean;
  /**
   * Why this backup is kept whatever the rules say (e.g. the content-drop hold on the last backup before a drop).
   * @default - no hold
   */
  readonly hold?: string;
}

/**
 * Counts follow restic: a non-negative integer, `0` disables the rule, `-1` keeps one backup for every period.
 */
export interface RetentionPolicy {
  /** Keep the newest n verified backups. @default 0 */
  readonly keepLast?: number;
  /** Keep the newest backup of each of the newest n hours that hold one. @default 24 */
  readonly hourly?: number;
  /** Keep the newest backup of each of the newest n days that hold one. @default 7 */
  readonly daily?: number;
  /** Keep the newest backup of each of the newest n ISO weeks (Monday to Sunday) that hold one. @default 4 */
  readonly weekly?: number;
  /** Keep the newest backup of each of the newest n months that hold one. @default 6 */
  readonly monthly?: number;
  /** Keep the newest backup of each of the newest n years that hold one. @default 0 */
  readonly yearly?: number;
  /** Floor: never delete the newest n verified backups, whatever the rules say (`-1` = all). @default 3 */
  readonly keepMin?: number;
  /** How often backups are taken. Deletes stop when the newest verified backup is older than twice this. */
  readonly scheduleIntervalMs: number;
  /** Time zone of the period keys. @default 'UTC' */
  readonly timeZone?: RetentionTimeZone;
}

/** The product default: 24 hourly, 7 daily, 4 weekly, 6 monthly, never fewer than 3, hourly schedule. */
export const DEFAULT_RETENTION_POLICY: Readonly<Required<RetentionPolicy>> = Object.freeze({
  ...DEFAULT_RETENTION_COUNTS,
  scheduleIntervalMs: HOUR_MS,
  timeZone: DEFAULT_TIME_ZONE,
});

/** The counted rules, in restic's order (which is also the order of the reasons of a kept backup). */
export const RETENTION_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** One counted rule of {@link RETENTION_RULES}. */
export type RetentionRule = (typeof RETENTION_RULES)[number];

/** Counts per rule: remaining after the walk in {@link RetentionPlan.counters}, configured in a resolved policy. */
export type RetentionCounters = Readonly<Record<RetentionRule, number>>;

/** A policy with every default applied and every field validated; see {@link resolveRetentionPolicy}. */
export interface ResolvedRetentionPolicy {
  readonly counts: RetentionCounters;
  readonly keepMin: number;
  readonly scheduleIntervalMs: number;
  readonly timeZone: RetentionTimeZone;
}

/**
 * Fixed reason strings. Rule reasons are `<rule> snapshot` (`daily snapshot`) or `oldest <rule> snapshot`, and the
 * floor is `keep-min (newest 3 verified)`; see {@link keepMinReason}.
 */
export const RETENTION_REASONS = {
  futureDated: 'future-dated',
  unverified: 'unverified (not managed by retention)',
  notSelected: 'not selected by any rule',
  staleNewestGuard: 'stale-newest guard (deletes paused)',
  emptyPolicyGuard: 'empty-policy guard (nothing is pruned)',
} as const;

/** Why nothing was deleted: backups stopped (or none is verified), or the policy keeps nothing by rule. */
export interface RetentionGuard {
  readonly kind: 'stale-newest' | 'empty-policy';
  readonly message: string;
}

/** A backup the plan keeps, with every reason that keeps it. */
export interface RetentionKeep {
  readonly id: string;
  readonly takenAt: Date;
  readonly reasons: readonly string[];
}

/** A backup the plan deletes. */
export interface RetentionDelete {
  readonly id: string;
  readonly takenAt: Date;
  readonly reason: string;
}

/** Output of {@link planRetention}: every input is in exactly one of `keep` and `delete`, each newest first. */
export interface RetentionPlan {
  readonly keep: readonly RetentionKeep[];
  readonly delete: readonly RetentionDelete[];
  /** Set when a guard stopped all deletes; `delete` is then empty. */
  readonly guard?: RetentionGuard;
  /** Counts left per rule after the walk (`-1` = unlimited); a count left over means the history is shorter. */
  readonly counters?: RetentionCounters;
}

/** Calendar fields of an instant in the policy's time zone. */
interface CalendarFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
}

/**
 * Reads the calendar fields of `date` in `timeZone`. Every period key is derived from these fields, so an IANA zone
 * only needs a branch here that reads them from `new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23',
 * year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric' }).formatToParts(date)`.
 */
function calendarFields(date: Date, timeZone: RetentionTimeZone): CalendarFields {
  switch (timeZone) {
    case 'UTC':
      return {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: date.getUTCHours(),
      };
  }
}

/** ISO 8601 week of a calendar date: weeks run Monday to Sunday and belong to the year of their Thursday. */
function isoWeekOfFields(fields: CalendarFields): { year: number; week: number } {
  const midnight = Date.UTC(fields.year, fields.month - 1, fields.day);
  const mondayBased = (new Date(midnight).getUTCDay() + 6) % 7;
  const thursday = midnight + (3 - mondayBased) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { year, week };
}

type KeyOfFields = (fields: CalendarFields, index: number) => number;

const PERIOD_KEYS: Record<RetentionRule, KeyOfFields> = {
  // `last` has a unique key per backup, so every backup starts a new "period".
  last: (_fields, index) => index,
  hourly: (f) => f.year * 1_000_000 + f.month * 10_000 + f.day * 100 + f.hour,
  daily: (f) => f.year * 10_000 + f.month * 100 + f.day,
  weekly: (f) => {
    const { year, week } = isoWeekOfFields(f);
    return year * 100 + week;
  },
  monthly: (f) => f.year * 100 + f.month,
  yearly: (f) => f.year,
};

/**
 * ISO week (`{ year, week }`) of `date`: 2020-12-31 and 2021-01-03 are 2020-W53, 2024-12-30 is 2025-W01.
 */
export function isoWeek(date: Date, timeZone: RetentionTimeZone = 'UTC'): { year: number; week: number } {
  return isoWeekOfFields(calendarFields(date, timeZone));
}

/** Weekly period key `ISO year * 100 + ISO week`, e.g. `202053` for 2021-01-03 (restic's `yw`). */
export function isoWeekKey(date: Date, timeZone: RetentionTimeZone = 'UTC'): number {
  return PERIOD_KEYS.weekly(calendarFields(date, timeZone), 0);
}

/** Hourly period key `YYYYMMDDHH`, e.g. `2024030610`. */
export function hourKey(date: Date, timeZone: RetentionTimeZone = 'UTC'): number {
  return PERIOD_KEYS.hourly(calendarFields(date, timeZone), 0);
}

/** Daily period key `YYYYMMDD`, e.g. `20240306`. */
export function dayKey(date: Date, timeZone: RetentionTimeZone = 'UTC'): number {
  return PERIOD_KEYS.daily(calendarFields(date, timeZone), 0);
}

/** Monthly period key `YYYYMM`, e.g. `202403`. */
export function monthKey(date: Date, timeZone: RetentionTimeZone = 'UTC'): number {
  return PERIOD_KEYS.monthly(calendarFields(date, timeZone), 0);
}

/** Yearly period key `YYYY`, e.g. `2024`. */
export function yearKey(date: Date, timeZone: RetentionTimeZone = 'UTC'): number {
  return PERIOD_KEYS.yearly(calendarFields(date, timeZone), 0);
}

const COUNT_FIELDS: Record<RetentionRule, Exclude<keyof RetentionPolicy, 'scheduleIntervalMs' | 'timeZone'>> = {
  last: 'keepLast',
  hourly: 'hourly',
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  yearly: 'yearly',
};

function validCount(field: string, value: number): number {
  if (!Number.isInteger(value) || value < -1) {
    throw new InvalidInputError(`policy.${field}`, `must be an integer >= -1, got ${String(value)}`, '24 (0 = off, -1 = unlimited)');
  }
  return value;
}

/**
 * Applies {@link DEFAULT_RETENTION_POLICY} to omitted fields and validates the result.
 *
 * @throws InvalidInputError naming the field, for a count that is not an integer >= -1, an interval <= 0, or a time
 * zone other than `'UTC'`.
 */
export function resolveRetentionPolicy(policy: RetentionPolicy): ResolvedRetentionPolicy {
  const counts = {} as Record<RetentionRule, number>;
  for (const rule of RETENTION_RULES) {
    const field = COUNT_FIELDS[rule];
    counts[rule] = validCount(field, policy[field] ?? DEFAULT_RETENTION_POLICY[field]);
  }
  const keepMin = validCount('keepMin', policy.keepMin ?? DEFAULT_RETENTION_POLICY.keepMin);
  const interval = policy.scheduleIntervalMs;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0) {
    throw new InvalidInputError('policy.scheduleIntervalMs', `must be a positive number of milliseconds, got ${String(interval)}`, '3600000 (hourly)');
  }
  const timeZone = policy.timeZone ?? DEFAULT_RETENTION_POLICY.timeZone;
  if (timeZone !== 'UTC') {
    throw new InvalidInputError('policy.timeZone', `only "UTC" is supported for now, got ${JSON.stringify(timeZone)}`, '"UTC"');
  }
  return { counts, keepMin, scheduleIntervalMs: interval, timeZone };
}

/** The keep-min reason for a floor of `keepMin` (`keep-min (newest 3 verified)`, or `keep-min (all verified)` for -1). */
export function keepMinReason(keepMin: number): string {
  return keepMin === -1 ? 'keep-min (all verified)' : `keep-min (newest ${keepMin} verified)`;
}

/** A backup being planned, with the reasons collected so far (none means delete). */
interface Entry {
  readonly candidate: RetentionCandidate;
  readonly reasons: string[];
}

function assertValidDate(field: string, date: Date): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidInputError(field, 'is not a valid date', 'new Date("2024-03-06T10:00:00Z")');
  }
}

/** Newest first; `Array.prototype.sort` is stable, so equal times keep their input order (restic's `sort.Stable`). */
function sortNewestFirst(backups: readonly RetentionCandidate[]): Entry[] {
  backups.forEach((b, i) => assertValidDate(`backups[${i}].takenAt`, b.takenAt));
  return backups
    .map((candidate) => ({ candidate, reasons: [] as string[] }))
    .sort((a, b) => b.candidate.takenAt.getTime() - a.candidate.takenAt.getTime());
}

/**
 * restic's single walk over the managed backups (newest first). A bucket keeps a backup when its period key differs
 * from the bucket's last kept key, so it keeps the newest backup of each period and only periods holding a backup
 * consume a count. A bucket with counts left also keeps the oldest backup ("oldest" rule).
 */
function applyCountRules(managed: readonly Entry[], policy: ResolvedRetentionPolicy): RetentionCounters {
  const buckets = RETENTION_RULES.map((rule) => ({ rule, count: policy.counts[rule], last: undefined as number | undefined }));
  managed.forEach((entry, index) => {
    const fields = calendarFields(entry.candidate.takenAt, policy.timeZone);
    const isOldest = index === managed.length - 1;
    for (const bucket of buckets) {
      if (bucket.count === 0) continue; // > 0 counts down, -1 is unlimited
      const key = PERIOD_KEYS[bucket.rule](fields, index);
      if (key === bucket.last && !isOldest) continue;
      entry.reasons.push(key === bucket.last ? `oldest ${bucket.rule} snapshot` : `${bucket.rule} snapshot`);
      bucket.last = key;
      if (bucket.count > 0) bucket.count -= 1;
    }
  });
  return Object.fromEntries(buckets.map((b) => [b.rule, b.count])) as Record<RetentionRule, number>;
}

function formatDuration(ms: number): string {
  if (ms >= DAY_MS) return `${Math.floor(ms / DAY_MS)}d ${Math.floor((ms % DAY_MS) / HOUR_MS)}h`;
  if (ms >= HOUR_MS) return `${Math.floor(ms / HOUR_MS)}h ${Math.floor((ms % HOUR_MS) / MINUTE_MS)}m`;
  if (ms >= MINUTE_MS) return `${Math.floor(ms / MINUTE_MS)}m`;
  return `${Math.round(ms / 1000)}s`;
}

/** The stop guard first (an incident), then the empty-policy guard (a configuration choice). */
function detectGuard(managed: readonly Entry[], policy: ResolvedRetentionPolicy, now: Date): RetentionGuard | undefined {
  const newest = managed[0]?.candidate;
  if (newest === undefined) {
    return {
      kind: 'stale-newest',
      message: `No verified backup taken at or before ${now.toISOString()}: nothing is deleted until a verified backup exists.`,
    };
  }
  const age = now.getTime() - newest.takenAt.getTime();
  if (age > 2 * policy.scheduleIntervalMs) {
    return {
      kind: 'stale-newest',
      message:
        `The newest verified backup (${newest.takenAt.toISOString()}) is ${formatDuration(age)} old, more than twice the ` +
        `${formatDuration(policy.scheduleIntervalMs)} schedule interval: backups look stopped, so nothing is deleted ` +
        'until a fresh verified backup exists.',
    };
  }
  const counts = Object.values(policy.counts);
  if (policy.keepMin === 0 && counts.every((c) => c === 0)) {
    return {
      kind: 'empty-policy',
      message: 'The retention policy keeps nothing by rule (all counts and keepMin are 0), so every backup is kept; set e.g. hourly: 24 to prune.',
    };
  }
  return undefined;
}

/**
 * Plans which backups of ONE cluster to keep and which to delete, with restic `forget` semantics plus two guards.
 *
 * - Only verified backups taken at or before `now` take part in the rules. Unverified backups are always kept
 *   (see {@link planLeftoverCleanup}); future-dated ones are always kept and consume no count, so one skewed clock
 *   cannot push real history out.
 * - `keepMin` keeps the newest n of those backups whatever the rules say; a candidate's `hold` keeps it too.
 * - Nothing is deleted (and `guard` is set) when there is no verified backup, when the newest one is older than twice
 *   `scheduleIntervalMs`, or when the policy is empty.
 *
 * @example
 * const plan = planRetention(
 *   [{ id: 'prod/2024-03-06T10.snap#v1', takenAt: new Date('2024-03-06T10:00:00Z'), verified: true }],
 *   { ...DEFAULT_RETENTION_POLICY, scheduleIntervalMs: 3_600_000 },
 *   new Date('2024-03-06T10:15:00Z'),
 * );
 * // plan.keep[0].reasons: ['hourly snapshot', 'daily snapshot', 'weekly snapshot', 'monthly snapshot',
 * //                        'keep-min (newest 3 verified)']; plan.delete: []
 */
export function planRetention(backups: readonly RetentionCandidate[], policy: RetentionPolicy, now: Date): RetentionPlan {
  const resolved = resolveRetentionPolicy(policy);
  assertValidDate('now', now);
  const entries = sortNewestFirst(backups);
  const managed: Entry[] = [];
  for (const entry of entries) {
    if (!entry.candidate.verified) entry.reasons.push(RETENTION_REASONS.unverified);
    else if (entry.candidate.takenAt.getTime() > now.getTime()) entry.reasons.push(RETENTION_REASONS.futureDated);
    else managed.push(entry);
  }
  const counters = applyCountRules(managed, resolved);
  const floor = resolved.keepMin === -1 ? managed.length : resolved.keepMin;
  managed.slice(0, floor).forEach((entry) => entry.reasons.push(keepMinReason(resolved.keepMin)));
  // A hold keeps its backup whatever the rules (and guards) say; it takes no count from them.
  for (const entry of entries) if (entry.candidate.hold) entry.reasons.push(entry.candidate.hold);
  const guard = detectGuard(managed, resolved, now);
  const guardReason = guard?.kind === 'empty-policy' ? RETENTION_REASONS.emptyPolicyGuard : RETENTION_REASONS.staleNewestGuard;
  const keep: RetentionKeep[] = [];
  const toDelete: RetentionDelete[] = [];
  for (const { candidate, reasons } of entries) {
    const takenAt = new Date(candidate.takenAt.getTime());
    if (reasons.length === 0 && guard === undefined) toDelete.push({ id: candidate.id, takenAt, reason: RETENTION_REASONS.notSelected });
    else keep.push({ id: candidate.id, takenAt, reasons: reasons.length > 0 ? reasons : [guardReason] });
  }
  return guard === undefined ? { keep, delete: toDelete, counters } : { keep, delete: toDelete, guard, counters };
}

/** A stored object as {@link planLeftoverCleanup} sees it. */
export interface LeftoverCandidate {
  readonly id: string;
  readonly lastModified: Date;
  readonly verified: boolean;
}

/** Unverified objects younger than this are treated as an upload or verification still in progress. */
export const DEFAULT_LEFTOVER_MAX_AGE_MS = DAY_MS;

/**
 * Ids (in input order) of unverified leftovers to delete: unverified objects whose `lastModified` is more than
 * `maxAgeMs` before `now`. Verified objects are never returned; they belong to {@link planRetention}.
 *
 * @throws InvalidInputError when `maxAgeMs` is not a positive number.
 */
export function planLeftoverCleanup(
  objects: readonly LeftoverCandidate[],
  now: Date,
  maxAgeMs: number = DEFAULT_LEFTOVER_MAX_AGE_MS,
): string[] {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
    throw new InvalidInputError('maxAgeMs', `must be a positive number of milliseconds, got ${String(maxAgeMs)}`, '86400000 (24 h)');
  }
  assertValidDate('now', now);
  return objects
    .filter((o) => !o.verified && now.getTime() - o.lastModified.getTime() > maxAgeMs)
    .map((o) => o.id);
}

/**
 * One line for reports, with defaults applied, e.g. `keep 24 hourly, 7 daily, 4 weekly, 6 monthly; never fewer than
 * the newest 3`.
 */
export function describeRetentionPolicy(policy: RetentionPolicy): string {
  const { counts, keepMin } = resolveRetentionPolicy(policy);
  const rules = RETENTION_RULES.filter((rule) => counts[rule] !== 0).map((rule) => {
    if (rule === 'last') return counts.last === -1 ? 'all' : `the last ${counts.last}`;
    return counts[rule] === -1 ? `all ${rule}` : `${counts[rule]} ${rule}`;
  });
  const floor = keepMin === -1 ? 'all verified' : `the newest ${keepMin}`;
  if (rules.length === 0) return keepMin === 0 ? 'keep everything (empty policy: nothing is pruned)' : `keep only ${floor}`;
  return keepMin === 0 ? `keep ${rules.join(', ')}` : `keep ${rules.join(', ')}; never fewer than ${floor}`;
}
