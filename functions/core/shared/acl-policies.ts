/**
 * The ONE place that says which Consul ACL rules each consul-ops job needs (least privilege), and why. The README's
 * "Consul ACL policies" section is checked against {@link renderAclPolicy} by a test, the least-privilege test runs
 * every job with exactly these rules (and without each one), and {@link explainPermissionError} turns a refusal into
 * a one-line error naming the rule to add.
 *
 * Permission names are Consul's `<resource>:<level>` (`acl/authorizer.go`), as in its denial text; `intention` is the
 * resource that `service` rules' `intentions = "…"` grants.
 */
import { CONSUL_ERROR_CODES, ruleGranting, type MissingPermission } from './consul-errors';
import { ConsulOpsError } from './errors';

/** The jobs that talk to Consul, named as the Lambda jobs are. */
export const ACL_JOBS = ['take-snapshot', 'restore', 'rotate-token', 'audit-intentions', 'check-certs'] as const;
/** One of {@link ACL_JOBS}. */
export type AclJob = (typeof ACL_JOBS)[number];

/** One rule of a policy. */
export interface AclRule {
  /** The rule exactly as it goes into the policy (HCL). */
  readonly hcl: string;
  /** The permissions the job uses from it, e.g. `['agent:read']`. */
  readonly grants: readonly string[];
  /** The calls that need it. */
  readonly why: string;
  /** For an exact-name rule (`service "x"`): the only resource name it covers. @default - every name (a `_prefix ""` rule) */
  readonly onName?: string;
}

/** What one job needs: `required` rules (the job fails without any of them) and `optional` ones (a check is skipped). */
export interface JobAclPolicy {
  readonly job: AclJob;
  readonly required: readonly AclRule[];
  readonly optional: readonly AclRule[];
}

/** Options of {@link jobAclPolicy}. */
export interface AclPolicyOptions {
  /** The certificate check's auditor service identity. @default DEFAULT_POLICY_AUDITOR_SERVICE */
  readonly auditorService?: string;
}

/** The auditor service of the certificate check when none is configured. */
export const DEFAULT_POLICY_AUDITOR_SERVICE = 'consul-ops-auditor';

const ACL_WRITE: AclRule = { hcl: 'acl = "write"', grants: ['acl:write', 'acl:read'], why: 'GET/PUT /v1/snapshot (Consul checks acl:write for snapshots)' };
const AGENT_READ = (why: string): AclRule => ({ hcl: 'agent_prefix "" { policy = "read" }', grants: ['agent:read'], why: `GET /v1/agent/self: ${why}` });
// service:read implies intentions:read (Consul's ACL rules docs, consul-api.md §3.1), so one rule serves both jobs.
const SERVICE_READ = (why: string, grants: readonly string[] = ['service:read']): AclRule => ({ hcl: 'service_prefix "" { policy = "read" }', grants, why });

/**
 * The policy of one job.
 *
 * @example
 * renderAclPolicy(jobAclPolicy('take-snapshot')) // 'acl = "write"  # …\nagent_prefix "" { policy = "read" }  # …'
 */
export function jobAclPolicy(job: AclJob, options: AclPolicyOptions = {}): JobAclPolicy {
  const auditor = options.auditorService ?? DEFAULT_POLICY_AUDITOR_SERVICE;
  switch (job) {
    case 'take-snapshot':
      return { job, required: [ACL_WRITE, AGENT_READ('datacenter and Consul version recorded with every backup')], optional: [] };
    case 'restore':
      return { job, required: [ACL_WRITE, AGENT_READ('datacenter and Consul version checked against the backup')], optional: [] };
    case 'rotate-token':
      return {
        job,
        required: [{ hcl: 'acl = "write"', grants: ['acl:write', 'acl:read'], why: 'read, create and delete ACL tokens (/v1/acl/token)' }],
        optional: [],
      };
    case 'audit-intentions':
      return {
        job,
        required: [
          AGENT_READ('ACL default policy and default_intention_policy'),
          SERVICE_READ('every intention (config entries, /v1/connect/intentions) and service-defaults', ['service:read', 'intention:read']),
        ],
        optional: [],
      };
    case 'check-certs':
      return {
        job,
        required: [
          SERVICE_READ('the connect-proxy instances of the catalog'),
          { hcl: 'node_prefix "" { policy = "read" }', grants: ['node:read'], why: 'the nodes of those instances (the catalog hides instances on nodes it cannot read)' },
          AGENT_READ('Consul version, node name and gRPC TLS port'),
          { hcl: `service "${auditor}" { policy = "write" }`, grants: ['service:write'], onName: auditor, why: 'the auditor leaf presented to sidecars (mTLS)' },
        ],
        optional: [
          { hcl: 'operator = "write"', grants: ['operator:write'], why: 'LeafCertTTL drift check (GET /v1/connect/ca/configuration)' },
          {
            hcl: 'service_prefix "" { policy = "write" }',
            grants: ['service:write'],
            why: 'stale-leaf comparison on Consul >= 1.16 (agent leaves); also lets the token get any service\'s leaf',
          },
        ],
      };
  }
}

