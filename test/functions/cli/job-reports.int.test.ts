/**
 * Every CLI command that runs a job publishes its report exactly as the scheduled job would, when
 * CONSUL_OPS_SNS_TOPIC_ARN is set: against the Consul simulator, radosgw, the Secrets Manager fake and fauxqs.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { main } from '../../../functions/cli/main';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../local/secrets-manager-fake';
import { startLocalSns, type LocalSns, type QueueSubscription } from '../../../local/sns';
import { CaptureStream } from '../../helpers/capture';
import { createTestBucket } from '../../helpers/s3';

const savedEnv = { ...process.env };
let sim: ConsulSimulator;
let sns: LocalSns;
let fake: SecretsManagerFake;
let bucket: string;

beforeAll(async () => {
  sim = await startConsulSimulator();
  sns = await startLocalSns();
  fake = await startSecretsManagerFake();
  ({ bucket } = await createTestBucket({ versioning: true }));
  // The Secrets Manager client of rotate-token reads the SDK's standard environment.
  Object.assign(process.env, { AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.endpoint, AWS_MAX_ATTEMPTS: '1' });
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([sim.stop(), sns.stop(), fake.stop()]);
});

/** Runs one command with a fresh topic and queue; returns its exit code, output and the one notification. */
async function runReported(args: string[]): Promise<{ code: number; stdout: string; stderr: string; inbox: QueueSubscription }> {
  const topicArn = sns.createTopic(`cli-${args[0]}-${Math.random().toString(36).slice(2, 8)}`);
  const inbox = sns.subscribeQueue(topicArn);
  const stdout = new CaptureStream();
  const stderr = new CaptureStream();
  const code = await main(['node', 'consul-ops', ...args], {
    stdout,
    stderr,
    env: {
      ...process.env,
      CONSUL_HTTP_ADDR: sim.url,
      CONSUL_HTTP_TOKEN: sim.managementToken.secretId,
      CONSUL_OPS_SNS_TOPIC_ARN: topicArn,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
    },
    interactive: false,
  });
  return { code, stdout: stdout.text, stderr: stderr.text, inbox };
}

async function oneNotification(inbox: QueueSubscription) {
  const received = await inbox.receive(5);
  expect(received).toHaveLength(1);
  return received[0];
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(sim.managementToken.secretId);
}

