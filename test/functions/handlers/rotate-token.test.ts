/**
 * ACL token rotation end to end at wire level: the real rotate-token handler, the Secrets Manager fake (whose
 * RotateSecret creates the empty AWSPENDING version and then runs the four steps as Secrets Manager would invoke the
 * Lambda) and the Consul simulator (real ACL permission model and error texts).
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { ConsulOpsError } from '../../../functions/core/shared/errors';
import { ROTATION_STEPS, type RotationStep } from '../../../functions/core/rotation/steps';
import type { SweepReport } from '../../../functions/core/rotation/sweep';
import { createRotateTokenHandler, secretNameOf } from '../../../functions/handlers/rotate-token';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../local/secrets-manager-fake';

const HOUR = 3_600_000;
const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:consul-ops-rotate-token';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

type Handler = ReturnType<typeof createRotateTokenHandler>;

let sim: ConsulSimulator;
let fake: SecretsManagerFake;
let sm: SecretsManagerClient;
/** What RotateSecret runs after creating the AWSPENDING version (the "Lambda"). */
let onRotate: (arn: string, token: string) => Promise<void> = async () => undefined;
/** Secrets Manager calls of the handler's client that fail next: `skip` matching calls pass first. */
const smFailures: { command: string; skip: number }[] = [];
/** Every SecretID the tests created or read: none may appear in the logs. */
const secretIds = new Set<string>();
const output: string[] = [];
let offsetMs = 0;
let counter = 0;

function handlerClient(): SecretsManagerClient {
  const client = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const i = smFailures.findIndex((f) => f.command === context.commandName);
      if (i >= 0 && smFailures[i].skip-- <= 0) {
        smFailures.splice(i, 1);
        throw Object.assign(new Error('injected Secrets Manager failure'), { name: 'InternalServiceError' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectFailures' },
  );
  return client;
}

function makeHandler(managementSecretArn: string, sweepArns: string[] = []): Handler {
  return createRotateTokenHandler({
    env: {
      CLUSTER_NAME: 'demo',
      CONSUL_ADDRESSES: sim.url,
      CONSUL_TOKEN_SECRET_ARN: managementSecretArn,
      ROTATION_GRACE_PERIOD_HOURS: '24',
      ROTATION_SECRET_ARNS: sweepArns.join(','),
    },
    now: () => new Date(Date.now() + offsetMs),
    secretsClient: handlerClient(),
    logger: new Logger({ serviceName: 'consul-ops-rotate-token', logLevel: 'DEBUG' }),
  });
}

/** Runs the steps in order, as Secrets Manager does; `times` runs each step that often. */
function stepsOf(handler: Handler, times = 1): (arn: string, token: string) => Promise<void> {
  return async (arn, token) => {
    for (const Step of ROTATION_STEPS) for (let i = 0; i < times; i += 1) await handler({ Step, SecretId: arn, ClientRequestToken: token });
  };
}

async function createSecret(name: string, value: Record<string, string>): Promise<string> {
  secretIds.add(value.secretId);
  const out = await sm.send(new CreateSecretCommand({ Name: `${name}-${(counter += 1)}`, SecretString: JSON.stringify(value) }));
  return out.ARN!;
}

/** A management token (global-management) and its secret. */
async function managementSecret(): Promise<{ arn: string; accessorId: string; secretId: string }> {
  const token = sim.state.createManagementToken({ Description: 'consul-ops management' });
  const arn = await createSecret('consul/demo/management', { accessorId: token.AccessorID, secretId: token.SecretID, cluster: 'demo' });
  return { arn, accessorId: token.AccessorID, secretId: token.SecretID };
}

/** A service token with every kind of link, and its secret. */
async function serviceTokenSecret(): Promise<{ arn: string; accessorId: string; secretId: string }> {
  const n = (counter += 1);
  const policy = sim.state.createPolicy({ Name: `web-${n}`, Rules: 'service "web" { policy = "write" }' });
  const role = sim.state.createRole({ Name: `web-role-${n}`, Policies: [{ ID: policy.ID }] });
  const token = sim.state.createToken({
    Description: 'web frontend',
    Policies: [{ ID: policy.ID }],
    Roles: [{ ID: role.ID }],
    ServiceIdentities: [{ ServiceName: 'api', Datacenters: ['dc1'] }],
    NodeIdentities: [{ NodeName: 'node-1', Datacenter: 'dc1' }],
  });
  const arn = await createSecret('consul/demo/web', { accessorId: token.AccessorID, secretId: token.SecretID, cluster: 'demo', description: 'web frontend' });
  return { arn, accessorId: token.AccessorID, secretId: token.SecretID };
}

async function valueAt(arn: string, stage: string): Promise<{ accessorId: string; secretId: string; previousAccessorId?: string }> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
  const value = JSON.parse(out.SecretString!) as { accessorId: string; secretId: string };
  secretIds.add(value.secretId);
  return value;
}

async function stagesOf(arn: string): Promise<Record<string, string[]>> {
  return (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
}

/** `GET /v1/acl/token/self` with `secret`: the AccessorID when the token works, else the HTTP status. */
async function whoIs(secret: string): Promise<string | number> {
  const res = await fetch(`${sim.url}/v1/acl/token/self`, { headers: { 'X-Consul-Token': secret } });
  return res.ok ? ((await res.json()) as { AccessorID: string }).AccessorID : res.status;
}

async function rotateSecret(arn: string, token = randomUUID()): Promise<string> {
  await sm.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token, RotationLambdaARN: LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 30 } }));
  return token;
}

