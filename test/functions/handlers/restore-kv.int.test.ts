/**
 * The restore function's `restore-kv` event, end to end: the real handler against the Consul simulator, radosgw and
 * fauxqs, with the environment the stack gives it.
 */
import { createJobHandler } from '../../../functions/handlers/job';
import { RESTORE_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import { restoreJob } from '../../../functions/handlers/restore';
import { takeSnapshotJob } from '../../../functions/handlers/take-snapshot';
import { startSnapshotFunctionStack, type SnapshotFunctionStack } from '../../helpers/snapshot-function-stack';

const context = { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'req-1' };

describe('restore function: restore-kv event (simulator, radosgw, fauxqs)', () => {
  let stack: SnapshotFunctionStack;
  const saved = { ...process.env };

  beforeAll(async () => {
    stack = await startSnapshotFunctionStack();
    Object.assign(process.env, stack.env);
  });
  afterAll(async () => {
    process.env = saved;
    await stack.stop();
  });

  it('plans unless confirmed, then restores the prefix, reports it, and never carries a value', async () => {
    // Prepare: keys, a backup, then the prefix deleted
    const { sim } = stack;
    sim.state.kvPut('config/payments/url', 'SECRET-VALUE', 5);
    sim.state.kvPut('config/other', 'outside');
    await createJobHandler(takeSnapshotJob)({ trigger: 'manual' }, context);
    sim.state.kvDelete('config/payments/url');
    sim.state.kvPut('config/other', 'changed outside');
    await stack.inbox.receive(1);
    const restore = createJobHandler(restoreJob, { env: { ...process.env, [E.snapshotPrefix]: 'snapshots' } });

    // Act
    const plan = await restore({ cluster: 'demo', latest: true, kvPrefix: 'config/payments/', requestedBy: 'alice' }, context);
    const applied = await restore({ cluster: 'demo', latest: true, kvPrefix: 'config/payments/', dryRun: false, confirm: 'demo', requestedBy: 'alice' }, context);

    // Assess
    expect(plan).toMatchObject({ applied: false, notApplied: 'dry run', counts: { create: 1 } });
    expect(applied).toMatchObject({ applied: true, outcome: { created: 1, conflicts: [] } });
    expect(sim.state.kvGet('config/payments/url')).toBe('SECRET-VALUE');
    expect(BigInt(sim.state.kvEntry('config/payments/url')?.Flags ?? 0)).toBe(5n);
    expect(sim.state.kvGet('config/other')).toBe('changed outside');
    const mails = await stack.inbox.receive(5);
    expect(mails.map((m) => m.Subject)).toEqual(expect.arrayContaining(['[INFO] demo: restore-kv of config/payments/ not applied (dry run)', '[MEDIUM] demo: restore-kv of config/payments/ applied']));
    for (const text of [JSON.stringify(plan), JSON.stringify(applied), ...mails.map((m) => m.Message)]) expect(text).not.toContain('SECRET-VALUE');
  }, 120_000);

  it('refuses a full-restore override in a restore-kv event, with the remedy in the error', async () => {
    const restore = createJobHandler(restoreJob);
    await expect(restore({ cluster: 'demo', latest: true, kvPrefix: 'config/', skipSafetySnapshot: true }, context)).rejects.toMatchObject({
      name: 'INVALID_INPUT',
      message: expect.stringContaining('event.skipSafetySnapshot'),
    });
  });
});
