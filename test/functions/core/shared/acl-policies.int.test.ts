/**
 * Least privilege, proven: every consul-ops job runs through its CLI front door against the Consul simulator (which
 * enforces each endpoint's permission as Consul does) with a token holding EXACTLY the policy `acl-policies.ts` gives
 * it, and works; and for each rule of that policy, with a token holding the policy without that rule, it fails with
 * exit 2, one line naming the missing permission and the rule to add, and nothing half-done. On the oldest and the
 * newest Consul profile. (The Lambda front door: acl-policies-handlers.int.test.ts.)
 */
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { main } from '../../../../functions/cli/main';
import type { AclJob } from '../../../../functions/core/shared/acl-policies';
import { CaptureStream } from '../../../helpers/capture';
import { EDGE_CONSUL_PROFILES } from '../../../helpers/consul-versions';
import { POLICY_CASES, refusalPattern, useLeastPrivilegeStack } from '../../../helpers/least-privilege';

describe.each(EDGE_CONSUL_PROFILES)('least privilege through the CLI (Consul %s)', (consulVersion) => {
  const stack = useLeastPrivilegeStack(consulVersion);
  let backup: { key: string; versionId: string };
  let counter = 0;

  async function cli(argv: string[], token: string) {
    const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env: { ...process.env, CONSUL_HTTP_ADDR: stack.sim.url, CONSUL_HTTP_TOKEN: token }, interactive: false };
    const code = await main(['node', 'consul-ops', ...argv], io);
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  /**
   * How each job is run, what it could have changed (compared before and after a refused run) and what its JSON
   * output says when it worked.
   */
  const JOBS: Record<AclJob, () => Promise<{ argv: string[]; state: () => Promise<unknown>; worked: Record<string, unknown> }>> = {
    'take-snapshot': async () => {
      const cluster = `lp-${(counter += 1)}`;
      return {
        argv: ['backup', '--bucket', stack.bucket, '--cluster', cluster, '--json'],
        state: async () => ({ objects: await stack.listed(cluster), writes: stack.writes() }),
        worked: { verified: true, consulVersion },
      };
    },
    restore: async () => ({
      argv: ['restore', '--bucket', stack.bucket, '--cluster', 'lp', '--key', backup.key, '--version-id', backup.versionId, '--yes', '--json'],
      state: async () => ({ objects: await stack.listed('lp'), restores: stack.sim.state.restores.length, writes: stack.writes() }),
      worked: { restored: true },
    }),
    'rotate-token': async () => {
      const { sim, sm } = stack;
      const web = sim.state.createToken({ Description: 'web', ServiceIdentities: [{ ServiceName: 'web' }] });
      const secret = await sm.send(new CreateSecretCommand({ Name: `consul/lp/web-${(counter += 1)}`, SecretString: JSON.stringify({ accessorId: web.AccessorID, secretId: web.SecretID, cluster: 'demo' }) }));
      const state = async () => ({
        stages: (await sm.send(new DescribeSecretCommand({ SecretId: secret.ARN }))).VersionIdsToStages,
        current: (await sm.send(new GetSecretValueCommand({ SecretId: secret.ARN }))).SecretString,
        tokens: sim.state.listTokens().length,
      });
      return { argv: ['rotate-token', '--secret-id', secret.ARN!, '--cluster', 'demo', '--json'], state, worked: { previousAccessorId: web.AccessorID } };
    },
    'audit-intentions': async () => ({ argv: ['audit-intentions', '--cluster', 'lp', '--json'], state: async () => ({ writes: stack.writes() }), worked: { effectiveDefault: 'deny', findings: [] } }),
    'check-certs': async () => ({
      argv: ['check-certs', '--cluster', 'lp', '--json'],
      state: async () => ({ writes: stack.writes() }),
      worked: { certs: expect.arrayContaining([expect.objectContaining({ kind: 'proxy', severity: 'info' })]) },
    }),
  };

  beforeAll(async () => {
    const taken = await cli(['backup', '--bucket', stack.bucket, '--cluster', 'lp', '--json'], stack.sim.managementToken.secretId);
    expect(taken.code).toBe(0);
    backup = JSON.parse(taken.stdout) as { key: string; versionId: string };
  });

  it.each(POLICY_CASES)('$name', async ({ job, removed, i }) => {
    // Prepare
    const { argv, state, worked } = await JOBS[job]();
    const token = stack.tokens[i].secretId;
    const before = await state();

    // Act
    const out = await cli(argv, token);

    // Assess
    expect(`${out.stdout}${out.stderr}`).not.toContain(token);
    if (removed === undefined) {
      expect(out).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(out.stdout)).toMatchObject(worked);
      return;
    }
    expect(out.code).toBe(2);
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(refusalPattern(job, removed));
    expect(lines[0]).toContain(`Add \`${removed.hcl}\` to the token's policy`);
    expect(await state()).toEqual(before);
  });
});