const linksOf = (accessorId: string) => {
  const t = sim.state.getToken(accessorId)!;
  return { Policies: t.Policies, Roles: t.Roles, ServiceIdentities: t.ServiceIdentities, NodeIdentities: t.NodeIdentities, Local: t.Local };
};
const logLines = () => output.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
/** The EMF documents (Powertools metrics printed on stdout) whose `Secret` dimension is `secretName`. */
const metricsOf = (secretName: string) => logLines().filter((l) => '_aws' in l && l.Secret === secretName);
/** The secret's name as Secrets Manager reports it (the `Secret` dimension). */
const nameOf = async (arn: string) => (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).Name!;

beforeAll(async () => {
  sim = await startConsulSimulator();
  fake = await startSecretsManagerFake({ onRotate: (arn, token) => onRotate(arn, token) });
  sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  secretIds.add(sim.managementToken.secretId);
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write);
  }
});

afterAll(async () => {
  jest.restoreAllMocks();
  // Invariant of the whole suite: no SecretID ever reached the logs.
  const text = output.join('');
  expect(text).toContain('rotation step done');
  for (const secret of secretIds) expect(text).not.toContain(secret);
  sm.destroy();
  await fake.stop();
  await sim.stop();
});

beforeEach(() => {
  offsetMs = 0;
  smFailures.length = 0;
  sim.faults.clear();
  (fake.rotationErrors as unknown[]).length = 0;
});

