/**
 * `consul-ops rotate-token` against the Secrets Manager fake and the Consul simulator (wire level).
 */
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rotateTokenCommand } from '../../../functions/cli/commands/rotate-token';
import type { CommandSpec } from '../../../functions/cli/command';
import { main } from '../../../functions/cli/main';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../local/secrets-manager-fake';
import { CaptureStream } from '../../helpers/capture';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const savedEnv = { ...process.env };
let sim: ConsulSimulator;
let fake: SecretsManagerFake;
let sm: SecretsManagerClient;
let counter = 0;

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env: { CONSUL_HTTP_ADDR: sim.url, ...env }, interactive: false };
  const code = await main(['node', 'consul-ops', 'rotate-token', ...args], io, [rotateTokenCommand as CommandSpec]);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

async function tokenSecret(value?: string): Promise<{ arn: string; accessorId: string; secretId: string }> {
  const token = sim.state.createToken({ Description: 'web', ServiceIdentities: [{ ServiceName: 'web' }] });
  const secretString = value ?? JSON.stringify({ accessorId: token.AccessorID, secretId: token.SecretID, cluster: 'demo' });
  const out = await sm.send(new CreateSecretCommand({ Name: `consul/demo/cli-${(counter += 1)}`, SecretString: secretString }));
  return { arn: out.ARN!, accessorId: token.AccessorID, secretId: token.SecretID };
}

async function current(arn: string): Promise<{ accessorId: string; secretId: string }> {
  return JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!) as { accessorId: string; secretId: string };
}

beforeAll(async () => {
  sim = await startConsulSimulator();
  fake = await startSecretsManagerFake();
  sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  // The command's SDK client reads the standard AWS environment.
  Object.assign(process.env, { AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '1' });
});

afterAll(async () => {
  process.env = savedEnv;
  sm.destroy();
  await fake.stop();
  await sim.stop();
});

