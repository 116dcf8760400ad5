import { runJob } from '../../../../functions/core/report/job';
import { createReport, type Report } from '../../../../functions/core/report/report';

const report = (title: string): Report => createReport({ feature: 'backup', cluster: 'c1', title, summary: [], findings: [], occurredAt: '2026-01-01T00:00:00.000Z' });

describe('runJob', () => {
  it.each([
    ['a result', () => Promise.resolve(42), { ok: true, result: 42 }, 'ok 42'],
    ['an error', () => Promise.reject(new Error('boom')), { ok: false, error: new Error('boom') }, 'failed boom'],
  ])('turns %s into an outcome with the report built from it', async (_name, work, expected, title) => {
    // Act
    const outcome = await runJob(work as () => Promise<number>, (run) => report(run.error !== undefined ? `failed ${(run.error as Error).message}` : `ok ${run.result}`));

    // Assess
    expect(outcome).toMatchObject(expected);
    expect(outcome.report?.title).toBe(title);
  });

  it('leaves the report out when the job has nothing to say', async () => {
    const outcome = await runJob(() => Promise.resolve('intermediate'), () => undefined);
    expect(outcome).toEqual({ ok: true, result: 'intermediate' });
  });
});
