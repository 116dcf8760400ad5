/**
 * Least privilege, proven: every consul-ops job runs through its CLI front door against the Consul simulator (which
 * enforces each endpoint's permission as Consul does) with a token holding EXACTLY the policy `acl-policies.ts` gives
 * it, and works; and for each rule of that policy, with a token holding the policy without that rule, it fails with
 * exit 2, one line naming the missing permission and the rule to add, and nothing half-done. On the oldest and the
 * newest Consul profile. (The Lambda front door: acl-policies-handlers.int.test.ts.)
 */
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3BackupStore } from '../../../../functions/adapters/s3-backup-store';
import { main } from '../../../../functions/cli/main';
import { backupFolder } from '../../../../functions/core/backup/workflow';
import { ACL_JOBS, jobAclPolicy, renderAclPolicy, type AclJob, type AclRule } from '../../../../functions/core/shared/acl-policies';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../local/secrets-manager-fake';
import { CaptureStream } from '../../../helpers/capture';
import { startTlsListener, type TlsListener } from '../../../helpers/cert-fixtures';
import { EDGE_CONSUL_PROFILES } from '../../../helpers/consul-versions';
import { createTestBucket } from '../../../helpers/s3';

/** One run: a job with the rules its token holds, and the rule left out (none: the exact policy). */
interface PolicyCase {
  readonly job: AclJob;
  readonly rules: readonly AclRule[];
  readonly removed?: AclRule;
  readonly name: string;
}

/** Every job with its exact policy, then without each rule in turn. */
const POLICY_CASES: readonly PolicyCase[] = ACL_JOBS.flatMap((job) => {
  const { required } = jobAclPolicy(job);
  return [
    { job, rules: required, name: `${job} with exactly its policy works` },
    ...required.map((removed) => ({ job, rules: required.filter((r) => r !== removed), removed, name: `${job} without \`${removed.hcl}\` fails naming ${removed.grants.join(' or ')}` })),
  ];
});

