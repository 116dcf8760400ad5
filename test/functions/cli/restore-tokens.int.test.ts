/**
 * A restore brings every current token back, end to end: the Consul simulator (whose snapshots carry and restore its
 * ACL state), the Secrets Manager fake and radosgw. Back up; rotate an application token and consul-ops' own
 * management token; restore the backup with --yes (the CLI, and the restore function); then both AWSCURRENT tokens
 * authenticate with their links, and the retired tokens do not.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { main } from '../../../functions/cli/main';
import { createJobHandler } from '../../../functions/handlers/job';
import { restoreJob } from '../../../functions/handlers/restore';
import { CaptureStream } from '../../helpers/capture';
import { FAKE_CREDENTIALS, RotationWire, type TokenSecret } from '../../helpers/rotation-wire';
import { createTestBucket } from '../../helpers/s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RestoreResult } from '../../../functions/core/restore/workflow';

describe('restore reconciles the token secrets', () => {
  let wire: RotationWire;
  let output = '';
  /** Every SecretID of every test. */
  const secrets = new Set<string>();

  const savedEndpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;

  beforeEach(async () => {
    wire = await RotationWire.start();
    // The SDK reads its endpoint from process.env, not from the command's environment.
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = wire.fake.endpoint;
  });
  afterEach(async () => {
    wire.secretIds.forEach((secret) => secrets.add(secret));
    await wire.stop();
  });
  afterAll(() => {
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = savedEndpoint;
    // No SecretID of any test reached any output (CLI output and the restore function's log).
    expect(secrets.size).toBeGreaterThan(10);
    for (const secret of secrets) expect(output).not.toContain(secret);
  });

  async function run(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), interactive: false };
    const env = { ...process.env, CONSUL_HTTP_ADDR: wire.sim.url, ...extraEnv };
    const code = await main(['node', 'consul-ops', ...args], { ...io, env });
    output += io.stdout.text + io.stderr.text;
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  /** A management token and an application token with every kind of link, their secrets, and a backup of both. */
  async function backedUp(): Promise<{ bucket: string; mgmt: TokenSecret; web: TokenSecret }> {
    const mgmt = await wire.managementSecret();
    const policy = wire.sim.state.createPolicy({ Name: 'web-read', Rules: 'service "web" { policy = "read" }' });
    const web = await wire.tokenSecret('web', {
      Policies: [{ ID: policy.ID }],
      ServiceIdentities: [{ ServiceName: 'web', Datacenters: ['dc1'] }],
      TemplatedPolicies: [{ TemplateName: 'builtin/service', TemplateVariables: { name: 'web' } }],
    });
    const { bucket } = await createTestBucket({ versioning: true });
    // The backup is taken with the management token of the secret (like the backup function does).
    const backup = await runWith(mgmt, ['backup', '--bucket', bucket, '--cluster', 'demo']);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    return { bucket, mgmt, web };
  }

  /** The CLI with CONSUL_HTTP_TOKEN set to `token`'s secret. */
  const runWith = (token: TokenSecret, args: string[]) => run(args, { CONSUL_HTTP_TOKEN: token.secretId });

  /** Rotates both secrets with the CLI (`--revoke-now`: the old tokens are deleted at once, e.g. after a leak). */
  async function rotateBoth(mgmt: TokenSecret, web: TokenSecret, extra: string[]) {
    for (const secret of [web, mgmt]) expect((await run(['rotate-token', '--secret-id', secret.arn, '--management-secret-id', mgmt.arn, ...extra])).code).toBe(0);
    return { mgmt1: await wire.valueAt(mgmt.arn), web1: await wire.valueAt(web.arn) };
  }

  it('consul-ops restore --bucket B --latest --yes: both AWSCURRENT tokens authenticate with their links, the revoked tokens stay deleted', async () => {
    // Prepare
    const { bucket, mgmt, web } = await backedUp();
    const webLinks = wire.linksOf(web.accessorId);
    const mgmtLinks = wire.linksOf(mgmt.accessorId);
    const { mgmt1, web1 } = await rotateBoth(mgmt, web, ['--revoke-now']);
    expect(await wire.whoIs(web.secretId)).toBe(404);

    // Act: a dry run lists what the restore would break, then the restore (no --cluster: the bucket has one)
    const plan = await run(['restore', '--bucket', bucket, '--latest', '--secret-id', web.arn, '--management-secret-id', mgmt.arn]);
    const restored = await run(['restore', '--bucket', bucket, '--latest', '--yes', '--secret-id', web.arn, '--management-secret-id', mgmt.arn, '--json']);

    // Assess: the plan
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`reconcile +${mgmt.arn} \\(token ${mgmt1.accessorId}\\): AWSCURRENT token created .*, after the backup`));
    expect(plan.stdout).toMatch(new RegExp(`reconcile +${web.arn} \\(token ${web1.accessorId}\\)`));

    // Assess: the restore and its report
    expect(restored.code).toBe(0);
    const result = JSON.parse(restored.stdout) as RestoreResult;
    expect(result.tokenReconciliation).toEqual([
      expect.objectContaining({ secret: mgmt.arn, role: 'management', accessorId: mgmt1.accessorId, outcome: 'recreated', redeleted: [mgmt.accessorId] }),
      expect.objectContaining({ secret: web.arn, role: 'application', accessorId: web1.accessorId, outcome: 'recreated', redeleted: [web.accessorId] }),
    ]);

    // Assess: the tokens themselves
    expect(await wire.whoIs(mgmt1.secretId)).toBe(mgmt1.accessorId);
    expect(await wire.whoIs(web1.secretId)).toBe(web1.accessorId);
    expect(wire.linksOf(mgmt1.accessorId)).toEqual(mgmtLinks);
    expect(wire.linksOf(web1.accessorId)).toEqual(webLinks);
    expect(await wire.whoIs(mgmt.secretId)).toBe(404);
    expect(await wire.whoIs(web.secretId)).toBe(404);
    // consul-ops keeps working with its AWSCURRENT management token.
    expect((await run(['rotate-token', '--secret-id', web.arn, '--management-secret-id', mgmt.arn])).code).toBe(0);
  });

  it('the restore function does the same from its environment, and keeps retired tokens that are still in their grace period', async () => {
    // Prepare
    const { bucket, mgmt, web } = await backedUp();
    const { mgmt1, web1 } = await rotateBoth(mgmt, web, []);
    const handler = createJobHandler(restoreJob, {
      env: { ...process.env, CLUSTER_NAME: 'demo', CONSUL_ADDRESSES: wire.sim.url, CONSUL_TOKEN_SECRET_ARN: mgmt.arn, BUCKET_NAME: bucket, RESTORE_TOKEN_SECRET_ARNS: web.arn },
      secretsClient: new SecretsManagerClient({ endpoint: wire.fake.endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1 }),
    });

    // Act: the function's log (Powertools writes to stdout) is kept for the no-secret check
    const log = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write);
    const result = (await handler({ cluster: 'demo', latest: true, dryRun: false, confirm: 'demo' }).finally(() => log.mockRestore())) as RestoreResult;
    expect(output).toContain('restore completed');

    // Assess
    expect(result.tokenReconciliation?.map((t) => [t.role, t.outcome, t.redeleted])).toEqual([
      ['management', 'recreated', []],
      ['application', 'recreated', []],
    ]);
    expect(await wire.whoIs(mgmt1.secretId)).toBe(mgmt1.accessorId);
    expect(await wire.whoIs(web1.secretId)).toBe(web1.accessorId);
    // In their grace period: clients that have not picked up the new token yet keep working.
    expect(await wire.whoIs(web.secretId)).toBe(web.accessorId);
    expect(await wire.whoIs(mgmt.secretId)).toBe(mgmt.accessorId);
  });

  it('reports a token whose links are gone as a high finding with the exact command that re-creates it', async () => {
    // Prepare: an application created after the backup, with a policy created after the backup
    const { bucket, mgmt } = await backedUp();
    const policy = wire.sim.state.createPolicy({ Name: 'api-write', Rules: 'service "api" { policy = "write" }' });
    const api = await wire.tokenSecret('api', { Policies: [{ ID: policy.ID }] });

    // Act
    const restored = await run(['restore', '--bucket', bucket, '--latest', '--yes', '--secret-id', api.arn, '--management-secret-id', mgmt.arn]);

    // Assess: exit 1 (a high finding), the fix command reads the secret itself
    expect(restored.code).toBe(1);
    expect(restored.stdout).toMatch(new RegExp(`failed +${api.arn} \\(token ${api.accessorId}\\): cannot be re-created with the links of the token itself as it was before the restore`));
    expect(restored.stdout).toContain(`fix: aws secretsmanager get-secret-value --secret-id '${api.arn}' --query SecretString --output text | jq -c '{AccessorID: .accessorId, SecretID: .secretId} + {"Description":"","Policies":[{"Name":"api-write"}]`);
    expect(await wire.whoIs(api.secretId)).toBe(404);
  });

  it('re-creates a bare management secret created after the backup, acting with a CONSUL_HTTP_TOKEN that is in the backup', async () => {
    // Prepare: the management secret holds a bare SecretID (a bootstrap-style token) created after the backup
    const { bucket, mgmt } = await backedUp();
    const bootstrap = wire.sim.state.createManagementToken({ Description: 'created after the backup' });
    wire.secretIds.add(bootstrap.SecretID);
    const bare = await wire.sm.send(new CreateSecretCommand({ Name: 'consul/demo/bare-management', SecretString: bootstrap.SecretID }));

    // Act
    const restored = await runWith(mgmt, ['restore', '--bucket', bucket, '--latest', '--yes', '--secret-id', mgmt.arn, '--management-secret-id', bare.ARN!, '--json']);

    // Assess
    expect(restored.code).toBe(0);
    expect((JSON.parse(restored.stdout) as RestoreResult).tokenReconciliation?.map((t) => [t.role, t.accessorId, t.outcome])).toEqual([
      ['management', bootstrap.AccessorID, 'recreated'],
      ['application', mgmt.accessorId, 'present'],
    ]);
    expect(await wire.whoIs(bootstrap.SecretID)).toBe(bootstrap.AccessorID);
  });

  it('warns before a restore that would lock consul-ops out, and then names the command that lets it back in', async () => {
    // Prepare: the management token rotated twice after the backup (AWSCURRENT and AWSPREVIOUS are both newer)
    const { bucket, mgmt } = await backedUp();
    for (let i = 0; i < 2; i += 1) expect((await run(['rotate-token', '--secret-id', mgmt.arn, '--management-secret-id', mgmt.arn])).code).toBe(0);
    const current = await wire.valueAt(mgmt.arn);

    // Act
    const plan = await run(['restore', '--bucket', bucket, '--latest', '--management-secret-id', mgmt.arn]);
    const restored = await run(['restore', '--bucket', bucket, '--latest', '--yes', '--management-secret-id', mgmt.arn]);

    // Assess
    expect(plan.stdout).toContain('WARNING: neither AWSPREVIOUS nor another token consul-ops was given is in the backup');
    expect(restored.code).toBe(1);
    expect(restored.stdout).toMatch(new RegExp(`failed +${mgmt.arn} \\(token ${current.accessorId}\\)`));
    expect(restored.stdout).toContain(`fix: aws secretsmanager get-secret-value --secret-id '${mgmt.arn}'`);
    expect(restored.stdout).toContain('"Policies":[{"Name":"global-management"}]');
    expect(await wire.whoIs(current.secretId)).toBe(404);
  });
});
