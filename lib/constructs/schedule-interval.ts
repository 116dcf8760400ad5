import { rateIntervalMs } from './cluster-backup';

/** The longest gap between two runs of a schedule, as far as it can be told from the expression. */
export interface ScheduleInterval {
  readonly intervalMs: number;
  /** True when the expression was not understood and a default was assumed. */
  readonly assumed: boolean;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * The longest gap between runs of an EventBridge Scheduler expression: exact for `rate(…)`, for `cron(…)` the widest
 * gap of the minute and hour fields of a schedule that runs every day (e.g. `cron(0 8-18 * * ? *)` → 14 hours, the
 * night). A schedule restricted to some days of the week or month counts as weekly; one that cannot be read counts
 * as daily (`assumed: true`).
 *
 * @example
 * longestScheduleGap('cron(0 0/6 * * ? *)'); // { intervalMs: 21_600_000, assumed: false }
 */
export function longestScheduleGap(expression: string): ScheduleInterval {
  const rate = rateIntervalMs(expression);
  if (rate !== undefined) return { intervalMs: rate, assumed: false };
  const cron = /^cron\(\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+\S+)?\s*\)$/.exec(expression);
  if (!cron) return { intervalMs: DAY_MS, assumed: true };
  const [, minutes, hours, dayOfMonth, , dayOfWeek] = cron;
  if (!isAny(dayOfMonth) || !isAny(dayOfWeek)) return { intervalMs: 7 * DAY_MS, assumed: false };
  const gap = hours === '*' ? widestGap(minutes, 60) : widestGap(hours, 24);
  if (gap === undefined) return { intervalMs: DAY_MS, assumed: true };
  return { intervalMs: gap * (hours === '*' ? MINUTE_MS : HOUR_MS), assumed: false };
}

function isAny(field: string): boolean {
  return field === '*' || field === '?';
}

/** The widest gap, cyclically, between the values a cron field selects in `0..cycle-1`. */
function widestGap(field: string, cycle: number): number | undefined {
  const values = expandField(field, cycle);
  if (values === undefined || values.length === 0) return undefined;
  let widest = values[0] + cycle - values[values.length - 1];
  for (let i = 1; i < values.length; i++) widest = Math.max(widest, values[i] - values[i - 1]);
  return widest;
}

/** `*`, `n`, `a-b`, `*\/s`, `a/s`, `a-b/s` and comma lists of them; `undefined` for anything else. */
function expandField(field: string, cycle: number): number[] | undefined {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const start = m[1] === '*' ? 0 : Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : m[1] === '*' || m[3] !== undefined ? cycle - 1 : start;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (start >= cycle || end >= cycle || start > end || step < 1) return undefined;
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}