/**
 * The required rules of several jobs, each once, in first-seen order, with the jobs that need it as its `why` (for
 * the token a cluster's jobs share).
 */
export function combinedAclRules(jobs: readonly AclJob[], options: AclPolicyOptions = {}): AclRule[] {
  const out: { rule: AclRule; grants: Set<string>; jobs: AclJob[] }[] = [];
  for (const job of jobs) {
    for (const rule of jobAclPolicy(job, options).required) {
      const seen = out.find((o) => o.rule.hcl === rule.hcl) ?? out[out.push({ rule, grants: new Set(), jobs: [] }) - 1];
      rule.grants.forEach((g) => seen.grants.add(g));
      seen.jobs.push(job);
    }
  }
  return out.map((o) => ({ ...o.rule, grants: [...o.grants], why: o.jobs.join(', ') }));
}

/**
 * A policy's rules as HCL with a comment saying why each is there, aligned; optional rules follow as comments.
 * This is the text of the README's policy blocks.
 */
export function renderAclPolicy(policy: Pick<JobAclPolicy, 'required'> & Partial<Pick<JobAclPolicy, 'optional'>>): string {
  const width = Math.max(...[...policy.required, ...(policy.optional ?? [])].map((r) => r.hcl.length));
  const line = (r: AclRule, prefix = '') => `${prefix}${r.hcl.padEnd(width - prefix.length)}  # ${r.why}`;
  const optional = policy.optional ?? [];
  return [...policy.required.map((r) => line(r)), ...(optional.length > 0 ? ['# optional:', ...optional.map((r) => line(r, '# '))] : [])].join('\n');
}

/**
 * Turns a Consul refusal anywhere in `err`'s cause chain (403 `Permission denied`, or results the token may not see)
 * into a {@link JobPermissionError} naming the missing permission and the rule of the job's policy that grants it;
 * any other error is returned as it is.
 *
 * @example
 * catch (error) { throw explainPermissionError('take-snapshot', error); }
 */
export function explainPermissionError(job: AclJob, err: unknown, options: AclPolicyOptions = {}): unknown {
  const refusal = findRefusal(err);
  if (refusal === undefined) return err;
  const missing = refusal.context as MissingPermission & { readonly method?: string; readonly path?: string };
  const policy = jobAclPolicy(job, options);
  const covers = (r: AclRule) => missing.permission !== undefined && r.grants.includes(missing.permission) && (r.onName === undefined || r.onName === missing.resourceName);
  const granting = [...policy.required, ...policy.optional].find(covers);
  // A bare `Permission denied` (some endpoints of some versions) names no permission: then no rule is guessed.
  const rule = granting?.hcl ?? (missing.permission === undefined ? undefined : ruleGranting(missing));
  return new JobPermissionError(job, refusal, rule, policy.required.map((r) => r.hcl));
}

function findRefusal(err: unknown): ConsulOpsError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof JobPermissionError) return undefined;
    if (current instanceof ConsulOpsError && (current.code === CONSUL_ERROR_CODES.permissionDenied || current.code === CONSUL_ERROR_CODES.resultsFiltered)) return current;
    current = current.cause;
  }
  return undefined;
}

/**
 * Runs a job's work and rethrows a Consul refusal as {@link explainPermissionError} explains it.
 *
 * @example
 * return runJob(() => withPermissionHelp('restore', () => runRestore(deps, input)), describe);
 */
export async function withPermissionHelp<T>(job: AclJob, work: () => Promise<T>, options: AclPolicyOptions = {}): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw explainPermissionError(job, err, options);
  }
}

/**
 * A job stopped because its Consul token lacks a permission of the job's policy (`acl-policies.ts`): one line naming
 * the permission, the call that was refused, and the exact rule to add (when Consul named the permission; a bare
 * `Permission denied` gets the job's whole policy instead). Code `CONSUL_PERMISSION_DENIED`, like the refusal it
 * explains (`cause`).
 */
export class JobPermissionError extends ConsulOpsError {
  constructor(job: string, refusal: ConsulOpsError, rule: string | undefined, policy: readonly string[]) {
    const missing = refusal.context as MissingPermission & { readonly method?: string; readonly path?: string; readonly address?: string };
    const what = missing.permission === undefined ? 'a permission' : `permission '${missing.permission}'${missing.resourceName ? ` on "${missing.resourceName}"` : ''}`;
    const call = missing.method && missing.path ? `${missing.method} ${missing.path}` : 'a Consul request';
    const how = refusal.code === CONSUL_ERROR_CODES.resultsFiltered ? 'hid results from it' : 'was refused (403)';
    const add = rule === undefined ? 'Give the token the whole policy of the job' : `Add \`${rule}\` to the token's policy`;
    super(
      CONSUL_ERROR_CODES.permissionDenied,
      `${job}: the Consul token lacks ${what}: ${call}${missing.address ? ` on ${missing.address}` : ''} ${how}`,
      `${add}; ${job} needs exactly: ${policy.join('; ')} (README, "Consul ACL policies").`,
      { context: { ...refusal.context, job, ...(rule === undefined ? {} : { rule }) }, cause: refusal },
    );
  }
}
