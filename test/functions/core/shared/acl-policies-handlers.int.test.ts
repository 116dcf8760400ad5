/**
 * Least privilege through the Lambda front door: every job's real handler (the job skeleton, Secrets Manager for the
 * token, radosgw for backups) with a management token holding exactly the job's policy, then without each rule: the
 * handler throws one line naming the missing permission and the rule to add, and nothing is half-done. On the oldest
 * and the newest Consul profile. (The CLI front door: acl-policies.int.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ROTATION_STEPS } from '../../../../functions/core/rotation/steps';
import type { AclJob } from '../../../../functions/core/shared/acl-policies';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import { auditIntentionsJob } from '../../../../functions/handlers/audit-intentions';
import { checkCertsJob } from '../../../../functions/handlers/check-certs';
import { createJobHandler, type JobSpec, type JobWiring } from '../../../../functions/handlers/job';
import { restoreJob } from '../../../../functions/handlers/restore';
import { rotateTokenJob } from '../../../../functions/handlers/rotate-token';
import { takeSnapshotJob } from '../../../../functions/handlers/take-snapshot';
import { EDGE_CONSUL_PROFILES } from '../../../helpers/consul-versions';
import { POLICY_CASES, refusalPattern, useLeastPrivilegeStack } from '../../../helpers/least-privilege';

type AnyJob = JobSpec<JobWiring, unknown, unknown>;
const SPECS: Record<AclJob, AnyJob> = {
  'take-snapshot': takeSnapshotJob as unknown as AnyJob,
  restore: restoreJob as unknown as AnyJob,
  'rotate-token': rotateTokenJob as unknown as AnyJob,
  'audit-intentions': auditIntentionsJob as unknown as AnyJob,
  'check-certs': checkCertsJob as unknown as AnyJob,
};
const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:consul-ops-rotate-token';
const CONTEXT = { getRemainingTimeInMillis: () => 900_000 };

describe.each(EDGE_CONSUL_PROFILES)('least privilege through the Lambda handlers (Consul %s)', (consulVersion) => {
  let onRotate: (arn: string, token: string) => Promise<void> = async () => undefined;
  const stack = useLeastPrivilegeStack(consulVersion, (arn, token) => onRotate(arn, token));
  let backup: { key: string; versionId: string };
  const tokenSecrets: string[] = [];
  let counter = 0;

  function handlerFor(job: AclJob, tokenSecretArn: string, env: Record<string, string> = {}) {
    const base = { CLUSTER_NAME: 'lph', CONSUL_ADDRESSES: stack.sim.url, CONSUL_TOKEN_SECRET_ARN: tokenSecretArn, BUCKET_NAME: stack.bucket, SNAPSHOT_PREFIX: 'snapshots' };
    return createJobHandler(SPECS[job], { env: { ...base, ...env }, secretsClient: stack.sm, logger: new Logger({ logLevel: 'SILENT' }) });
  }

  async function tokenSecret(name: string, token: { accessorId: string; secretId: string }): Promise<string> {
    const value = JSON.stringify({ accessorId: token.accessorId, secretId: token.secretId, cluster: 'demo' });
    return (await stack.sm.send(new CreateSecretCommand({ Name: `consul/lph/${name}`, SecretString: value }))).ARN!;
  }

  /** Runs the job's handler with a token secret; `state` is what the run could have changed. */
  const JOBS: Record<AclJob, (tokenArn: string) => Promise<{ run: () => Promise<unknown>; state: () => Promise<unknown>; worked: (result: unknown) => void | Promise<void> }>> = {
    'take-snapshot': async (arn) => {
      const cluster = `lph-${(counter += 1)}`;
      const handler = handlerFor('take-snapshot', arn, { CLUSTER_NAME: cluster });
      return {
        run: () => handler({ trigger: 'schedule' }, CONTEXT),
        state: async () => ({ objects: await stack.listed(cluster), writes: stack.writes() }),
        worked: (r) => expect(r).toMatchObject({ backup: { verified: true, consulVersion } }),
      };
    },
    restore: async (arn) => {
      const handler = handlerFor('restore', arn);
      return {
        run: () => handler({ cluster: 'lph', key: backup.key, versionId: backup.versionId, dryRun: false, confirm: 'lph', requestedBy: 'least-privilege test' }, CONTEXT),
        state: async () => ({ objects: await stack.listed('lph'), restores: stack.sim.state.restores.length, writes: stack.writes() }),
        worked: (r) => expect(r).toMatchObject({ restored: true }),
      };
    },
    'rotate-token': async (arn) => {
      const { sim, sm, fake } = stack;
      const handler = handlerFor('rotate-token', arn, { CLUSTER_NAME: 'demo' });
      const web = sim.state.createToken({ Description: 'web', ServiceIdentities: [{ ServiceName: 'web' }] });
      const secret = await tokenSecret(`web-${(counter += 1)}`, { accessorId: web.AccessorID, secretId: web.SecretID });
      const failures = fake.rotationErrors.length;
      onRotate = async (secretArn, token) => {
        for (const Step of ROTATION_STEPS) await handler({ Step, SecretId: secretArn, ClientRequestToken: token });
      };
      const current = async () => JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secret }))).SecretString!) as { accessorId: string; previousAccessorId?: string };
      return {
        run: async () => {
          await sm.send(new RotateSecretCommand({ SecretId: secret, ClientRequestToken: randomUUID(), RotationLambdaARN: LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 30 } }));
          // Secrets Manager runs the Lambda asynchronously: a step's error ends up in the rotation's failure.
          if (fake.rotationErrors.length > failures) throw fake.rotationErrors.at(-1);
          return (await sm.send(new DescribeSecretCommand({ SecretId: secret }))).VersionIdsToStages;
        },
        // The AWSPENDING label itself is Secrets Manager's (RotateSecret stages it before the first step).
        state: async () => ({
          current: await current(),
          pendingValue: await sm.send(new GetSecretValueCommand({ SecretId: secret, VersionStage: 'AWSPENDING' })).then((o) => o.SecretString, () => undefined),
          tokens: sim.state.listTokens().length,
        }),
        worked: async () => {
          const now = await current();
          expect(now.previousAccessorId).toBe(web.AccessorID);
          expect(sim.state.getToken(now.accessorId)?.ServiceIdentities).toEqual([{ ServiceName: 'web' }]);
        },
      };
    },
    'audit-intentions': async (arn) => {
      const handler = handlerFor('audit-intentions', arn);
      return { run: () => handler({ trigger: 'schedule' }, CONTEXT), state: async () => ({ writes: stack.writes() }), worked: (r) => expect(r).toMatchObject({ effectiveDefault: 'deny', findings: 0 }) };
    },
    'check-certs': async (arn) => {
      const handler = handlerFor('check-certs', arn);
      return {
        run: () => handler({ trigger: 'schedule' }, CONTEXT),
        state: async () => ({ writes: stack.writes() }),
        worked: (r) => expect(r).toMatchObject({ metrics: { proxiesTotal: 1, proxiesChecked: 1, proxiesServingStaleLeaves: 0 } }),
      };
    },
  };

  beforeAll(async () => {
    for (const [i, token] of stack.tokens.entries()) tokenSecrets.push(await tokenSecret(`token-${i}`, token));
    const management = await tokenSecret('management', stack.sim.managementToken);
    backup = ((await handlerFor('take-snapshot', management, { CLUSTER_NAME: 'lph' })({ trigger: 'manual' }, CONTEXT)) as { backup: { key: string; versionId: string } }).backup;
  });

  it.each(POLICY_CASES)('$name', async ({ job, removed, i }) => {
    // Prepare
    const { run, state, worked } = await JOBS[job](tokenSecrets[i]);
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
    expect(text).toMatch(refusalPattern(job, removed));
    expect(text).toContain(`Add \`${removed.hcl}\` to the token's policy`);
    expect(text).not.toContain(stack.tokens[i].secretId);
    expect(await state()).toEqual(before);
  });
});
