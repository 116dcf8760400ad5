import { main } from '../../../functions/cli/main';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startLocalSns, type LocalSns } from '../../../local/sns';
import { CaptureStream } from '../../helpers/capture';
import { createTestBucket } from '../../helpers/s3';
import { EDGE_CONSUL_PROFILES } from '../../helpers/consul-versions';

describe.each(EDGE_CONSUL_PROFILES)('consul-ops backup (CLI against the Consul %s simulator, radosgw and SNS)', (consulVersion) => {
  let sim: ConsulSimulator;
  let sns: LocalSns;
  let bucket: string;

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    sns = await startLocalSns();
    ({ bucket } = await createTestBucket({ versioning: true }));
  });
  afterAll(async () => {
    await sim.stop();
    await sns.stop();
  });

  async function run(args: string[], env: Record<string, string> = {}) {
    const stdout = new CaptureStream();
    const stderr = new CaptureStream();
    const code = await main(['node', 'consul-ops', ...args], {
      stdout,
      stderr,
      env: { ...process.env, CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: sim.managementToken.secretId, ...env },
      interactive: false,
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('stores a verified backup, prints one JSON document, and publishes its report when a topic is set', async () => {
    // Prepare
    const topicArn = sns.createTopic('cli-reports');
    const inbox = sns.subscribeQueue(topicArn);
    const snsEnv = { CONSUL_OPS_SNS_TOPIC_ARN: topicArn, AWS_ENDPOINT_URL_SNS: sns.endpoint };

    // Act
    const result = await run(['backup', '--bucket', bucket, '--cluster', 'cli', '--json'], snsEnv);

    // Assess
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({ verified: true, datacenter: 'dc1', consulVersion, key: expect.stringMatching(/^snapshots\/cli\//) });
    const [mail] = await inbox.receive(5);
    expect(mail.Subject).toMatch(/^\[INFO\] cli: backup ok/);
    expect(mail.MessageAttributes?.feature?.Value).toBe('backup');
    expect(mail.Message).toContain(doc.key);
    expect(`${result.stdout}${result.stderr}${mail.Message}`).not.toContain(sim.managementToken.secretId);
    const listed = await run(['list', '--bucket', bucket, '--cluster', 'cli', '--json']);
    expect(JSON.parse(listed.stdout).map((b: { key: string }) => b.key)).toEqual([doc.key]);
  });

  it('exits 2 with one line naming the missing permission, and stores nothing', async () => {
    // Prepare
    const policy = sim.state.createPolicy({ Name: 'cli-read-only', Rules: 'acl = "read"\nagent_prefix "" { policy = "read" }' });
    const token = sim.state.createToken({ Description: 'read-only', Policies: [{ ID: policy.ID }] });

    // Act
    const result = await run(['backup', '--bucket', bucket, '--cluster', 'cli-denied'], { CONSUL_HTTP_TOKEN: token.SecretID });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("acl:write");
    expect(result.stderr).not.toContain(token.SecretID);
    const listed = await run(['list', '--bucket', bucket, '--cluster', 'cli-denied', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });
});
