import { createS3Client } from '../../../functions/adapters/aws-clients';
import { ConsulKvTarget } from '../../../functions/adapters/consul/kv-target';
import { S3BackupStore } from '../../../functions/adapters/s3-backup-store';
import type { CommandSpec } from '../../../functions/cli/command';
import { COMMANDS } from '../../../functions/cli/commands';
import { createRestoreKvCommand } from '../../../functions/cli/commands/restore-kv';
import { main } from '../../../functions/cli/main';
import { consulFromEnv } from '../../../functions/cli/wiring';
import type { KvTxnOp } from '../../../functions/core/restore/ports';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startLocalSns, type LocalSns } from '../../../local/sns';
import { CaptureStream } from '../../helpers/capture';
import { createTestBucket } from '../../helpers/s3';

const PREFIX = 'config/payments/';

/** The keys under the prefix when the backup is taken: text, flags up to 2^64-1, binary, unicode, big and many. */
function seedValues(): Map<string, { value: Buffer; flags: bigint }> {
  const keys = new Map<string, { value: Buffer; flags: bigint }>();
  keys.set(`${PREFIX}url`, { value: Buffer.from('https://pay.internal/v2 SECRET-URL-VALUE'), flags: 0n });
  keys.set(`${PREFIX}timeout`, { value: Buffer.from('30s'), flags: 42n });
  keys.set(`${PREFIX}max-flags`, { value: Buffer.from('x'), flags: 18446744073709551615n });
  keys.set(`${PREFIX}binary`, { value: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), flags: 7n });
  keys.set(`${PREFIX}naïve key/日本`, { value: Buffer.from('unicode'), flags: 1n });
  keys.set(`${PREFIX}large`, { value: Buffer.alloc(450 * 1024, 0x6c), flags: 3n });
  for (let i = 0; i < 150; i++) keys.set(`${PREFIX}bulk/${String(i).padStart(3, '0')}`, { value: Buffer.from(`bulk value ${i}`), flags: BigInt(i) });
  return keys;
}