describe('rotate-token handler', () => {
  it('rotates a token: AWSCURRENT holds a new working token with the same links, AWSPREVIOUS the old one, which still works', async () => {
    // Prepare
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    onRotate = stepsOf(makeHandler(mgmt.arn));

    // Act
    const token = await rotateSecret(web.arn);

    // Assess
    expect(fake.rotationErrors).toEqual([]);
    const next = await valueAt(web.arn, 'AWSCURRENT');
    expect(next.previousAccessorId).toBe(web.accessorId);
    expect(await whoIs(next.secretId)).toBe(next.accessorId);
    expect(linksOf(next.accessorId)).toEqual(linksOf(web.accessorId));
    expect(sim.state.getToken(next.accessorId)?.Description).toBe(`rotated-by=consul-ops ver=${token}`);
    expect((await valueAt(web.arn, 'AWSPREVIOUS')).accessorId).toBe(web.accessorId);
    expect(await whoIs(web.secretId)).toBe(web.accessorId);
    expect(Object.values(await stagesOf(web.arn)).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('emits RotationSuccess and LastRotationTimestamp once, after finishSecret, by the secret name and never a value', async () => {
    // Prepare
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    onRotate = stepsOf(makeHandler(mgmt.arn));
    const before = Math.floor(Date.now() / 1000);

    // Act
    await rotateSecret(web.arn);

    // Assess
    const name = await nameOf(web.arn);
    expect(secretNameOf(web.arn)).toBe(name);
    const emitted = metricsOf(name);
    expect(emitted).toEqual([
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [{ Namespace: 'ConsulOps', Dimensions: [['service', 'Cluster', 'Secret']], Metrics: [{ Name: 'RotationSuccess', Unit: 'Count' }, { Name: 'LastRotationTimestamp', Unit: 'Seconds' }] }],
        },
        service: 'consul-ops-rotate-token',
        Cluster: 'demo',
        Secret: name,
        RotationSuccess: 1,
        LastRotationTimestamp: expect.any(Number),
      },
    ]);
    expect(emitted[0].LastRotationTimestamp).toBeGreaterThanOrEqual(before);
    expect(emitted[0].LastRotationTimestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const next = await valueAt(web.arn, 'AWSCURRENT');
    for (const value of [web.secretId, next.secretId, mgmt.secretId]) expect(JSON.stringify(emitted)).not.toContain(value);
  });

  it('gives the same result when Secrets Manager runs every step twice', async () => {
    // Prepare
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    onRotate = stepsOf(makeHandler(mgmt.arn), 2);

    // Act
    const token = await rotateSecret(web.arn);

    // Assess
    expect(fake.rotationErrors).toEqual([]);
    expect(sim.state.listTokens().filter((t) => t.Description.endsWith(token))).toHaveLength(1);
    const next = await valueAt(web.arn, 'AWSCURRENT');
    expect(await whoIs(next.secretId)).toBe(next.accessorId);
    expect((await stagesOf(web.arn))[token]).toEqual(['AWSCURRENT']);
  });

  it.each<{ step: RotationStep; inject: () => { remove(): void } | void }>([
    { step: 'createSecret', inject: () => void smFailures.push({ command: 'PutSecretValueCommand', skip: 0 }) },
    { step: 'setSecret', inject: () => sim.faults.inject({ kind: 'status', status: 500, body: 'injected', method: 'PUT', path: '/v1/acl/token', times: 1 }) },
    { step: 'testSecret', inject: () => sim.faults.inject({ kind: 'status', status: 500, body: 'injected', method: 'GET', path: '/v1/acl/token/self' }) },
    { step: 'finishSecret', inject: () => void smFailures.push({ command: 'UpdateSecretVersionStageCommand', skip: 0 }) },
  ])('keeps the current token working after a failure in $step, refuses a second rotation, and the reattempt completes', async ({ step, inject }) => {
    // Prepare
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    const handler = makeHandler(mgmt.arn);
    onRotate = stepsOf(handler);
    const fault = inject();

    // Act
    const token = await rotateSecret(web.arn);
    fault?.remove();

    // Assess: the failed step is logged, nothing was switched, the current token works
    expect(fake.rotationErrors).toHaveLength(1);
    const failed = logLines().filter((l) => l.message === 'rotation step failed' && l.versionId === token);
    expect(failed.map((l) => l.step)).toEqual([step]);
    // The exact command that clears the unfinished rotation is logged (and in the report).
    expect(failed[0].remedy).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${web.arn} --version-stage AWSPENDING --remove-from-version-id ${token}`);
    const name = await nameOf(web.arn);
    expect(metricsOf(name)).toEqual([expect.objectContaining({ service: 'consul-ops-rotate-token', Cluster: 'demo', Secret: name, RotationFailure: 1 })]);
    expect(metricsOf(name)[0]).not.toHaveProperty('RotationSuccess');
    expect((await valueAt(web.arn, 'AWSCURRENT')).accessorId).toBe(web.accessorId);
    expect(await whoIs(web.secretId)).toBe(web.accessorId);
    expect((await stagesOf(web.arn))[token]).toEqual(['AWSPENDING']);
    await expect(rotateSecret(web.arn)).rejects.toThrow("A previous rotation isn't complete");

    // Act: Secrets Manager reattempts the unfinished rotation with the same ClientRequestToken
    await stepsOf(handler)(web.arn, token);

    // Assess
    const next = await valueAt(web.arn, 'AWSCURRENT');
    expect(next.accessorId).not.toBe(web.accessorId);
    expect(await whoIs(next.secretId)).toBe(next.accessorId);
    expect((await stagesOf(web.arn))[token]).toEqual(['AWSCURRENT']);
    expect(metricsOf(name).map((m) => [m.RotationFailure, m.RotationSuccess])).toEqual([[1, undefined], [undefined, 1]]);
  });

  it('finishes the cleanup when finishSecret failed after moving AWSCURRENT', async () => {
    // Prepare
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    const handler = makeHandler(mgmt.arn);
    onRotate = stepsOf(handler);
    smFailures.push({ command: 'UpdateSecretVersionStageCommand', skip: 1 });

    // Act
    const token = await rotateSecret(web.arn);
    const retried = await handler({ Step: 'finishSecret', SecretId: web.arn, ClientRequestToken: token });

    // Assess
    expect(fake.rotationErrors).toHaveLength(1);
    expect(retried).toMatchObject({ outcome: 'pending-label-removed' });
    expect((await stagesOf(web.arn))[token]).toEqual(['AWSCURRENT']);
  });

  it("names the missing 'acl:write' permission when the management token can only read ACLs", async () => {
    // Prepare
    const reader = sim.state.createPolicy({ Name: `acl-reader-${(counter += 1)}`, Rules: 'acl = "read"' });
    const readOnly = sim.state.createToken({ Policies: [{ ID: reader.ID }] });
    const mgmtArn = await createSecret('consul/demo/read-only', { accessorId: readOnly.AccessorID, secretId: readOnly.SecretID, cluster: 'demo' });
    const web = await serviceTokenSecret();
    onRotate = stepsOf(makeHandler(mgmtArn));

    // Act
    await rotateSecret(web.arn);

    // Assess
    const err = fake.rotationErrors[0] as ConsulOpsError;
    expect(err.code).toBe('CONSUL_PERMISSION_DENIED');
    expect(err.context.permission).toBe('acl:write');
    expect(err.message).toContain("lacks permission 'acl:write'");
    expect((await valueAt(web.arn, 'AWSCURRENT')).accessorId).toBe(web.accessorId);
  });

  it('refuses a second concurrent rotation, naming the command that clears the first; after clearing, a new rotation completes', async () => {
    // Prepare: a rotation that has not run yet holds AWSPENDING
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    const handler = makeHandler(mgmt.arn);
    onRotate = async () => undefined;
    const first = await rotateSecret(web.arn);
    const second = randomUUID();
    await sm.send(new PutSecretValueCommand({ SecretId: web.arn, ClientRequestToken: second, SecretString: '{}', VersionStages: ['consul-ops-test'] }));

    // Act
    const refused = await handler({ Step: 'createSecret', SecretId: web.arn, ClientRequestToken: second }).catch((e: ConsulOpsError) => e);

    // Assess
    await expect(rotateSecret(web.arn)).rejects.toThrow("A previous rotation isn't complete");
    expect((refused as ConsulOpsError).code).toBe('ROTATION_VERSION_NOT_PENDING');
    const command = `aws secretsmanager update-secret-version-stage --secret-id ${web.arn} --version-stage AWSPENDING --remove-from-version-id ${first}`;
    expect((refused as ConsulOpsError).remedy).toContain(command);

    // Act: clear it exactly as the command says, then rotate again
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: web.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: first }));
    onRotate = stepsOf(handler);
    await rotateSecret(web.arn);

    // Assess
    expect(fake.rotationErrors).toEqual([]);
    const next = await valueAt(web.arn, 'AWSCURRENT');
    expect(await whoIs(next.secretId)).toBe(next.accessorId);
  });

  it('deletes the old token only after the grace period', async () => {
    // Prepare
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    const handler = makeHandler(mgmt.arn, [web.arn]);
    onRotate = stepsOf(handler);
    await rotateSecret(web.arn);
    const next = await valueAt(web.arn, 'AWSCURRENT');

    // Act + Assess: inside the grace period
    offsetMs = 23 * HOUR;
    const early = (await handler({ action: 'sweep' })) as SweepReport;
    expect(early.results).toEqual([expect.objectContaining({ outcome: 'in-grace', deleted: [], waiting: [{ accessorId: web.accessorId, until: expect.any(Date) }] })]);
    expect(await whoIs(web.secretId)).toBe(web.accessorId);

    // Act + Assess: after it
    offsetMs = 24 * HOUR + 60_000;
    const late = (await handler({ action: 'sweep' })) as SweepReport;
    expect(late.results).toEqual([{ secret: web.arn, outcome: 'deleted', deleted: [web.accessorId], alreadyDeleted: [], waiting: [] }]);
    expect(metricsOf(await nameOf(web.arn))).toHaveLength(1); // the rotation's success; the sweeps emit no metrics
    expect(output.join('')).not.toContain('No application metrics to publish');
    expect(await whoIs(web.secretId)).toBe(404);
    expect(await whoIs(next.secretId)).toBe(next.accessorId);
  });

  it('rotates the management token itself without ever locking consul-ops out', async () => {
    // Prepare
    const mgmt = await managementSecret();
    const web = await serviceTokenSecret();
    const handler = makeHandler(mgmt.arn, [mgmt.arn, web.arn]);
    onRotate = stepsOf(handler);

    // Act: rotate the management token; the old one keeps working through the grace period
    await rotateSecret(mgmt.arn);
    const newMgmt = await valueAt(mgmt.arn, 'AWSCURRENT');
    offsetMs = HOUR;
    const early = (await handler({ action: 'sweep' })) as SweepReport;

    // Assess
    expect(fake.rotationErrors).toEqual([]);
    expect(linksOf(newMgmt.accessorId)).toEqual(linksOf(mgmt.accessorId));
    expect(await whoIs(newMgmt.secretId)).toBe(newMgmt.accessorId);
    expect(early.results.map((r) => r.outcome)).toEqual(['in-grace', 'nothing-to-delete']);
    expect(await whoIs(mgmt.secretId)).toBe(mgmt.accessorId);

    // Act: after the grace period the sweep deletes the old management token with the new one
    offsetMs = 25 * HOUR;
    const late = (await handler({ action: 'sweep' })) as SweepReport;
    await rotateSecret(web.arn);

    // Assess: consul-ops still works (it uses AWSCURRENT), the old management token is gone
    expect(late.results.map((r) => r.outcome)).toEqual(['deleted', 'nothing-to-delete']);
    expect(await whoIs(mgmt.secretId)).toBe(404);
    expect(fake.rotationErrors).toEqual([]);
    expect((await valueAt(web.arn, 'AWSCURRENT')).accessorId).not.toBe(web.accessorId);
  });

  it('keeps the old management token when the new one is broken', async () => {
    // Prepare
    const mgmt = await managementSecret();
    const handler = makeHandler(mgmt.arn, [mgmt.arn]);
    onRotate = stepsOf(handler);
    await rotateSecret(mgmt.arn);
    const newMgmt = await valueAt(mgmt.arn, 'AWSCURRENT');
    sim.state.deleteToken(newMgmt.accessorId);

    // Act
    offsetMs = 48 * HOUR;
    const sweep = handler({ action: 'sweep' });

    // Assess
    await expect(sweep).rejects.toMatchObject({ code: 'ROTATION_SWEEP_FAILED' });
    expect(await whoIs(mgmt.secretId)).toBe(mgmt.accessorId);
  });
});