describe.each(EDGE_CONSUL_PROFILES)('least privilege through the CLI (Consul %s)', (consulVersion) => {
  let sim: ConsulSimulator;
  let fake: SecretsManagerFake;
  let sm: SecretsManagerClient;
  let sidecar: TlsListener;
  let bucket: string;
  let store: S3BackupStore;
  let backup: { key: string; versionId: string };
  const tokens: string[] = [];
  let counter = 0;
  const savedEnv = { ...process.env };

  async function cli(argv: string[], token: string) {
    const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env: { ...process.env, CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: token }, interactive: false };
    const code = await main(['node', 'consul-ops', ...argv], io);
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  const writes = () => sim.requests.filter((r) => r.method !== 'GET').length;
  const listed = async (cluster: string) => (await store.list(backupFolder('snapshots', cluster))).map((o) => `${o.key}@${o.versionId}`).sort();

  /**
   * How each job is run, what it could have changed (compared before and after a refused run) and what its JSON
   * output says when it worked.
   */
  const JOBS: Record<AclJob, () => Promise<{ argv: string[]; state: () => Promise<unknown>; worked: Record<string, unknown> }>> = {
    'take-snapshot': async () => {
      const cluster = `lp-${(counter += 1)}`;
      return { argv: ['backup', '--bucket', bucket, '--cluster', cluster, '--json'], state: async () => ({ objects: await listed(cluster), writes: writes() }), worked: { verified: true, consulVersion } };
    },
    restore: async () => ({
      argv: ['restore', '--bucket', bucket, '--cluster', 'lp', '--key', backup.key, '--version-id', backup.versionId, '--yes', '--json'],
      state: async () => ({ objects: await listed('lp'), restores: sim.state.restores.length, writes: writes() }),
      worked: { restored: true },
    }),
    'rotate-token': async () => {
      const web = sim.state.createToken({ Description: 'web', ServiceIdentities: [{ ServiceName: 'web' }] });
      const secret = await sm.send(new CreateSecretCommand({ Name: `consul/lp/web-${(counter += 1)}`, SecretString: JSON.stringify({ accessorId: web.AccessorID, secretId: web.SecretID, cluster: 'demo' }) }));
      const state = async () => ({
        stages: (await sm.send(new DescribeSecretCommand({ SecretId: secret.ARN }))).VersionIdsToStages,
        current: (await sm.send(new GetSecretValueCommand({ SecretId: secret.ARN }))).SecretString,
        tokens: sim.state.listTokens().length,
      });
      return { argv: ['rotate-token', '--secret-id', secret.ARN!, '--cluster', 'demo', '--json'], state, worked: { previousAccessorId: web.AccessorID } };
    },
    'audit-intentions': async () => ({ argv: ['audit-intentions', '--cluster', 'lp', '--json'], state: async () => ({ writes: writes() }), worked: { effectiveDefault: 'deny', findings: [] } }),
    'check-certs': async () => ({
      argv: ['check-certs', '--cluster', 'lp', '--json'],
      state: async () => ({ writes: writes() }),
      worked: { certs: expect.arrayContaining([expect.objectContaining({ kind: 'proxy', severity: 'info' })]) },
    }),
  };

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion, defaultPolicy: 'deny' });
    fake = await startSecretsManagerFake();
    // rotate-token's Secrets Manager client reads the standard AWS environment (radosgw's test credentials do for the fake).
    Object.assign(process.env, { AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.endpoint, AWS_MAX_ATTEMPTS: '1' });
    sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const test = await createTestBucket({ versioning: true });
    bucket = test.bucket;
    store = new S3BackupStore({ client: test.s3, bucket });
    // A small mesh: one sidecar serving its agent's leaf, one intention.
    const leaf = (await sim.state.ca.leaf('web', true)).leaf;
    sidecar = await startTlsListener({ certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM }, { requireClientCertFrom: [sim.state.ca.activeRoot().RootCert] });
    sim.state.registerService({ name: 'web', port: 8080 });
    sim.state.registerService({ name: 'web-sidecar-proxy', port: sidecar.port, address: '127.0.0.1', proxyFor: { service: 'web' } });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'api', Action: 'allow' }] });
    // Every case's token exists before the backup is taken: a restore brings back the ACLs of the backup.
    POLICY_CASES.forEach((c, i) => {
      const policies = c.rules.length === 0 ? [] : [{ ID: sim.state.createPolicy({ Name: `lp-${i}`, Rules: renderAclPolicy({ required: c.rules }) }).ID }];
      tokens.push(sim.state.createToken({ Description: `lp ${c.name}`, Policies: policies }).SecretID);
    });
    const taken = await cli(['backup', '--bucket', bucket, '--cluster', 'lp', '--json'], sim.managementToken.secretId);
    expect(taken.code).toBe(0);
    backup = JSON.parse(taken.stdout) as { key: string; versionId: string };
  });
  afterAll(async () => {
    process.env = savedEnv;
    sm.destroy();
    await sidecar.close();
    await fake.stop();
    await sim.stop();
  });

  it.each(POLICY_CASES.map((c, i) => ({ ...c, i })))('$name', async ({ job, removed, i }) => {
    // Prepare
    const { argv, state, worked } = await JOBS[job]();
    const before = await state();

    // Act
    const out = await cli(argv, tokens[i]);

    // Assess
    expect(`${out.stdout}${out.stderr}`).not.toContain(tokens[i]);
    if (removed === undefined) {
      expect(out).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(out.stdout)).toMatchObject(worked);
      return;
    }
    expect(out.code).toBe(2);
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^consul-ops: ${job}: the Consul token lacks permission '(${removed.grants.join('|')})'`));
    expect(lines[0]).toContain(`Add \`${removed.hcl}\` to the token's policy`);
    expect(await state()).toEqual(before);
  });
});
