import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACL_JOBS, combinedAclRules, explainPermissionError, JobPermissionError, jobAclPolicy, renderAclPolicy } from '../../../../functions/core/shared/acl-policies';
import { ConsulPermissionDeniedError, ConsulResultsFilteredError, ConsulNoLeaderError } from '../../../../functions/core/shared/consul-errors';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';

const README = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
const REQ = { method: 'GET', path: '/v1/agent/self', address: 'https://consul.internal:8501' };

/** The README's "Consul ACL policies" section, and its hcl blocks by their first line (`# <job>`). */
function readmePolicyBlocks(): { section: string; blocks: Map<string, string> } {
  const start = README.indexOf('\n## Consul ACL policies\n');
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end);
  const blocks = new Map<string, string>();
  for (const [, body] of section.matchAll(/```hcl\n([\s\S]*?)\n```/g)) {
    const [title, ...rules] = body.split('\n');
    blocks.set(title.replace(/^# /, ''), rules.join('\n'));
  }
  return { section, blocks };
}

describe('the README section "Consul ACL policies"', () => {
  it('shows exactly the policy of every job, as acl-policies.ts defines it', () => {
    // Act
    const { blocks } = readmePolicyBlocks();

    // Assess
    for (const job of ACL_JOBS) expect([job, blocks.get(job)]).toEqual([job, renderAclPolicy(jobAclPolicy(job))]);
    expect(blocks.get('all jobs')).toBe(renderAclPolicy({ required: combinedAclRules(ACL_JOBS) }));
  });

  it('is the only place in the README with ACL rules, so no second copy can drift', () => {
    // Prepare
    const { section } = readmePolicyBlocks();

    // Act
    const elsewhere = README.replace(section, '').match(/```hcl[\s\S]*?```/g) ?? [];

    // Assess
    expect(elsewhere).toEqual([]);
  });
});

describe('combinedAclRules', () => {
  it('lists each rule once with the jobs that need it and every permission the jobs use from it', () => {
    // Act
    const rules = combinedAclRules(['audit-intentions', 'check-certs']);

    // Assess
    expect(rules.map((r) => [r.hcl, r.why])).toEqual([
      ['agent_prefix "" { policy = "read" }', 'audit-intentions, check-certs'],
      ['service_prefix "" { policy = "read" }', 'audit-intentions, check-certs'],
      ['node_prefix "" { policy = "read" }', 'check-certs'],
      ['service "consul-ops-auditor" { policy = "write" }', 'check-certs'],
    ]);
    expect(rules[1].grants).toEqual(['service:read', 'intention:read']);
  });
});

describe('explainPermissionError', () => {
  const denied = (permission: string, on?: string) =>
    new ConsulPermissionDeniedError(REQ, `Permission denied: token with AccessorID '6a1253d2-1785-24fd-91c2-f8e78c745511' lacks permission '${permission}'${on ? ` on "${on}"` : ''}`);

  it.each(
    ACL_JOBS.flatMap((job) =>
      jobAclPolicy(job).required.flatMap((rule) => rule.grants.filter((g) => g !== 'acl:read').map((permission) => ({ job, permission, on: rule.onName, hcl: rule.hcl }))),
    ),
  )('$job: a refusal of $permission names the rule $hcl', ({ job, permission, on, hcl }) => {
    // Act
    const explained = explainPermissionError(job, denied(permission, on ?? 'web'));

    // Assess
    expect(explained).toBeInstanceOf(JobPermissionError);
    const e = explained as JobPermissionError;
    expect(e.code).toBe('CONSUL_PERMISSION_DENIED');
    expect(e.message).toBe(`${job}: the Consul token lacks permission '${permission}' on "${on ?? 'web'}": GET /v1/agent/self on https://consul.internal:8501 was refused (403)`);
    expect(e.remedy).toContain(`Add \`${hcl}\` to the token's policy; ${job} needs exactly: ${jobAclPolicy(job).required.map((r) => r.hcl).join('; ')}`);
    expect(e.context).toMatchObject({ job, rule: hcl, permission, accessorId: '6a1253d2-1785-24fd-91c2-f8e78c745511' });
  });

  it('names the optional rule, or Consul\'s own grant, for a permission outside the required policy', () => {
    // Act
    const stale = explainPermissionError('check-certs', denied('service:write', 'web')) as JobPermissionError;
    const outside = explainPermissionError('take-snapshot', denied('operator:read')) as JobPermissionError;

    // Assess
    expect(stale.context.rule).toBe('service_prefix "" { policy = "write" }');
    expect(outside.context.rule).toBe('operator = "read"');
  });

  it('guesses no rule when Consul names no permission (a bare "Permission denied")', () => {
    // Act
    const bare = explainPermissionError('audit-intentions', new ConsulPermissionDeniedError(REQ, 'Permission denied')) as JobPermissionError;

    // Assess
    expect(bare.message).toBe('audit-intentions: the Consul token lacks a permission: GET /v1/agent/self on https://consul.internal:8501 was refused (403)');
    expect(bare.remedy).toBe('Give the token the whole policy of the job; audit-intentions needs exactly: agent_prefix "" { policy = "read" }; service_prefix "" { policy = "read" } (README, "Consul ACL policies").');
    expect(bare.context).not.toHaveProperty('rule');
  });

  it('finds the refusal in the cause chain, explains results hidden by ACLs, and leaves other errors alone', () => {
    // Prepare
    const wrapped = new ConsulOpsError('RESTORE_SAFETY_SNAPSHOT_FAILED', 'the safety snapshot failed', 'fix it', { cause: denied('acl:write') });
    const filtered = new ConsulResultsFilteredError({ method: 'GET', path: '/v1/catalog/services', address: 'consul:8500' }, { resource: 'service', level: 'read', what: 'services' });
    const noLeader = new ConsulNoLeaderError(REQ, 'No cluster leader');

    // Act
    const fromCause = explainPermissionError('restore', wrapped) as JobPermissionError;
    const fromFilter = explainPermissionError('check-certs', filtered) as JobPermissionError;

    // Assess
    expect(fromCause.message).toBe("restore: the Consul token lacks permission 'acl:write': GET /v1/agent/self on https://consul.internal:8501 was refused (403)");
    expect(fromFilter.message).toBe("check-certs: the Consul token lacks permission 'service:read': GET /v1/catalog/services on consul:8500 hid results from it");
    expect(explainPermissionError('take-snapshot', noLeader)).toBe(noLeader);
    expect(explainPermissionError('restore', fromCause)).toBe(fromCause);
  });
});

describe('renderAclPolicy', () => {
  it('renders each rule on its own line with why, the optional ones commented out', () => {
    // Act
    const text = renderAclPolicy(jobAclPolicy('check-certs', { auditorService: 'cert-auditor' }));

    // Assess
    const lines = text.split('\n');
    expect(lines[3]).toMatch(/^service "cert-auditor" \{ policy = "write" \} {2}# the auditor leaf/);
    expect(lines.slice(4)).toEqual([
      '# optional:',
      expect.stringMatching(/^# operator = "write" +# LeafCertTTL drift/),
      expect.stringMatching(/^# service_prefix "" \{ policy = "write" \} +# stale-leaf comparison on Consul >= 1\.16/),
    ]);
    expect(new Set(lines.filter((l) => !l.startsWith('# optional')).map((l) => l.indexOf('  # ')))).toEqual(new Set([lines[0].indexOf('  # ')]));
  });
});
