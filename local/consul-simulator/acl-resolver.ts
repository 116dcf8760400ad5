/**
 * Token resolution: secret → stored token → {@link Authorizer}, expanding roles, policies, service identities, node
 * identities and templated policies (≥ 1.17) into synthetic policies the way Consul's ACL resolver does.
 */
import { templatedPolicyRules } from './acl-templated-policies';
import { aclNotFound } from './http-errors';
import { Authorizer } from './permissions';
import { parsePolicyRules, ParsedRules } from './policy-rules';
import { AclTokenRecord, IdLink, NodeIdentity, ServiceIdentity, TemplatedPolicyRecord } from './store';
import { SimulatorCore } from './types';

/** AccessorID of the anonymous token. */
export const ANONYMOUS_ACCESSOR_ID = '00000000-0000-0000-0000-000000000002';
/** ID of the builtin `global-management` policy. */
export const GLOBAL_MANAGEMENT_POLICY_ID = '00000000-0000-0000-0000-000000000001';
/** Prefix of IDs Consul reserves for builtin objects. */
export const RESERVED_ID_PREFIX = '00000000-0000-0000-0000-0000000000';

/** The rules of the builtin `global-management` policy. */
export const GLOBAL_MANAGEMENT_RULES = [
  'acl = "write"',
  'agent_prefix "" { policy = "write" }',
  'event_prefix "" { policy = "write" }',
  'key_prefix "" { policy = "write" }',
  'keyring = "write"',
  'node_prefix "" { policy = "write" }',
  'operator = "write"',
  'mesh = "write"',
  'peering = "write"',
  'query_prefix "" { policy = "write" }',
  'service_prefix "" { policy = "write" intentions = "write" }',
  'session_prefix "" { policy = "write" }',
].join('\n');

/** True when a token has an `ExpirationTime` in the past (Consul treats it as not found). */
export function isExpired(token: AclTokenRecord, now: Date): boolean {
  return token.ExpirationTime !== undefined && Date.parse(token.ExpirationTime) <= now.getTime();
}

/** Finds a live token by SecretID (`anonymous` and `''` mean the anonymous token). */
export function findTokenBySecret(core: SimulatorCore, secret: string): AclTokenRecord | undefined {
  const wanted = secret === '' ? 'anonymous' : secret;
  for (const token of core.store.tokens.values()) {
    if (token.SecretID === wanted) return isExpired(token, core.now()) ? undefined : token;
  }
  return undefined;
}

/** Resolves a request's secret; throws 403 `ACL not found` for an unknown or expired secret. */
export function resolveToken(core: SimulatorCore, secret: string): AclTokenRecord {
  const token = findTokenBySecret(core, secret);
  if (!token) throw aclNotFound();
  return token;
}

/** Builds the authorizer of a token. With ACLs disabled it allows everything. */
export function authorizerFor(core: SimulatorCore, token: AclTokenRecord | undefined): Authorizer {
  const settings = { aclsEnabled: core.options.aclsEnabled, defaultPolicy: core.options.defaultPolicy };
  if (!token) return new Authorizer(ANONYMOUS_ACCESSOR_ID, [], false, settings);
  const policyIds = new Set(token.Policies.map((p) => p.ID));
  const serviceIds = [...token.ServiceIdentities];
  const nodeIds = [...token.NodeIdentities];
  const templated: TemplatedPolicyRecord[] = [...(token.TemplatedPolicies ?? [])];
  for (const link of token.Roles) {
    const role = core.store.roles.get(link.ID);
    if (!role) continue;
    role.Policies.forEach((p) => policyIds.add(p.ID));
    serviceIds.push(...role.ServiceIdentities);
    nodeIds.push(...role.NodeIdentities);
    templated.push(...(role.TemplatedPolicies ?? []));
  }
  const rules: ParsedRules[] = [];
  for (const id of policyIds) {
    const policy = core.store.policies.get(id);
    if (!policy) continue;
    if (policy.Datacenters.length > 0 && !policy.Datacenters.includes(core.options.datacenter)) continue;
    rules.push(safeParse(policy.Rules));
  }
  rules.push(...serviceIds.map((s) => serviceIdentityRules(s, core.options.datacenter)));
  rules.push(...nodeIds.map((n) => nodeIdentityRules(n, core.options.datacenter)));
  if (core.profile.features.templatedPolicies) rules.push(...templated.map((tp) => templatedPolicyRules(tp, core.options.datacenter)));
  return new Authorizer(token.AccessorID, rules, policyIds.has(GLOBAL_MANAGEMENT_POLICY_ID), settings);
}

function safeParse(text: string): ParsedRules {
  try {
    return parsePolicyRules(text);
  } catch {
    return parsePolicyRules('');
  }
}

/** The synthetic policy of a service identity (`structs.ACLServiceIdentity.SyntheticPolicy`). */
function serviceIdentityRules(identity: ServiceIdentity, dc: string): ParsedRules {
  if (identity.Datacenters && identity.Datacenters.length > 0 && !identity.Datacenters.includes(dc)) return parsePolicyRules('');
  const name = identity.ServiceName;
  return parsePolicyRules(
    `service "${name}" { policy = "write" }\nservice "${name}-sidecar-proxy" { policy = "write" }\n` +
      'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }',
  );
}

/** The synthetic policy of a node identity. */
function nodeIdentityRules(identity: NodeIdentity, dc: string): ParsedRules {
  if (identity.Datacenter !== dc) return parsePolicyRules('');
  return parsePolicyRules(`node "${identity.NodeName}" { policy = "write" }\nservice_prefix "" { policy = "read" }`);
}

/** Policy links as Consul returns them: `{ID, Name}`, dropping links to deleted policies. */
export function policyLinks(core: SimulatorCore, links: IdLink[]): { ID: string; Name: string }[] {
  return links.flatMap((l) => {
    const p = core.store.policies.get(l.ID);
    return p ? [{ ID: p.ID, Name: p.Name }] : [];
  });
}

/** Role links as Consul returns them: `{ID, Name}`, dropping links to deleted roles. */
export function roleLinks(core: SimulatorCore, links: IdLink[]): { ID: string; Name: string }[] {
  return links.flatMap((l) => {
    const r = core.store.roles.get(l.ID);
    return r ? [{ ID: r.ID, Name: r.Name }] : [];
  });
}
