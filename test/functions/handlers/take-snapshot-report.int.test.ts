/**
 * The take-snapshot handler's reporting, end to end: Consul simulator, Secrets Manager fake, radosgw for state and
 * reports, fauxqs for SNS (REPORT_TOPIC_ARN + AWS_ENDPOINT_URL_SNS, as the stack and a local run set them).
 */
import { SNAPSHOT_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import type { ConsulSimulator } from '../../../local/consul-simulator';
import type { QueueSubscription } from '../../../local/sns';
import { startSnapshotFunctionStack, type SnapshotFunctionStack } from '../../helpers/snapshot-function-stack';

type Handler = typeof import('../../../functions/handlers/take-snapshot').handler;
const context = { getRemainingTimeInMillis: () => 900_000 };

describe('take-snapshot handler reports (local stack + fauxqs)', () => {
  let stack: SnapshotFunctionStack;
  let sim: ConsulSimulator;
  let inbox: QueueSubscription;
  let topicArn: string;
  const saved = { ...process.env };

  /** A fresh handler module (fresh cold-start wiring) for the current environment. */
  function loadHandler(): Handler {
    let handler!: Handler;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../../functions/handlers/take-snapshot') as { handler: Handler }).handler;
    });
    return handler;
  }

  beforeAll(async () => {
    stack = await startSnapshotFunctionStack();
    ({ sim, inbox, topicArn } = stack);
    Object.assign(process.env, stack.env, {
      [E.retentionPolicy]: JSON.stringify({ hourly: 24, daily: 7, weekly: 4, monthly: 6, keepMin: 3, scheduleIntervalMs: 3_600_000 }),
    });
  });
  afterAll(async () => {
    process.env = saved;
    await stack.stop();
  });

  it('sends the daily digest for the first good backup, stays quiet for the next, and is loud on failure', async () => {
    // Prepare
    const handler = loadHandler();

    // Act + Assess: first successful run of the day → digest
    await handler({ trigger: 'schedule' }, context);
    const [digest] = await inbox.receive();
    expect(digest.Subject).toBe('[INFO] demo: backup ok (daily digest)');
    expect(digest.Message).toMatch(/Stored a verified snapshot s3:\/\/ct-[a-z0-9-]+\/snapshots\/demo\//);
    expect(digest.MessageAttributes).toMatchObject({ severity: { Type: 'String', Value: 'info' }, feature: { Type: 'String', Value: 'backup' }, reason: { Type: 'String', Value: 'digest' } });

    // the next good run → nothing
    await handler({ trigger: 'schedule' }, context);
    expect(await inbox.receive(1)).toEqual([]);

    // the token no longer works → the run fails with its own error, and the failure is announced
    sim.state.deleteToken(sim.managementToken.accessorId);
    await expect(handler({ trigger: 'schedule' }, context)).rejects.toMatchObject({ code: 'CONSUL_ACL_NOT_FOUND' });
    const [failure] = await inbox.receive();
    expect(failure.Subject).toBe('[CRITICAL] demo: backup failed');
    expect(failure.Message).toContain('CONSUL_ACL_NOT_FOUND');
    expect(failure.Message).not.toContain(sim.managementToken.secretId);
    expect(failure.MessageAttributes?.severity).toEqual({ Type: 'String', Value: 'critical' });
  });

  it('keeps the backup error when the report cannot be published', async () => {
    // Prepare: a topic that does not exist
    process.env[E.reportTopicArn] = topicArn.replace(/consul-ops-reports$/, 'missing');
    const handler = loadHandler();

    // Act + Assess: the Consul error, not REPORT_PUBLISH_FAILED
    await expect(handler({ trigger: 'schedule' }, context)).rejects.toMatchObject({ code: 'CONSUL_ACL_NOT_FOUND' });
    process.env[E.reportTopicArn] = topicArn;
  });
});
