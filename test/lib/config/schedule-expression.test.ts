import { longestScheduleGap, rateIntervalMs, scheduleExpressionProblem } from '../../../lib/config/schedule-expression';

const HOUR_MS = 3_600_000;

describe('scheduleExpressionProblem', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'cron(0 * * * ? *)',
    'cron(15 * * * ? *)',
    'cron(0/5 * * * ? *)',
    'cron(0 8-18 ? * MON-FRI *)',
    'cron(0 2 1 * ? *)',
    'cron(0 2 L * ? *)',
    'cron(0 2 15W * ? *)',
    'cron(0 2 ? * 6L *)',
    'cron(0 2 ? * 2#1 *)',
    'cron(30 1 ? JAN,JUL SUN 2026-2030)',
    'cron(0 */6 * * ? *)',
  ])('accepts %s', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it.each([
    ['rate(1 hours)', 'rate(1 …) takes a singular unit: rate(1 hour)'],
    ['rate(5 minute)', 'rate(5 …) takes a plural unit: rate(5 minutes)'],
    ['rate(0 hours)', 'rate(0 hours): the value must be at least 1, e.g. rate(1 hour)'],
    ['rate(1.5 hours)', 'rate(1.5 hours) is not "<whole number> <minute|minutes|hour|hours|day|days>", e.g. rate(1 hour) or rate(15 minutes)'],
    ['rate(2 weeks)', 'rate(2 weeks) is not "<whole number> <minute|minutes|hour|hours|day|days>", e.g. rate(1 hour) or rate(15 minutes)'],
    ['rate( 1 hour )', 'rate( 1 hour ) is not "<whole number> <minute|minutes|hour|hours|day|days>", e.g. rate(1 hour) or rate(15 minutes)'],
    ['cron(0 * * * * *)', 'cron(0 * * * * *): day-of-month and day-of-week are both set; one of them must be ?, e.g. cron(0 * * * ? *)'],
    ['cron(0 2 1 * MON *)', 'cron(0 2 1 * MON *): day-of-month and day-of-week are both set; one of them must be ?, e.g. cron(0 2 1 * ? *)'],
    ['cron(0 2 ? * ? *)', 'cron(0 2 ? * ? *): day-of-month and day-of-week are both ?; set one of them, e.g. cron(0 * * * ? *)'],
    ['cron(0 * * * ?)', 'cron(0 * * * ?) has 5 fields separated by single spaces; expected 6 (minutes hours day-of-month month day-of-week year), e.g. cron(0 * * * ? *)'],
    ['cron(60 * * * ? *)', 'cron(60 * * * ? *): minutes "60" is not valid (0-59 with , - * /)'],
    ['cron(0 24 * * ? *)', 'cron(0 24 * * ? *): hours "24" is not valid (0-23 with , - * /)'],
    ['cron(? * * * ? *)', 'cron(? * * * ? *): minutes cannot be ?'],
    ['cron(0 2 ? FOO * *)', 'cron(0 2 ? FOO * *): month "FOO" is not valid (1-12 or JAN-DEC with , - * /)'],
    ['cron(0 2 ? * 8 *)', 'cron(0 2 ? * 8 *): day-of-week "8" is not valid (1-7 or SUN-SAT with , - * / ? L #)'],
    ['cron(0 2 ? * * 1969)', 'cron(0 2 ? * * 1969): year "1969" is not valid (1970-2199 with , - * /)'],
    ['at(2026-01-01T00:00:00)', 'at(…) runs only once; a scheduled job needs rate(…) or cron(…)'],
    ['every hour', 'expected rate(<n> <unit>) or cron(<6 fields>), e.g. rate(1 hour) or cron(0 * * * ? *)'],
  ])('refuses %s: %s', (expression, problem) => {
    expect(scheduleExpressionProblem(expression)).toBe(problem);
  });
});

describe('rateIntervalMs', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(2 hours)', 2 * HOUR_MS],
    ['rate(1 day)', 24 * HOUR_MS],
    ['cron(0 * * * ? *)', undefined],
  ])('%s → %s', (expression, ms) => {
    expect(rateIntervalMs(expression)).toBe(ms);
  });
});

describe('longestScheduleGap', () => {
  it.each([
    ['rate(1 hour)', 1 * HOUR_MS],
    ['rate(15 minutes)', 0.25 * HOUR_MS],
    ['cron(15 * * * ? *)', 1 * HOUR_MS],
    ['cron(0/5 * * * ? *)', HOUR_MS / 12],
    ['cron(0 0/6 * * ? *)', 6 * HOUR_MS],
    ['cron(0 2 * * ? *)', 24 * HOUR_MS],
    ['cron(0 8-18 * * ? *)', 14 * HOUR_MS],
    ['cron(0 1,4,13 * * ? *)', 12 * HOUR_MS],
    ['cron(0 2 ? * MON-FRI *)', 7 * 24 * HOUR_MS],
  ])('%s → the longest gap between runs', (expression, intervalMs) => {
    expect(longestScheduleGap(expression)).toEqual({ intervalMs, assumed: false });
  });

  it('assumes a day for what it cannot read', () => {
    expect(longestScheduleGap('cron(0 L/2 * * ? *)')).toEqual({ intervalMs: 24 * HOUR_MS, assumed: true });
  });
});