describe('consul-ops restore-kv (CLI against the simulator, radosgw and SNS)', () => {
  let sim: ConsulSimulator;
  let sns: LocalSns;
  let bucket: string;
  const env = () => ({ ...process.env, CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: sim.managementToken.secretId });

  beforeAll(async () => {
    sim = await startConsulSimulator();
    sns = await startLocalSns();
    ({ bucket } = await createTestBucket({ versioning: true }));
  });
  afterAll(async () => {
    await sim.stop();
    await sns.stop();
  });

  async function run(args: string[], extraEnv: Record<string, string> = {}, commands: readonly CommandSpec[] = COMMANDS) {
    const stdout = new CaptureStream();
    const stderr = new CaptureStream();
    const code = await main(['node', 'consul-ops', ...args], { stdout, stderr, env: { ...env(), ...extraEnv }, interactive: false }, commands);
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('brings back a deleted prefix exactly (values, flags), leaves a key outside it and a concurrently changed key alone', async () => {
    // Prepare: the keys, a key outside the prefix and one sharing its bytes but not its slash; then a backup
    const seeded = seedValues();
    for (const [key, e] of seeded) sim.state.kvPut(key, e.value, e.flags);
    sim.state.kvPut('config/other', 'outside, before');
    sim.state.kvPut('config/paymentsX', 'outside too');
    const backup = await run(['backup', '--bucket', bucket, '--cluster', 'demo', '--json']);
    expect(backup.code).toBe(0);
    // Someone deletes the tree; the key outside changes; a new key appears under the prefix
    for (const key of seeded.keys()) sim.state.kvDelete(key);
    sim.state.kvPut('config/other', 'outside, after');
    sim.state.kvDelete('config/paymentsX');
    sim.state.kvPut(`${PREFIX}new-since`, 'created after the backup');
    // `url` is back meanwhile, but wrong: the plan updates it (CAS on its index)
    sim.state.kvPut(`${PREFIX}url`, 'wrong');

    // Act 1: the plan
    const plan = await run(['restore-kv', '--bucket', bucket, '--cluster', 'demo', '--latest', '--prefix', PREFIX, '--json']);

    // Assess 1
    expect(plan.code).toBe(0);
    const planned = JSON.parse(plan.stdout);
    expect(planned).toMatchObject({ applied: false, notApplied: 'dry run', counts: { create: seeded.size - 1, update: 1, delete: 0, skip: 0, extra: 1 } });
    expect(planned.keys.extra).toEqual([`${PREFIX}new-since`]);
    expect(sim.state.kvGet(`${PREFIX}timeout`)).toBeUndefined();

    // Act 2: apply, while someone rewrites `url` and creates `timeout` between the plan and the first transaction
    const topicArn = sns.createTopic('restore-kv');
    const inbox = sns.subscribeQueue(topicArn);
    const txns: KvTxnOp[][] = [];
    const racing = createRestoreKvCommand({
      now: () => new Date(),
      connect(context, b) {
        const consul = consulFromEnv(context);
        const target = new ConsulKvTarget(consul.api);
        const applyKvTxn = target.applyKvTxn.bind(target);
        target.applyKvTxn = async (ops) => {
          if (txns.length === 0) {
            sim.state.kvPut(`${PREFIX}url`, 'concurrent writer');
            sim.state.kvPut(`${PREFIX}timeout`, 'concurrent create', 9n);
          }
          txns.push([...ops]);
          return applyKvTxn(ops);
        };
        return { consul: target, store: new S3BackupStore({ client: createS3Client(context.env), bucket: b }), close: () => consul.close() };
      },
    }) as CommandSpec;
    const applied = await run(['restore-kv', '--bucket', bucket, '--cluster', 'demo', '--latest', '--prefix', PREFIX, '--yes'], { CONSUL_OPS_SNS_TOPIC_ARN: topicArn, AWS_ENDPOINT_URL_SNS: sns.endpoint }, [racing]);

    // Assess 2: every restored key, value and flag; the two raced keys left as the other writer left them
    expect(applied.code).toBe(0);
    for (const [key, e] of seeded) {
      if (key === `${PREFIX}url` || key === `${PREFIX}timeout`) continue;
      const live = sim.state.kvEntry(key);
      expect({ key, value: live?.Value?.equals(e.value), flags: BigInt(live?.Flags ?? -1) }).toEqual({ key, value: true, flags: e.flags });
    }
    expect(sim.state.kvGet(`${PREFIX}url`)).toBe('concurrent writer');
    expect(sim.state.kvGet(`${PREFIX}timeout`)).toBe('concurrent create');
    expect(BigInt(sim.state.kvEntry(`${PREFIX}timeout`)?.Flags ?? 0)).toBe(9n);
    expect(sim.state.kvGet(`${PREFIX}new-since`)).toBe('created after the backup');
    expect(sim.state.kvGet('config/other')).toBe('outside, after');
    expect(sim.state.kvGet('config/paymentsX')).toBeUndefined();
    expect(txns.every((t) => t.length <= 64)).toBe(true);
    expect(txns.flat().every((op) => op.key.startsWith(PREFIX))).toBe(true);
    expect(applied.stdout).toContain(`Applied: ${seeded.size - 2} created, 0 updated, 0 deleted`);
    expect(applied.stdout).toMatch(/2 key\(s\) changed after the plan was made and were left alone[^\n]*\n {2}! config\/payments\/timeout\n {2}! config\/payments\/url/);
    expect(applied.stdout).toContain('Sessions and locks (Session, LockIndex) are not restored');
    const [mail] = await inbox.receive(5);
    expect(mail.Subject).toMatch(/^\[MEDIUM\] demo: restore-kv of config\/payments\/ applied/);
    for (const text of [plan.stdout, applied.stdout, applied.stderr, mail.Message]) {
      expect(text).not.toContain('SECRET-URL-VALUE');
      expect(text).not.toContain('bulk value 1');
    }
  }, 120_000);

  it('deletes the extra keys with --delete-extra, and only under the prefix', async () => {
    // Prepare
    sim.state.kvPut('extra/keep/a', '1');
    const backup = await run(['backup', '--bucket', bucket, '--cluster', 'extra', '--json']);
    const key = JSON.parse(backup.stdout).key as string;
    sim.state.kvPut('extra/keep/b', 'added later');
    sim.state.kvPut('extra/keepsake', 'outside the prefix extra/keep/');

    // Act
    const out = await run(['restore-kv', '--bucket', bucket, '--key', key, '--prefix', 'extra/keep/', '--delete-extra', '--yes', '--json']);

    // Assess
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ applied: true, counts: { delete: 1, skip: 1 }, outcome: { deleted: 1, conflicts: [] } });
    expect(sim.state.kvGet('extra/keep/b')).toBeUndefined();
    expect(sim.state.kvGet('extra/keep/a')).toBe('1');
    expect(sim.state.kvGet('extra/keepsake')).toBe('outside the prefix extra/keep/');
  }, 60_000);
});
