import { InvalidInputError } from '../../../../functions/core/shared/errors';
import {
  DEFAULT_RETENTION_POLICY,
  RETENTION_REASONS,
  RETENTION_RULES,
  dayKey,
  describeRetentionPolicy,
  hourKey,
  isoWeek,
  isoWeekKey,
  monthKey,
  planLeftoverCleanup,
  planRetention,
  yearKey,
  type RetentionCandidate,
  type RetentionPlan,
  type RetentionPolicy,
  type RetentionRule,
} from '../../../../functions/core/retention/retention-plan';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A backup whose id is its UTC minute, e.g. `2024-03-06T10:00`. */
function snap(id: string, verified = true): RetentionCandidate {
  return { id, takenAt: new Date(`${id}Z`), verified };
}

function minuteId(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/** Ids every `stepMs` from `from` to `to` inclusive, oldest first. */
function seriesIds(from: string, to: string, stepMs: number): string[] {
  const ids: string[] = [];
  for (let t = Date.parse(`${from}Z`); t <= Date.parse(`${to}Z`); t += stepMs) ids.push(minuteId(t));
  return ids;
}

function series(from: string, to: string, stepMs: number): RetentionCandidate[] {
  return seriesIds(from, to, stepMs).map((id) => snap(id));
}

/** A policy with every count and keepMin at 0 (defaults do not leak in), plus `overrides`. */
function only(overrides: Partial<RetentionPolicy>): RetentionPolicy {
  return { keepLast: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, keepMin: 0, scheduleIntervalMs: HOUR, ...overrides };
}

function catchError(act: () => unknown): unknown {
  try {
    act();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

function keptIds(plan: RetentionPlan): string[] {
  return plan.keep.map((k) => k.id);
}

describe('planRetention', () => {
  it('keeps exactly the grandfather-father-son set of 400 days of hourly backups with the default policy', () => {
    // Prepare: 9,600 hourly backups, the newest at 2024-03-06T10:00 (a Wednesday of ISO week 2024-W10).
    const backups = series('2023-01-31T11:00', '2024-03-06T10:00', HOUR);
    const now = new Date('2024-03-06T10:15:00Z');

    // Act
    const plan = planRetention(backups, DEFAULT_RETENTION_POLICY, now);

    // Assess: worked out by hand from the calendar.
    const hourly = seriesIds('2024-03-05T11:00', '2024-03-06T10:00', HOUR).reverse();
    const daily = ['2024-03-04T23:00', '2024-03-03T23:00', '2024-03-02T23:00', '2024-03-01T23:00', '2024-02-29T23:00'];
    const weekly = ['2024-02-25T23:00', '2024-02-18T23:00']; // Sundays ending 2024-W08 and W07 (W09 ends 03-03)
    const monthly = ['2024-01-31T23:00', '2023-12-31T23:00', '2023-11-30T23:00', '2023-10-31T23:00'];
    const expected = [...hourly, ...daily, ...weekly, ...monthly];
    expect(backups).toHaveLength(400 * 24);
    expect(keptIds(plan)).toEqual(expected);
    expect(plan.delete).toHaveLength(400 * 24 - 35);
    expect(plan.guard).toBeUndefined();
    expect(plan.counters).toEqual({ last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 });
    expect(plan.keep[0].reasons).toEqual([
      'hourly snapshot',
      'daily snapshot',
      'weekly snapshot',
      'monthly snapshot',
      'keep-min (newest 3 verified)',
    ]);
    expect(plan.keep.find((k) => k.id === '2024-02-29T23:00')?.reasons).toEqual(['daily snapshot', 'monthly snapshot']);
    expect(plan.delete[0]).toEqual({ id: '2024-03-05T10:00', takenAt: new Date('2024-03-05T10:00Z'), reason: 'not selected by any rule' });
  });

  it('keeps the newest snapshot of each day, hour and week with all its reasons', () => {
    // Prepare: daily backups at 02:00 for three weeks, then three days of hourly backups.
    const backups = [
      ...series('2024-02-12T02:00', '2024-03-02T02:00', DAY),
      ...series('2024-03-03T00:00', '2024-03-05T23:00', HOUR),
    ];
    const policy = only({ hourly: 4, daily: 5, weekly: 3 });

    // Act
    const plan = planRetention(backups, policy, new Date('2024-03-06T00:10:00Z'));

    // Assess: 2024-03-05 is in 2024-W10, 03-03 ends W09, 02-25 ends W08.
    expect(plan.keep.map((k) => [k.id, k.reasons])).toEqual([
      ['2024-03-05T23:00', ['hourly snapshot', 'daily snapshot', 'weekly snapshot']],
      ['2024-03-05T22:00', ['hourly snapshot']],
      ['2024-03-05T21:00', ['hourly snapshot']],
      ['2024-03-05T20:00', ['hourly snapshot']],
      ['2024-03-04T23:00', ['daily snapshot']],
      ['2024-03-03T23:00', ['daily snapshot', 'weekly snapshot']],
      ['2024-03-02T02:00', ['daily snapshot']],
      ['2024-03-01T02:00', ['daily snapshot']],
      ['2024-02-25T02:00', ['weekly snapshot']],
    ]);
    expect(plan.delete).toHaveLength(backups.length - 9);
    expect(plan.delete.every((d) => d.reason === RETENTION_REASONS.notSelected)).toBe(true);
  });

  // The one scenarios table for retention policies. `kept` lists [id, reasons] newest first; the rest is deleted.
  it.each<{ name: string; backups: RetentionCandidate[]; policy: RetentionPolicy; now: string; kept: [string, string[]][] }>([
    {
      name: 'keepLast keeps the newest n backups',
      backups: series('2024-03-06T05:00', '2024-03-06T10:00', HOUR),
      policy: only({ keepLast: 3 }),
      now: '2024-03-06T10:30',
      kept: [
        ['2024-03-06T10:00', ['last snapshot']],
        ['2024-03-06T09:00', ['last snapshot']],
        ['2024-03-06T08:00', ['last snapshot']],
      ],
    },
    {
      name: 'daily keeps the newest backup of each day',
      backups: ['2024-03-04T05:00', '2024-03-04T20:00', '2024-03-05T01:00', '2024-03-05T13:00', '2024-03-05T22:00'].map((id) => snap(id)),
      policy: only({ daily: 2, scheduleIntervalMs: 12 * HOUR }),
      now: '2024-03-05T23:00',
      kept: [
        ['2024-03-05T22:00', ['daily snapshot']],
        ['2024-03-04T20:00', ['daily snapshot']],
      ],
    },
    {
      name: 'days without backups consume no count (gaps)',
      backups: ['2024-03-01T12:00', '2024-03-02T12:00', '2024-03-05T12:00', '2024-03-09T12:00'].map((id) => snap(id)),
      policy: only({ daily: 3, scheduleIntervalMs: DAY }),
      now: '2024-03-09T13:00',
      kept: [
        ['2024-03-09T12:00', ['daily snapshot']],
        ['2024-03-05T12:00', ['daily snapshot']],
        ['2024-03-02T12:00', ['daily snapshot']],
      ],
    },
    {
      name: 'a bucket with counts left also keeps the oldest backup',
      backups: series('2024-03-01T00:00', '2024-03-03T23:00', HOUR),
      policy: only({ daily: 5 }),
      now: '2024-03-04T00:00',
      kept: [
        ['2024-03-03T23:00', ['daily snapshot']],
        ['2024-03-02T23:00', ['daily snapshot']],
        ['2024-03-01T23:00', ['daily snapshot']],
        ['2024-03-01T00:00', ['oldest daily snapshot']],
      ],
    },
    {
      name: '-1 keeps one backup for every day, plus the oldest',
      backups: series('2024-03-01T00:00', '2024-03-04T12:00', 12 * HOUR),
      policy: only({ daily: -1, scheduleIntervalMs: 12 * HOUR }),
      now: '2024-03-04T13:00',
      kept: [
        ['2024-03-04T12:00', ['daily snapshot']],
        ['2024-03-03T12:00', ['daily snapshot']],
        ['2024-03-02T12:00', ['daily snapshot']],
        ['2024-03-01T12:00', ['daily snapshot']],
        ['2024-03-01T00:00', ['oldest daily snapshot']],
      ],
    },
    {
      name: 'weekly uses the ISO year across New Year 2020/2021 (2020-W53 runs 12-28 to 01-03)',
      backups: series('2020-12-20T12:00', '2021-01-12T12:00', DAY),
      policy: only({ weekly: 4, scheduleIntervalMs: DAY }),
      now: '2021-01-12T13:00',
      kept: [
        ['2021-01-12T12:00', ['weekly snapshot']],
        ['2021-01-10T12:00', ['weekly snapshot']],
        ['2021-01-03T12:00', ['weekly snapshot']],
        ['2020-12-27T12:00', ['weekly snapshot']],
      ],
    },
    {
      name: 'weekly uses the ISO year across New Year 2024/2025 (2025-W01 starts 2024-12-30)',
      backups: series('2024-12-20T12:00', '2025-01-08T12:00', DAY),
      policy: only({ weekly: 3, scheduleIntervalMs: DAY }),
      now: '2025-01-08T13:00',
      kept: [
        ['2025-01-08T12:00', ['weekly snapshot']],
        ['2025-01-05T12:00', ['weekly snapshot']],
        ['2024-12-29T12:00', ['weekly snapshot']],
      ],
    },
    {
      name: 'monthly and yearly keep the newest backup of each month and year, OR-ed',
      backups: ['2022-06-15', '2022-12-15', '2023-06-15', '2023-11-15', '2023-12-15', '2024-01-15', '2024-02-15'].map((d) => snap(`${d}T00:00`)),
      policy: only({ monthly: 2, yearly: 2, scheduleIntervalMs: 31 * DAY }),
      now: '2024-02-20T00:00',
      kept: [
        ['2024-02-15T00:00', ['monthly snapshot', 'yearly snapshot']],
        ['2024-01-15T00:00', ['monthly snapshot']],
        ['2023-12-15T00:00', ['yearly snapshot']],
      ],
    },
    {
      name: 'the keepMin floor beats the rules',
      backups: series('2024-03-06T05:00', '2024-03-06T10:00', HOUR),
      policy: only({ daily: 1, keepMin: 3 }),
      now: '2024-03-06T10:30',
      kept: [
        ['2024-03-06T10:00', ['daily snapshot', 'keep-min (newest 3 verified)']],
        ['2024-03-06T09:00', ['keep-min (newest 3 verified)']],
        ['2024-03-06T08:00', ['keep-min (newest 3 verified)']],
      ],
    },
  ])('$name', ({ backups, policy, now, kept }) => {
    // Act
    const plan = planRetention(backups, policy, new Date(`${now}Z`));

    // Assess
    expect(plan.guard).toBeUndefined();
    expect(plan.keep.map((k) => [k.id, k.reasons])).toEqual(kept);
    const keptSet = new Set(kept.map(([id]) => id));
    expect(plan.delete.map((d) => d.id)).toEqual(
      backups
        .map((b) => b.id)
        .filter((id) => !keptSet.has(id))
        .reverse(),
    );
  });

  it('reports the counts left after the walk', () => {
    // Prepare: 3 days of backups for a 5-day rule (3 periods + the oldest consume 4).
    const backups = series('2024-03-01T00:00', '2024-03-03T23:00', HOUR);

    // Act
    const plan = planRetention(backups, only({ daily: 5, weekly: -1 }), new Date('2024-03-04T00:00Z'));

    // Assess
    expect(plan.counters).toEqual({ last: 0, hourly: 0, daily: 1, weekly: -1, monthly: 0, yearly: 0 });
  });

  it('deletes nothing when the newest verified backup is older than twice the schedule interval', () => {
    // Prepare: hourly backups stopped 3 h ago; an aggressive policy would keep only one.
    const backups = series('2024-03-05T00:00', '2024-03-06T07:00', HOUR);
    const policy = only({ keepLast: 1 });

    // Act
    const stale = planRetention(backups, policy, new Date('2024-03-06T10:00Z'));
    const onTime = planRetention(backups, policy, new Date('2024-03-06T09:00Z'));

    // Assess
    expect(stale.delete).toEqual([]);
    expect(stale.guard?.kind).toBe('stale-newest');
    expect(stale.guard?.message).toContain('2024-03-06T07:00:00.000Z) is 3h 0m old');
    expect(stale.keep).toHaveLength(backups.length);
    expect(stale.keep[0].reasons).toEqual(['last snapshot']);
    expect(stale.keep[1].reasons).toEqual([RETENTION_REASONS.staleNewestGuard]);
    expect(onTime.guard).toBeUndefined(); // exactly 2 intervals old is still on time
    expect(onTime.delete).toHaveLength(backups.length - 1);
  });

  it('deletes nothing when no backup is verified', () => {
    // Prepare: unverified backups and one verified backup dated in the future.
    const backups = [snap('2024-03-06T08:00', false), snap('2024-03-06T09:00', false), snap('2024-03-07T09:00')];

    // Act
    const plan = planRetention(backups, only({ keepLast: 1 }), new Date('2024-03-06T09:30Z'));

    // Assess
    expect(plan.delete).toEqual([]);
    expect(plan.guard).toEqual({ kind: 'stale-newest', message: expect.stringContaining('No verified backup') });
    expect(plan.keep.map((k) => [k.id, k.reasons])).toEqual([
      ['2024-03-07T09:00', ['future-dated']],
      ['2024-03-06T09:00', ['unverified (not managed by retention)']],
      ['2024-03-06T08:00', ['unverified (not managed by retention)']],
    ]);
  });

  it('never deletes unverified backups and does not count them', () => {
    // Prepare: the newest backup is unverified, so it must not take the one `last` slot.
    const backups = [snap('2024-03-01T10:00', false), snap('2024-03-06T08:00'), snap('2024-03-06T09:00'), snap('2024-03-06T10:00', false)];

    // Act
    const plan = planRetention(backups, only({ keepLast: 1 }), new Date('2024-03-06T10:30Z'));

    // Assess
    expect(plan.keep.map((k) => [k.id, k.reasons])).toEqual([
      ['2024-03-06T10:00', ['unverified (not managed by retention)']],
      ['2024-03-06T09:00', ['last snapshot']],
      ['2024-03-01T10:00', ['unverified (not managed by retention)']],
    ]);
    expect(plan.delete.map((d) => d.id)).toEqual(['2024-03-06T08:00']);
  });

  it('keeps future-dated backups without letting them consume a count or hide a stop', () => {
    // Prepare
    const backups = [...series('2024-03-06T07:00', '2024-03-06T10:00', HOUR), snap('2024-03-09T00:00')];

    // Act
    const fresh = planRetention(backups, only({ keepLast: 1 }), new Date('2024-03-06T10:30Z'));
    const stopped = planRetention(backups, only({ keepLast: 1 }), new Date('2024-03-06T15:00Z'));

    // Assess
    expect(fresh.keep.map((k) => [k.id, k.reasons])).toEqual([
      ['2024-03-09T00:00', ['future-dated']],
      ['2024-03-06T10:00', ['last snapshot']],
    ]);
    expect(fresh.delete.map((d) => d.id)).toEqual(['2024-03-06T09:00', '2024-03-06T08:00', '2024-03-06T07:00']);
    expect(stopped.guard?.kind).toBe('stale-newest');
    expect(stopped.delete).toEqual([]);
  });

  it('keeps everything when the policy is empty', () => {
    // Prepare
    const backups = series('2024-03-06T05:00', '2024-03-06T10:00', HOUR);

    // Act
    const plan = planRetention(backups, only({}), new Date('2024-03-06T10:30Z'));

    // Assess
    expect(plan.guard?.kind).toBe('empty-policy');
    expect(plan.delete).toEqual([]);
    expect(plan.keep.every((k) => k.reasons.join() === RETENTION_REASONS.emptyPolicyGuard)).toBe(true);
  });

  it('returns the same plan, newest first, whatever the input order', () => {
    // Prepare: two backups share a timestamp; the stable sort keeps their input order.
    const ordered = [snap('2024-03-06T10:00'), { ...snap('2024-03-06T10:00'), id: 'twin' }, ...series('2024-03-05T00:00', '2024-03-06T09:00', HOUR).reverse()];
    const shuffled = [...ordered.slice(2).reverse().slice(10), ordered[0], ...ordered.slice(2).reverse().slice(0, 10), ordered[1]];

    // Act
    const a = planRetention(ordered, only({ keepLast: 1, hourly: 3, daily: 2 }), new Date('2024-03-06T10:30Z'));
    const b = planRetention(shuffled, only({ keepLast: 1, hourly: 3, daily: 2 }), new Date('2024-03-06T10:30Z'));

    // Assess
    expect(b).toEqual(a);
    expect(a.keep.map((k) => [k.id, k.reasons])).toEqual([
      ['2024-03-06T10:00', ['last snapshot', 'hourly snapshot', 'daily snapshot']],
      ['2024-03-06T09:00', ['hourly snapshot']],
      ['2024-03-06T08:00', ['hourly snapshot']],
      ['2024-03-05T23:00', ['daily snapshot']],
    ]);
    expect(a.delete.slice(0, 2).map((d) => d.id)).toEqual(['twin', '2024-03-06T07:00']);
    for (const list of [a.keep, a.delete]) {
      for (let i = 1; i < list.length; i++) expect(list[i - 1].takenAt.getTime()).toBeGreaterThanOrEqual(list[i].takenAt.getTime());
    }
  });

  it('keeps its invariants for random inputs and policies', () => {
    // Prepare
    const random = mulberry32(20240306);
    const now = new Date('2024-03-06T10:15:00Z');

    for (let run = 0; run < 300; run++) {
      const backups = randomBackups(random, now);
      const policy = randomPolicy(random);
      Object.freeze(backups);
      backups.forEach((b) => Object.freeze(b));

      // Act
      const plan = planRetention(backups, policy, now);

      // Assess
      assertInvariants(backups, policy, now, plan);
      expect(planRetention(backups, policy, now)).toEqual(plan);
    }
  });

  it.each<{ policy: Partial<RetentionPolicy>; field: string }>([
    { policy: { hourly: 1.5 }, field: 'policy.hourly' },
    { policy: { daily: -2 }, field: 'policy.daily' },
    { policy: { weekly: Number.NaN }, field: 'policy.weekly' },
    { policy: { keepLast: Infinity }, field: 'policy.keepLast' },
    { policy: { keepMin: -3 }, field: 'policy.keepMin' },
    { policy: { scheduleIntervalMs: 0 }, field: 'policy.scheduleIntervalMs' },
    { policy: { scheduleIntervalMs: -HOUR }, field: 'policy.scheduleIntervalMs' },
    { policy: { timeZone: 'Europe/Berlin' as 'UTC' }, field: 'policy.timeZone' },
  ])('rejects $field in $policy', ({ policy, field }) => {
    // Prepare
    const invalid = { ...DEFAULT_RETENTION_POLICY, ...policy };

    // Act
    const error = catchError(() => planRetention([snap('2024-03-06T10:00')], invalid, new Date('2024-03-06T10:30Z')));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', context: { field }, message: expect.stringContaining(`${field}: `) });
    expect((error as InvalidInputError).remedy).toMatch(new RegExp(`^Set ${field} to a valid value, for example .+\\.$`));
  });
});

describe('isoWeekKey', () => {
  it('uses the ISO year at year boundaries', () => {
    // Prepare
    const cases: [string, number][] = [
      ['2020-12-31', 202053],
      ['2021-01-03', 202053],
      ['2021-01-04', 202101],
      ['2024-12-29', 202452],
      ['2024-12-30', 202501],
      ['2026-01-01', 202601],
      ['2027-01-03', 202653],
    ];

    // Act
    const keys = cases.map(([day]) => isoWeekKey(new Date(`${day}T12:00:00Z`)));

    // Assess
    expect(keys).toEqual(cases.map(([, key]) => key));
    expect(isoWeek(new Date('2021-01-03T23:59:59Z'))).toEqual({ year: 2020, week: 53 });
  });

  it('derives every period key from the UTC calendar', () => {
    // Prepare: 23:30 at +05:00 is 18:30 UTC the same day; 23:30 at -05:00 is the next UTC day.
    const east = new Date('2024-12-31T23:30:00+05:00');
    const west = new Date('2024-12-31T23:30:00-05:00');

    // Act
    const keys = [east, west].map((d) => [hourKey(d), dayKey(d), isoWeekKey(d), monthKey(d), yearKey(d)]);

    // Assess
    expect(keys).toEqual([
      [2024123118, 20241231, 202501, 202412, 2024],
      [2025010104, 20250101, 202501, 202501, 2025],
    ]);
  });
});

describe('planLeftoverCleanup', () => {
  it('deletes only unverified objects older than the maximum age', () => {
    // Prepare
    const now = new Date('2024-03-06T10:00:00Z');
    const objects = [
      { id: 'old-unverified', lastModified: new Date('2024-03-05T09:59:00Z'), verified: false },
      { id: 'young-unverified', lastModified: new Date('2024-03-05T10:00:00Z'), verified: false },
      { id: 'old-verified', lastModified: new Date('2023-01-01T00:00:00Z'), verified: true },
      { id: 'future-unverified', lastModified: new Date('2024-03-09T00:00:00Z'), verified: false },
    ];

    // Act
    const byDefault = planLeftoverCleanup(objects, now);
    const withinAnHour = planLeftoverCleanup(objects, now, HOUR);

    // Assess
    expect(byDefault).toEqual(['old-unverified']);
    expect(withinAnHour).toEqual(['old-unverified', 'young-unverified']);
    expect(() => planLeftoverCleanup(objects, now, 0)).toThrow(InvalidInputError);
  });
});

describe('describeRetentionPolicy', () => {
  it('describes a policy in one line with defaults applied', () => {
    // Act
    const lines = [
      describeRetentionPolicy(DEFAULT_RETENTION_POLICY),
      describeRetentionPolicy({ scheduleIntervalMs: HOUR, keepLast: 2, hourly: -1, yearly: 10, keepMin: 0 }),
      describeRetentionPolicy(only({ keepMin: 5 })),
      describeRetentionPolicy(only({})),
    ];

    // Assess
    expect(lines).toEqual([
      'keep 24 hourly, 7 daily, 4 weekly, 6 monthly; never fewer than the newest 3',
      'keep the last 2, all hourly, 7 daily, 4 weekly, 6 monthly, 10 yearly',
      'keep only the newest 5',
      'keep everything (empty policy: nothing is pruned)',
    ]);
  });
});

// --- property test helpers -------------------------------------------------------------------------------------

/** Small seeded PRNG, so the "random" inputs are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)];
}

function randomBackups(random: () => number, now: Date): RetentionCandidate[] {
  const count = Math.floor(random() * 40);
  const backups: RetentionCandidate[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    let t = now.getTime() - Math.floor(random() * 90 * 24 * 60) * MINUTE;
    if (roll < 0.08) t = now.getTime() + Math.ceil(random() * 3 * 24 * 60) * MINUTE;
    else if (roll < 0.16 && backups.length > 0) t = backups[backups.length - 1].takenAt.getTime();
    backups.push({ id: `b${i}`, takenAt: new Date(t), verified: random() > 0.15 });
  }
  return backups;
}

function randomPolicy(random: () => number): RetentionPolicy {
  const count = () => pick(random, [-1, 0, 0, 0, 1, 2, 3, 5]);
  return {
    keepLast: count(),
    hourly: count(),
    daily: count(),
    weekly: count(),
    monthly: count(),
    yearly: count(),
    keepMin: pick(random, [0, 0, 1, 3, -1]),
    scheduleIntervalMs: pick(random, [HOUR, 12 * HOUR, 30 * DAY]),
  };
}

const ORACLE_KEYS: Record<Exclude<RetentionRule, 'last'>, (d: Date) => number> = {
  hourly: hourKey,
  daily: dayKey,
  weekly: isoWeekKey,
  monthly: monthKey,
  yearly: yearKey,
};

/**
 * Independent restatement of the count rules: per rule, the newest backup of each of the first `count` periods
 * (newest first) that hold a backup, plus the oldest backup when fewer than `count` periods come before it.
 */
function oracleRuleKeeps(managed: readonly RetentionCandidate[], policy: RetentionPolicy): Set<string> {
  const kept = new Set<string>();
  for (const rule of RETENTION_RULES) {
    const count = rule === 'last' ? policy.keepLast : policy[rule];
    if (count === undefined || count === 0) continue;
    const limit = count === -1 ? Infinity : count;
    const periods = new Map<number, string>();
    managed.forEach((b, i) => {
      const key = rule === 'last' ? i : ORACLE_KEYS[rule](b.takenAt);
      if (!periods.has(key)) periods.set(key, b.id);
    });
    [...periods.values()].slice(0, Math.min(limit, periods.size)).forEach((id) => kept.add(id));
    const before = new Set(managed.slice(0, -1).map((b, i) => (rule === 'last' ? i : ORACLE_KEYS[rule](b.takenAt))));
    if (managed.length > 0 && before.size < limit) kept.add(managed[managed.length - 1].id);
  }
  return kept;
}

function assertInvariants(backups: readonly RetentionCandidate[], policy: RetentionPolicy, now: Date, plan: RetentionPlan): void {
  const ids = (list: readonly { id: string }[]) => list.map((x) => x.id);
  const managed = backups
    .filter((b) => b.verified && b.takenAt <= now)
    .map((b, i) => ({ b, i }))
    .sort((x, y) => y.b.takenAt.getTime() - x.b.takenAt.getTime() || x.i - y.i)
    .map(({ b }) => b);
  const deleted = new Set(ids(plan.delete));

  // keep and delete partition the input; only managed (verified, not future) backups are ever deleted.
  expect([...ids(plan.keep), ...ids(plan.delete)].sort()).toEqual(ids(backups).sort());
  expect(ids(plan.delete).every((id) => managed.some((b) => b.id === id))).toBe(true);
  expect(plan.keep.every((k) => k.reasons.length > 0)).toBe(true);
  // The newest verified backup is always kept, and so are the newest keepMin managed ones.
  const newestVerified = [...backups].filter((b) => b.verified).sort((x, y) => y.takenAt.getTime() - x.takenAt.getTime())[0];
  if (newestVerified) expect(deleted.has(newestVerified.id)).toBe(false);
  const floor = policy.keepMin === -1 ? managed.length : (policy.keepMin ?? 0);
  expect(managed.slice(0, floor).some((b) => deleted.has(b.id))).toBe(false);
  // A guard means no delete; without one, the kept set is exactly what the rules, the floor and the exemptions give.
  if (plan.guard) expect(plan.delete).toEqual([]);
  else {
    const expected = oracleRuleKeeps(managed, policy);
    managed.slice(0, floor).forEach((b) => expected.add(b.id));
    backups.filter((b) => !managed.includes(b)).forEach((b) => expected.add(b.id));
    expect(new Set(ids(plan.keep))).toEqual(expected);
  }
  // Both lists are newest first.
  for (const list of [plan.keep, plan.delete]) {
    for (let i = 1; i < list.length; i++) expect(list[i - 1].takenAt.getTime()).toBeGreaterThanOrEqual(list[i].takenAt.getTime());
  }
}