describe('every job command publishes its report when CONSUL_OPS_SNS_TOPIC_ARN is set', () => {
  beforeAll(async () => {
    // One stored backup for prune and restore.
    const stored = await runReported(['backup', '--bucket', bucket, '--cluster', 'jobs']);
    expect(stored.code).toBe(0);
  });

  it('prune: the retention report, feature retention', async () => {
    // Act
    const run = await runReported(['prune', '--bucket', bucket, '--cluster', 'jobs', '--dry-run']);

    // Assess
    expect(run.code).toBe(0);
    const mail = await oneNotification(run.inbox);
    expect(mail.Subject).toBe('[INFO] jobs: retention dry run (daily digest)');
    expect(mail.MessageAttributes?.feature?.Value).toBe('retention');
    expect(mail.Message).toMatch(/Retention \(keep 24 hourly.*\), dry run: kept 1, would delete 0./);
    expect(run.stderr).toContain('report published to');
    expectNoSecret(run.stdout, run.stderr, mail.Message);
  });

  it('restore: every run announced, a dry run included (feature restore, reason event)', async () => {
    // Act
    const first = await runReported(['restore', '--bucket', bucket, '--cluster', 'jobs', '--latest']);
    const second = await runReported(['restore', '--bucket', bucket, '--cluster', 'jobs', '--latest']);

    // Assess
    expect([first.code, second.code]).toEqual([0, 0]);
    for (const run of [first, second]) {
      const mail = await oneNotification(run.inbox);
      expect(mail.Subject).toBe('[INFO] jobs: restore not applied (dry run)');
      expect(mail.MessageAttributes).toMatchObject({ feature: { Value: 'restore' }, reason: { Value: 'event' } });
      expect(mail.Message).toContain('Requested: latest, dryRun true, confirm missing; invoked by consul-ops CLI');
      expectNoSecret(run.stdout, run.stderr, mail.Message);
    }
  });

  it('audit-intentions: the audit report with its findings', async () => {
    // Prepare
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: '*', Action: 'allow' }] });

    // Act
    const run = await runReported(['audit-intentions', '--cluster', 'jobs', '--bucket', bucket]);

    // Assess
    expect(run.code).toBe(1); // a critical finding reaches --fail-on high
    const mail = await oneNotification(run.inbox);
    expect(mail.Subject).toMatch(/^\[CRITICAL\] jobs: \d+ intention findings?$/);
    expect(mail.MessageAttributes?.feature?.Value).toBe('intentions');
    expect(mail.Message).toContain('Full report: s3://');
    expectNoSecret(run.stdout, run.stderr, mail.Message);
  });

  it('check-certs: the certificate report', async () => {
    // Act
    const run = await runReported(['check-certs', '--cluster', 'jobs']);

    // Assess
    expect(run.code).toBe(0);
    const mail = await oneNotification(run.inbox);
    expect(mail.Subject).toMatch(/^\[INFO\] jobs: certificates OK/);
    expect(mail.MessageAttributes?.feature?.Value).toBe('certificates');
    expect(mail.Message).toMatch(/Minimum days left: ca-root \d+/);
    expectNoSecret(run.stdout, run.stderr, mail.Message);
  });

  it('rotate-token: the rotation report, scoped to the secret, naming accessors and never a secret', async () => {
    // Prepare
    const token = sim.state.createToken({ Description: 'web', ServiceIdentities: [{ ServiceName: 'web' }] });
    const sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: process.env.AWS_REGION, maxAttempts: 1 });
    const secret = await sm.send(new CreateSecretCommand({ Name: 'consul/jobs/web', SecretString: JSON.stringify({ accessorId: token.AccessorID, secretId: token.SecretID, cluster: 'jobs' }) }));
    sm.destroy();

    // Act
    const run = await runReported(['rotate-token', '--secret-id', secret.ARN!, '--json']);

    // Assess
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { accessorId: string; previousAccessorId: string };
    const mail = await oneNotification(run.inbox);
    expect(mail.Subject).toBe('[INFO] jobs: token consul/jobs/web rotated (daily digest)');
    expect(mail.MessageAttributes?.feature?.Value).toBe('rotation');
    expect(mail.MessageAttributes?.dedupeKey?.Value).toBe('rotation/jobs/consul/jobs/web/clear');
    expect(mail.Message).toContain(`New token ${result.accessorId} is AWSCURRENT`);
    expect(mail.Message).toContain(`Previous token ${token.AccessorID} stays valid`);
    const newSecret = sim.state.getToken(result.accessorId)!.SecretID;
    for (const text of [run.stdout, run.stderr, mail.Message]) {
      expect(text).not.toContain(newSecret);
      expect(text).not.toContain(token.SecretID);
    }
  });

  it('a failed job still publishes its failure report and exits 2 with its own error', async () => {
    // Prepare
    const policy = sim.state.createPolicy({ Name: 'jobs-read-only', Rules: 'acl = "read"\nagent_prefix "" { policy = "read" }' });
    const readOnly = sim.state.createToken({ Description: 'read-only', Policies: [{ ID: policy.ID }] });
    const topicArn = sns.createTopic('cli-failure');
    const inbox = sns.subscribeQueue(topicArn);
    const stderr = new CaptureStream();

    // Act
    const code = await main(['node', 'consul-ops', 'backup', '--bucket', bucket, '--cluster', 'jobs-denied'], {
      stdout: new CaptureStream(),
      stderr,
      env: { ...process.env, CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: readOnly.SecretID, CONSUL_OPS_SNS_TOPIC_ARN: topicArn, AWS_ENDPOINT_URL_SNS: sns.endpoint },
      interactive: false,
    });

    // Assess
    expect(code).toBe(2);
    expect(stderr.text).toContain('acl:write');
    const mail = await oneNotification(inbox);
    expect(mail.Subject).toBe('[CRITICAL] jobs-denied: backup failed');
    expect(mail.MessageAttributes?.reason?.Value).toBe('failure');
    expect(mail.Message).not.toContain(readOnly.SecretID);
  });
});
