/**
 * EventBridge Scheduler expressions (`rate(…)`, `cron(…)`) as the service accepts them, and the run interval they
 * imply. The rules are EventBridge Scheduler's ("Schedule types on EventBridge Scheduler" in its user guide): a rate
 * takes a singular unit for 1 and a plural one above; a cron has six fields and exactly one of day-of-month and
 * day-of-week is `?`. One-time `at(…)` schedules make no sense for a recurring job and are refused.
 */

const RATE = /^rate\((.*)\)$/;
const CRON = /^cron\((.*)\)$/;
const RATE_BODY = /^(\d+) (minute|minutes|hour|hours|day|days)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** One cron field: its name, value range, names standing for numbers, and the special characters it allows. */
interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** `?`, `L`, `W`, `#` where the field allows them. */
  readonly specials: string;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59, specials: '' },
  { name: 'hours', min: 0, max: 23, specials: '' },
  { name: 'day-of-month', min: 1, max: 31, specials: '?LW' },
  { name: 'month', min: 1, max: 12, names: MONTHS, specials: '' },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, specials: '?L#' },
  { name: 'year', min: 1970, max: 2199, specials: '' },
];

/**
 * What is wrong with a recurring EventBridge Scheduler expression, or `undefined` when the service accepts it.
 *
 * @example
 * scheduleExpressionProblem('rate(1 hours)');      // 'rate(1 …) takes a singular unit: rate(1 hour)'
 * scheduleExpressionProblem('cron(0 * * * * *)');  // 'day-of-month and day-of-week are both set; one of them must be ?, e.g. cron(0 * * * ? *)'
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  if (expression.startsWith('at(')) return 'at(…) runs only once; a scheduled job needs rate(…) or cron(…)';
  const rate = RATE.exec(expression);
  if (rate) return rateProblem(rate[1]);
  const cron = CRON.exec(expression);
  if (cron) return cronProblem(cron[1]);
  return 'expected rate(<n> <unit>) or cron(<6 fields>), e.g. rate(1 hour) or cron(0 * * * ? *)';
}

function rateProblem(body: string): string | undefined {
  const m = RATE_BODY.exec(body);
  if (!m) return `rate(${body}) is not "<whole number> <minute|minutes|hour|hours|day|days>", e.g. rate(1 hour) or rate(15 minutes)`;
  const value = Number(m[1]);
  const unit = m[2].replace(/s$/, '');
  if (value < 1) return `rate(${body}): the value must be at least 1, e.g. rate(1 ${unit})`;
  if (value === 1 && m[2].endsWith('s')) return `rate(1 …) takes a singular unit: rate(1 ${unit})`;
  if (value > 1 && !m[2].endsWith('s')) return `rate(${value} …) takes a plural unit: rate(${value} ${unit}s)`;
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const fields = body.split(' ');
  if (fields.length !== 6 || fields.some((f) => f === '')) {
    return `cron(${body}) has ${body.trim() === '' ? 0 : body.trim().split(/\s+/).length} fields separated by single spaces; expected 6 (minutes hours day-of-month month day-of-week year), e.g. cron(0 * * * ? *)`;
  }
  for (let i = 0; i < CRON_FIELDS.length; i++) {
    const problem = cronFieldProblem(fields[i], CRON_FIELDS[i]);
    if (problem) return `cron(${body}): ${problem}`;
  }
  const [dayOfMonth, dayOfWeek] = [fields[2], fields[4]];
  if (dayOfMonth === '?' && dayOfWeek === '?') return `cron(${body}): day-of-month and day-of-week are both ?; set one of them, e.g. cron(0 * * * ? *)`;
  if (dayOfMonth !== '?' && dayOfWeek !== '?') {
    return `cron(${body}): day-of-month and day-of-week are both set; one of them must be ?, e.g. cron(${[fields[0], fields[1], fields[2], fields[3], '?', fields[5]].join(' ')})`;
  }
  return undefined;
}

function cronFieldProblem(value: string, field: CronField): string | undefined {
  if (value === '?') return field.specials.includes('?') ? undefined : `${field.name} cannot be ?`;
  for (const part of value.split(',')) {
    if (!cronPartValid(part, field)) return `${field.name} "${value}" is not valid (${describeField(field)})`;
  }
  return undefined;
}

function cronPartValid(part: string, field: CronField): boolean {
  if (field.specials.includes('L') && (part === 'L' || (field.name === 'day-of-month' && part === 'LW'))) return true;
  if (field.specials.includes('W') && /^\d+W$/.test(part)) return inRange(part.slice(0, -1), field);
  if (field.specials.includes('L') && field.name === 'day-of-week' && /^[^-/,]+L$/.test(part)) return inRange(part.slice(0, -1), field);
  if (field.specials.includes('#')) {
    const nth = /^([^#]+)#([1-5])$/.exec(part);
    if (nth) return inRange(nth[1], field);
  }
  const m = /^(\*|[^-/]+)(?:-([^/]+))?(?:\/(\d+))?$/.exec(part);
  if (!m) return false;
  if (m[3] !== undefined && Number(m[3]) < 1) return false;
  if (m[1] === '*') return m[2] === undefined;
  if (!inRange(m[1], field) || (m[2] !== undefined && !inRange(m[2], field))) return false;
  return true;
}

function inRange(token: string, field: CronField): boolean {
  const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return true;
  if (!/^\d+$/.test(token)) return false;
  const n = Number(token);
  return n >= field.min && n <= field.max;
}

function describeField(field: CronField): string {
  const names = field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : '';
  const specials = field.specials.split('').filter(Boolean);
  return `${field.min}-${field.max}${names} with , - * /${specials.length > 0 ? ` ${specials.join(' ')}` : ''}`;
}

/** The interval of a valid `rate(n unit)` expression in milliseconds; `undefined` for cron expressions. */
export function rateIntervalMs(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

/** The longest gap between two runs of a schedule, as far as it can be told from the expression. */
export interface ScheduleInterval {
  readonly intervalMs: number;
  /** True when the expression was not understood and a default was assumed. */
  readonly assumed: boolean;
}

const MINUTE_MS = UNIT_MS.minute;
const HOUR_MS = UNIT_MS.hour;
const DAY_MS = UNIT_MS.day;

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