describe('consul-ops rotate-token', () => {
  it('rotates with CONSUL_HTTP_TOKEN and prints the new accessor, never a secret', async () => {
    // Prepare
    const web = await tokenSecret();

    // Act
    const result = await run(['--secret-id', web.arn, '--cluster', 'demo'], { CONSUL_HTTP_TOKEN: sim.managementToken.secretId });

    // Assess
    const next = await current(web.arn);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`new token ${next.accessorId} is AWSCURRENT`);
    expect(result.stdout).toContain(`previous token ${web.accessorId} stays valid until about`);
    for (const secret of [next.secretId, web.secretId, sim.managementToken.secretId]) expect(result.stdout + result.stderr).not.toContain(secret);
    expect(sim.state.findTokenBySecret(next.secretId)?.AccessorID).toBe(next.accessorId);
    expect(sim.state.getToken(web.accessorId)).toBeDefined();
  });

  it('uses the management token from --management-secret-id and prints JSON', async () => {
    // Prepare
    const mgmt = sim.state.createManagementToken();
    const mgmtSecret = await sm.send(new CreateSecretCommand({ Name: `consul/demo/mgmt-${(counter += 1)}`, SecretString: JSON.stringify({ accessorId: mgmt.AccessorID, secretId: mgmt.SecretID, cluster: 'demo' }) }));
    const web = await tokenSecret();

    // Act
    const result = await run(['--secret-id', web.arn, '--management-secret-id', mgmtSecret.Name!, '--json']);

    // Assess
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({ secret: web.arn, accessorId: (await current(web.arn)).accessorId, previousAccessorId: web.accessorId, resumed: false });
    expect(data.steps.map((s: { outcome: string }) => s.outcome)).toEqual(['pending-stored', 'token-created', 'tested', 'finished']);
    expect(result.stdout).not.toContain(mgmt.SecretID);
  });

  it('refuses a second rotation while one is unfinished, printing the command that clears it, and --resume finishes it', async () => {
    // Prepare: RotateSecret without a Lambda leaves an empty AWSPENDING version
    const web = await tokenSecret();
    const pending = 'e6d1a6a2-1b7c-4c55-9d5e-2f0b3c4d5e6f';
    await sm.send(new RotateSecretCommand({ SecretId: web.arn, ClientRequestToken: pending, RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:none' }));
    const env = { CONSUL_HTTP_TOKEN: sim.managementToken.secretId };

    // Act
    const refused = await run(['--secret-id', web.arn], env);
    const resumed = await run(['--secret-id', web.arn, '--resume'], env);

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${web.arn} --version-stage AWSPENDING --remove-from-version-id ${pending}`);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Finished the unfinished rotation');
    expect(resumed.stdout).toContain(`(version ${pending})`);
  });

  it('exits 2 with a clear message for a secret that does not match the schema, echoing nothing', async () => {
    // Prepare
    const bare = '0b9f6f7e-3c1d-4a5b-8c9d-0e1f2a3b4c5d';
    const web = await tokenSecret(bare);

    // Act
    const result = await run(['--secret-id', web.arn], { CONSUL_HTTP_TOKEN: sim.managementToken.secretId });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Consul token secret ${web.arn} (AWSCURRENT): is not JSON`);
    expect(result.stderr).not.toContain(bare);
  });

  it('--revoke-now deletes the replaced token once the new one works, naming it, and leaves older retired tokens to their grace period', async () => {
    // Prepare: a first rotation leaves the original token in its grace period
    const web = await tokenSecret();
    const env = { CONSUL_HTTP_TOKEN: sim.managementToken.secretId };
    await run(['--secret-id', web.arn], env);
    const leaked = await current(web.arn);

    // Act
    const result = await run(['--secret-id', web.arn, '--revoke-now'], env);

    // Assess
    const next = await current(web.arn);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`revoked: deleted token ${leaked.accessorId}`);
    expect(result.stdout).not.toContain(`revoked: deleted token ${web.accessorId}`);
    expect(sim.state.getToken(leaked.accessorId)).toBeUndefined();
    expect(sim.state.getToken(web.accessorId)).toBeDefined();
    expect(sim.state.findTokenBySecret(next.secretId)?.AccessorID).toBe(next.accessorId);
    for (const secret of [next.secretId, leaked.secretId, web.secretId]) expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('--revoke-now --revoke-all-retired deletes every retired token and names each one (JSON too)', async () => {
    // Prepare
    const web = await tokenSecret();
    const env = { CONSUL_HTTP_TOKEN: sim.managementToken.secretId };
    await run(['--secret-id', web.arn], env);
    const second = await current(web.arn);

    // Act
    const result = await run(['--secret-id', web.arn, '--revoke-now', '--revoke-all-retired', '--json'], env);

    // Assess
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.revoked).toEqual({ deleted: [web.accessorId, second.accessorId], alreadyDeleted: [] });
    expect(sim.state.getToken(web.accessorId)).toBeUndefined();
    expect(sim.state.getToken(second.accessorId)).toBeUndefined();
    expect(sim.state.getToken(data.accessorId)).toBeDefined();
  });

  it('revokes the old management token with the new one, so consul-ops keeps working', async () => {
    // Prepare
    const mgmt = sim.state.createManagementToken();
    const mgmtSecret = await sm.send(new CreateSecretCommand({ Name: `consul/demo/mgmt-${(counter += 1)}`, SecretString: JSON.stringify({ accessorId: mgmt.AccessorID, secretId: mgmt.SecretID, cluster: 'demo' }) }));
    const web = await tokenSecret();

    // Act
    const revoked = await run(['--secret-id', mgmtSecret.ARN!, '--management-secret-id', mgmtSecret.ARN!, '--revoke-now']);
    const after = await run(['--secret-id', web.arn, '--management-secret-id', mgmtSecret.ARN!]);

    // Assess
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked: deleted token ${mgmt.AccessorID}`);
    expect(sim.state.getToken(mgmt.AccessorID)).toBeUndefined();
    const deletion = sim.requests.find((r) => r.method === 'DELETE' && r.path === `/v1/acl/token/${mgmt.AccessorID}`);
    expect(deletion?.accessorId).toBe((await current(mgmtSecret.ARN!)).accessorId);
    expect(after.code).toBe(0);
    expect(revoked.stdout + revoked.stderr + after.stdout + after.stderr).not.toContain(mgmt.SecretID);
  });

  it('refuses --revoke-all-retired without --revoke-now, changing nothing', async () => {
    const web = await tokenSecret();
    const result = await run(['--secret-id', web.arn, '--revoke-all-retired'], { CONSUL_HTTP_TOKEN: sim.managementToken.secretId });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--revoke-all-retired: needs --revoke-now');
    expect((await current(web.arn)).accessorId).toBe(web.accessorId);
  });

  it('prints the exact commands that finish or clear a rotation that failed half-way, and AWSCURRENT keeps working', async () => {
    // Prepare
    const web = await tokenSecret();
    sim.faults.inject({ kind: 'status', status: 500, body: 'injected', method: 'PUT', path: '/v1/acl/token', times: 1 });

    // Act
    const result = await run(['--secret-id', web.arn], { CONSUL_HTTP_TOKEN: sim.managementToken.secretId });

    // Assess
    const pending = (await sm.send(new DescribeSecretCommand({ SecretId: web.arn }))).VersionIdsToStages!;
    const pendingVersion = Object.entries(pending).find(([, stages]) => stages.includes('AWSPENDING'))![0];
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AWSCURRENT is unchanged and keeps working');
    expect(result.stderr).toContain(`consul-ops rotate-token --secret-id ${web.arn} --resume`);
    expect(result.stderr).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${web.arn} --version-stage AWSPENDING --remove-from-version-id ${pendingVersion}`);
    expect((await current(web.arn)).accessorId).toBe(web.accessorId);
    expect(sim.state.findTokenBySecret(web.secretId)?.AccessorID).toBe(web.accessorId);
  });
});
