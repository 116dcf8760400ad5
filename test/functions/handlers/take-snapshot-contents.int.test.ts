/**
 * What the scheduled backup knows about its contents, end to end: the take-snapshot handler against the Consul
 * simulator (real state.bin records), radosgw and fauxqs. The contents object beside each archive, `list --json`,
 * `inspect` and `diff` of stored backups, the content-drop finding and metrics, the hold that retention keeps, and
 * `ack-drop`.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { main } from '../../../functions/cli/main';
import { createJobHandler } from '../../../functions/handlers/job';
import { SNAPSHOT_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import { takeSnapshotJob } from '../../../functions/handlers/take-snapshot';
import type { ConsulSimulator } from '../../../local/consul-simulator';
import type { QueueSubscription } from '../../../local/sns';
import { CaptureStream } from '../../helpers/capture';
import { startSnapshotFunctionStack, type SnapshotFunctionStack } from '../../helpers/snapshot-function-stack';

const context = { getRemainingTimeInMillis: () => 900_000 };
const HOUR = 3_600_000;

describe('backup contents and the content-drop alarm (take-snapshot handler, simulator, radosgw, fauxqs)', () => {
  let stack: SnapshotFunctionStack;
  let sim: ConsulSimulator;
  let inbox: QueueSubscription;
  let bucket: string;
  let s3: S3Client;
  let env: Record<string, string | undefined>;
  let now = new Date('2026-11-21T10:00:00.000Z');
  const metrics = new Metrics({ namespace: 'ConsulOps', serviceName: 'consul-ops-take-snapshot' });
  const added: [string, number][] = [];
  const saved = { ...process.env };

  async function cli(args: string[]) {
    const stdout = new CaptureStream();
    const stderr = new CaptureStream();
    const code = await main(['node', 'consul-ops', ...args], { stdout, stderr, env: { ...process.env, USER: 'alice' }, interactive: false });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  beforeAll(async () => {
    stack = await startSnapshotFunctionStack();
    ({ sim, inbox, bucket, s3 } = stack);
    env = {
      ...process.env,
      ...stack.env,
      // Retention that alone keeps only the newest backup: what the hold keeps is the hold's doing.
      [E.retentionPolicy]: JSON.stringify({ keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, keepMin: 1, scheduleIntervalMs: HOUR }),
      [E.contentDropThresholds]: JSON.stringify({ kvEntriesDropPercent: 25 }),
    };
    // The AWS clients of the handler read the process environment (as in Lambda).
    Object.assign(process.env, env);
    jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      added.push([name, value]);
      return metrics;
    });
    for (let i = 0; i < 200; i++) sim.state.kvPut(`config/app-${i % 10}/key-${i}`, `VALUE-${i}-SECRET`, i % 3);
    sim.state.kvPut('top-level', 'x');
  });
  afterAll(async () => {
    process.env = saved;
    await stack.stop();
  });

  it('stores the counts with each backup, alarms on a drop, holds the last good backup until ack-drop', async () => {
    // Prepare
    const handler = createJobHandler(takeSnapshotJob, { env, metrics, now: () => now });
    const run = async () => {
      const out = await handler({ trigger: 'schedule' }, context);
      now = new Date(now.getTime() + HOUR);
      return out;
    };

    // Act 1: a good backup
    const good = await run();

    // Assess 1: the contents object beside the archive, written once it verified
    const stored = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${good.backup.key}.contents.json` }))).Body!.transformToString());
    expect(stored).toMatchObject({ version: 1, key: good.backup.key, versionId: good.backup.versionId, archiveSha256: good.backup.sha256, summary: { kv: { entries: 201, topPrefixes: [{ prefix: 'config/', entries: 200 }, { prefix: '', entries: 1 }] } } });
    expect(stored.summary.acl.tokens).toBe(sim.state.listTokens().length);
    expect(JSON.stringify(stored)).not.toContain('VALUE-');
    expect(added).toEqual(expect.arrayContaining([['KvEntries', 201], ['ContentDropFindings', 0]]));
    await inbox.receive(2);

    // Act 2: someone deletes most of config/
    for (let i = 0; i < 180; i++) sim.state.kvDelete(`config/app-${i % 10}/key-${i}`);
    added.length = 0;
    const dropped = await run();

    // Assess 2: the finding, the report, the metric, the hold
    expect(dropped.contents?.findings).toEqual([expect.objectContaining({ id: 'content-drop:kv-entries', severity: 'high', message: 'KV entries 201 → 21 (−90 %) under `config/`' })]);
    const [alarm] = await inbox.receive(5);
    expect(alarm.Subject).toBe('[HIGH] demo: backup ok, content drop (1 finding)');
    expect(alarm.Message).toContain('KV entries 201 → 21 (−90 %) under `config/`');
    expect(alarm.Message).toContain('consul-ops ack-drop --cluster demo');
    expect(alarm.Message).not.toContain('VALUE-');
    expect(added).toEqual(expect.arrayContaining([['KvEntries', 21], ['ContentDropFindings', 1]]));
    expect(dropped.prune.kept.map((k) => k.key).sort()).toEqual([good.backup.key, dropped.backup.key].sort());

    // Act 3: the next backups still hold the damage; retention would keep only the newest
    const third = await run();

    // Assess 3: the last good backup is still kept, by the hold, with its reason; the first damaged one is pruned
    expect(third.prune.deleted.map((d) => d.key)).toEqual([dropped.backup.key]);
    expect(third.prune.kept.find((k) => k.key === good.backup.key)?.reasons[0]).toMatch(/^content-drop hold: the last backup before KV entries 201 → 21/);
    expect(await inbox.receive(1)).toEqual([]); // the same open finding: dedupe keeps it quiet

    // Act 4: what the operator sees and does
    const listed = await cli(['list', '--bucket', bucket, '--cluster', 'demo', '--json']);
    const inspected = await cli(['inspect', '--bucket', bucket, '--key', good.backup.key, '--kvdetails', '--kvdepth', '1']);
    const diff = await cli(['diff', `s3://${bucket}/${good.backup.key}`, `s3://${bucket}/${third.backup.key}`, '--json']);
    const ack = await cli(['ack-drop', '--bucket', bucket, '--cluster', 'demo']);
    const fourth = await run();

    // Assess 4
    expect(JSON.parse(listed.stdout).map((b: { key: string; contents: { kv: { entries: number } } }) => [b.key, b.contents.kv.entries])).toEqual([
      [third.backup.key, 21],
      [good.backup.key, 201],
    ]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toMatch(/^ ID {11}\S+\n Size {9}\d+\n Index {8}\d+\n Term {9}\d+\n Version {6}1\n\n Type +Count +Size\n/);
    expect(inspected.stdout).toMatch(/\n KVS +201 +\d+(\.\d)?KB\n/);
    expect(inspected.stdout).toMatch(/\n config +200 +\d+(\.\d)?KB\n top-level +1 +\d+B\n/);
    const changes = JSON.parse(diff.stdout);
    expect(changes.counts).toEqual(expect.arrayContaining([{ name: 'KV entries', before: 201, after: 21, delta: -180 }]));
    expect(changes.kv.removed).toHaveLength(180);
    expect(diff.stdout).not.toContain('VALUE-');
    expect(ack.stdout).toContain(`Released ${good.backup.key}`);
    expect(fourth.prune.deleted.map((d) => d.key).sort()).toEqual([good.backup.key, third.backup.key].sort());
    const [resolved] = await inbox.receive(5);
    expect(resolved.MessageAttributes?.reason?.Value).toBe('resolved');
  }, 180_000);

  it('shows values in a diff only with --show-values', async () => {
    // Prepare: two backups a key apart
    const handler = createJobHandler(takeSnapshotJob, { env: { ...env, [E.retentionPolicy]: JSON.stringify({ hourly: 24, scheduleIntervalMs: HOUR }) }, metrics, now: () => now });
    const a = await handler({ trigger: 'manual' }, context);
    now = new Date(now.getTime() + HOUR);
    sim.state.kvPut('config/app-1/key-191', 'CHANGED-VALUE', 191 % 3);
    const b = await handler({ trigger: 'manual' }, context);

    // Act
    const hidden = await cli(['diff', a.backup.key, b.backup.key, '--bucket', bucket]);
    const shown = await cli(['diff', a.backup.key, b.backup.key, '--bucket', bucket, '--show-values']);

    // Assess
    expect(hidden.stdout).toContain('~ config/app-1/key-191 (value)');
    expect(hidden.stdout).not.toContain('CHANGED-VALUE');
    expect(hidden.stdout).toContain('(values are not shown; pass --show-values to print them)');
    expect(shown.stdout).toContain('~ config/app-1/key-191 (value): "VALUE-191-SECRET" → "CHANGED-VALUE"');
  }, 120_000);
});
