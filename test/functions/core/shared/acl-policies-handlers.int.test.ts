/**
 * Least privilege through the Lambda front door: every job's real handler (the job skeleton, Secrets Manager for the
 * token, radosgw for backups) with a management token holding exactly the job's policy, then without each rule: the
 * handler throws one line naming the missing permission and the rule to add, and nothing is half-done. On the oldest
 * and the newest Consul profile. (The CLI front door: acl-policies.int.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3BackupStore } from '../../../../functions/adapters/s3-backup-store';
import { backupFolder } from '../../../../functions/core/backup/workflow';
import { ROTATION_STEPS } from '../../../../functions/core/rotation/steps';
import { ACL_JOBS, jobAclPolicy, renderAclPolicy, type AclJob, type AclRule } from '../../../../functions/core/shared/acl-policies';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import { auditIntentionsJob } from '../../../../functions/handlers/audit-intentions';
import { checkCertsJob } from '../../../../functions/handlers/check-certs';
import { createJobHandler, type JobSpec, type JobWiring } from '../../../../functions/handlers/job';
import { restoreJob } from '../../../../functions/handlers/restore';
import { rotateTokenJob } from '../../../../functions/handlers/rotate-token';
import { takeSnapshotJob } from '../../../../functions/handlers/take-snapshot';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../local/secrets-manager-fake';
import { startTlsListener, type TlsListener } from '../../../helpers/cert-fixtures';
import { EDGE_CONSUL_PROFILES } from '../../../helpers/consul-versions';
import { createTestBucket } from '../../../helpers/s3';

interface PolicyCase {
  readonly job: AclJob;
  readonly rules: readonly AclRule[];
  readonly removed?: AclRule;
  readonly name: string;
}

const POLICY_CASES: readonly PolicyCase[] = ACL_JOBS.flatMap((job) => {
  const { required } = jobAclPolicy(job);
  return [
    { job, rules: required, name: `${job} handler with exactly its policy works` },
    ...required.map((removed) => ({ job, rules: required.filter((r) => r !== removed), removed, name: `${job} handler without \`${removed.hcl}\` throws naming ${removed.grants.join(' or ')}` })),
  ];
});

const SPECS: Record<AclJob, JobSpec<JobWiring, unknown, unknown>> = {
  'take-snapshot': takeSnapshotJob as unknown as JobSpec<JobWiring, unknown, unknown>,
  restore: restoreJob as unknown as JobSpec<JobWiring, unknown, unknown>,
  'rotate-token': rotateTokenJob as unknown as JobSpec<JobWiring, unknown, unknown>,
  'audit-intentions': auditIntentionsJob as unknown as JobSpec<JobWiring, unknown, unknown>,
  'check-certs': checkCertsJob as unknown as JobSpec<JobWiring, unknown, unknown>,
};
const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:consul-ops-rotate-token';
const CONTEXT = { getRemainingTimeInMillis: () => 900_000 };

describe.each(EDGE_CONSUL_PROFILES)('least privilege through the Lambda handlers (Consul %s)', (consulVersion) => {
  let sim: ConsulSimulator;
  let fake: SecretsManagerFake;
  let sm: SecretsManagerClient;
  let sidecar: TlsListener;
  let bucket: string;
  let store: S3BackupStore;
  let backup: { key: string; versionId: string };
  let onRotate: (arn: string, token: string) => Promise<void> = async () => undefined;
  const tokenSecrets: { arn: string; secretId: string }[] = [];
  let counter = 0;
  const savedEnv = { ...process.env };

  function handlerFor(job: AclJob, tokenSecretArn: string, env: Record<string, string> = {}) {
    const base = { CLUSTER_NAME: 'lph', CONSUL_ADDRESSES: sim.url, CONSUL_TOKEN_SECRET_ARN: tokenSecretArn, BUCKET_NAME: bucket, SNAPSHOT_PREFIX: 'snapshots' };
    return createJobHandler(SPECS[job], { env: { ...base, ...env }, secretsClient: sm, logger: new Logger({ logLevel: 'SILENT' }) });
  }

  const writes = () => sim.requests.filter((r) => r.method !== 'GET').length;
  const listed = async (cluster: string) => (await store.list(backupFolder('snapshots', cluster))).map((o) => `${o.key}@${o.versionId}`).sort();

  /** Runs the job's handler with the token of case `i`; `state` is what the run could have changed. */
  const JOBS: Record<AclJob, (tokenArn: string) => Promise<{ run: () => Promise<unknown>; state: () => Promise<unknown>; worked: (result: unknown) => void | Promise<void> }>> = {
    'take-snapshot': async (arn) => {
      const cluster = `lph-${(counter += 1)}`;
      const handler = handlerFor('take-snapshot', arn, { CLUSTER_NAME: cluster });
      return {
        run: () => handler({ trigger: 'schedule' }, CONTEXT),
        state: async () => ({ objects: await listed(cluster), writes: writes() }),
        worked: (r) => expect(r).toMatchObject({ backup: { verified: true, consulVersion } }),
      };
    },
    restore: async (arn) => {
      const handler = handlerFor('restore', arn);
      return {
        run: () => handler({ cluster: 'lph', key: backup.key, versionId: backup.versionId, dryRun: false, confirm: 'lph', requestedBy: 'least-privilege test' }, CONTEXT),
        state: async () => ({ objects: await listed('lph'), restores: sim.state.restores.length, writes: writes() }),
        worked: (r) => expect(r).toMatchObject({ restored: true }),
      };
    },
    'rotate-token': async (arn) => {
      const handler = handlerFor('rotate-token', arn, { CLUSTER_NAME: 'demo' });
      const web = sim.state.createToken({ Description: 'web', ServiceIdentities: [{ ServiceName: 'web' }] });
      const secret = (await sm.send(new CreateSecretCommand({ Name: `consul/lph/web-${(counter += 1)}`, SecretString: JSON.stringify({ accessorId: web.AccessorID, secretId: web.SecretID, cluster: 'demo' }) }))).ARN!;
      const failures = fake.rotationErrors.length;
      onRotate = async (secretArn, token) => {
        for (const Step of ROTATION_STEPS) await handler({ Step, SecretId: secretArn, ClientRequestToken: token });
      };
      const pendingValue = () => sm.send(new GetSecretValueCommand({ SecretId: secret, VersionStage: 'AWSPENDING' })).then((o) => o.SecretString, () => undefined);
      return {
        run: async () => {
          await sm.send(new RotateSecretCommand({ SecretId: secret, ClientRequestToken: randomUUID(), RotationLambdaARN: LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 30 } }));
          // Secrets Manager runs the Lambda asynchronously: a step's error ends up in the rotation's failure.
          if (fake.rotationErrors.length > failures) throw fake.rotationErrors.at(-1);
          return (await sm.send(new DescribeSecretCommand({ SecretId: secret }))).VersionIdsToStages;
        },
        // The AWSPENDING label itself is Secrets Manager's (RotateSecret stages it before the first step).
        state: async () => ({
          current: (await sm.send(new GetSecretValueCommand({ SecretId: secret }))).SecretString,
          pendingValue: await pendingValue(),
          tokens: sim.state.listTokens().length,
        }),
        worked: async () => {
          const current = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secret }))).SecretString!) as { accessorId: string; previousAccessorId: string };
          expect(current.previousAccessorId).toBe(web.AccessorID);
          expect(sim.state.getToken(current.accessorId)?.ServiceIdentities).toEqual([{ ServiceName: 'web' }]);
        },
      };
    },
    'audit-intentions': async (arn) => {
      const handler = handlerFor('audit-intentions', arn);
      return { run: () => handler({ trigger: 'schedule' }, CONTEXT), state: async () => ({ writes: writes() }), worked: (r) => expect(r).toMatchObject({ effectiveDefault: 'deny', findings: 0 }) };
    },
    'check-certs': async (arn) => {
      const handler = handlerFor('check-certs', arn);
      return {
        run: () => handler({ trigger: 'schedule' }, CONTEXT),
        state: async () => ({ writes: writes() }),
        worked: (r) => expect(r).toMatchObject({ metrics: { proxiesTotal: 1, proxiesChecked: 1, proxiesServingStaleLeaves: 0 } }),
      };
    },
  };

  beforeAll(async () => {
    Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'true' });
    sim = await startConsulSimulator({ consulVersion, defaultPolicy: 'deny' });
    fake = await startSecretsManagerFake({ onRotate: (arn, token) => onRotate(arn, token) });
    sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const test = await createTestBucket({ versioning: true });
    bucket = test.bucket;
    store = new S3BackupStore({ client: test.s3, bucket });
    const leaf = (await sim.state.ca.leaf('web', true)).leaf;
    sidecar = await startTlsListener({ certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM }, { requireClientCertFrom: [sim.state.ca.activeRoot().RootCert] });
    sim.state.registerService({ name: 'web', port: 8080 });
    sim.state.registerService({ name: 'web-sidecar-proxy', port: sidecar.port, address: '127.0.0.1', proxyFor: { service: 'web' } });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'api', Action: 'allow' }] });
    // Every token exists before the backup: a restore brings back the ACLs of the backup.
    for (const [i, c] of POLICY_CASES.entries()) {
      const policies = c.rules.length === 0 ? [] : [{ ID: sim.state.createPolicy({ Name: `lph-${i}`, Rules: renderAclPolicy({ required: c.rules }) }).ID }];
      const token = sim.state.createToken({ Description: `lph ${c.name}`, Policies: policies });
      const value = JSON.stringify({ accessorId: token.AccessorID, secretId: token.SecretID, cluster: 'demo' });
      tokenSecrets.push({ arn: (await sm.send(new CreateSecretCommand({ Name: `consul/lph/token-${i}`, SecretString: value }))).ARN!, secretId: token.SecretID });
    }
    const management = (await sm.send(new CreateSecretCommand({ Name: 'consul/lph/management', SecretString: JSON.stringify({ accessorId: sim.managementToken.accessorId, secretId: sim.managementToken.secretId }) }))).ARN!;
    const taken = (await handlerFor('take-snapshot', management, { CLUSTER_NAME: 'lph' })({ trigger: 'manual' }, CONTEXT)) as { backup: { key: string; versionId: string } };
    backup = taken.backup;
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
    const { run, state, worked } = await JOBS[job](tokenSecrets[i].arn);
    const before = await state();

    // Act
    const outcome = await run().then((result) => ({ result }), (error: unknown) => ({ error }));

    // Assess
    if (removed === undefined) {
      expect(outcome).not.toHaveProperty('error');
      await worked((outcome as { result: unknown }).result);
      return;
    }
    expect(outcome).toHaveProperty('error');
    const error = (outcome as { error: Error }).error;
    // The restore function throws code and remedy as errorType and message; the others throw the error itself.
    const code = error instanceof ConsulOpsError ? error.code : error.name;
    const text = error instanceof ConsulOpsError ? `${error.message} — ${error.remedy}` : error.message;
    expect(code).toBe('CONSUL_PERMISSION_DENIED');
    expect(text).not.toContain('\n');
    expect(text).toMatch(new RegExp(`^${job}: the Consul token lacks permission '(${removed.grants.join('|')})'`));
    expect(text).toContain(`Add \`${removed.hcl}\` to the token's policy`);
    expect(text).not.toContain(tokenSecrets[i].secretId);
    expect(await state()).toEqual(before);
  });
});
