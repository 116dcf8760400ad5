/**
 * `/v1/acl/policy*` and `/v1/acl/role*` endpoints, minimal: enough to create the objects tokens link to, read them
 * back (404 texts of ≥ 1.15), list and delete them. Roles carry templated policies from 1.17.
 */
import { createHash } from 'node:crypto';
import { GLOBAL_MANAGEMENT_POLICY_ID, policyLinks, RESERVED_ID_PREFIX } from './acl-resolver';
import { POLICY_SPEC, roleSpec } from './acl-specs';
import { renderTemplatedPolicies, TemplatedPolicyInput, templatedPolicyHashParts, validateTemplatedPolicies } from './acl-templated-policies';
import { authorizeAclWrite, decodeBody, requireAcls } from './acl-tokens';
import { resolveLinks, validateNodeIdentities, validateServiceIdentities } from './acl-token-writer';
import { isUuid, newUuid } from './go-format';
import { badRequest, notFound, rpcError } from './http-errors';
import { parsePolicyRules } from './policy-rules';
import { beginServerRead, jsonReply, queryReply } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { AclPolicyRecord, AclRoleRecord, SimulatorStore } from './store';
import { SimulatorCore } from './types';

/** A policy as a client sends it. */
export interface PolicyInput {
  ID?: string;
  Name?: string;
  Description?: string;
  Rules?: string;
  Datacenters?: string[];
}

/** A role as a client sends it. */
export interface RoleInput {
  ID?: string;
  Name?: string;
  Description?: string;
  Policies?: { ID?: string; Name?: string }[];
  ServiceIdentities?: { ServiceName?: string; Datacenters?: string[] }[];
  NodeIdentities?: { NodeName?: string; Datacenter?: string }[];
  /** Consul ≥ 1.17. */
  TemplatedPolicies?: TemplatedPolicyInput[];
}

const NAME_RE = /^[A-Za-z0-9\-_]{1,128}$/;

function hash(...parts: string[]): string {
  const h = createHash('sha256');
  parts.forEach((p) => h.update(p).update('\0'));
  return h.digest('base64');
}

/** Creates or updates a policy with Consul's validation texts (`ACL.PolicySet`). */
export function writePolicy(store: SimulatorStore, input: PolicyInput): AclPolicyRecord {
  const id = input.ID ?? '';
  const existing = id ? store.policies.get(id) : undefined;
  if (id && !isUuid(id)) throw rpcError('Policy ID invalid UUID');
  if (id && !existing) throw rpcError(`cannot find policy ${id}`);
  const name = input.Name ?? '';
  if (name === '') throw rpcError('Invalid Policy: no Name is set');
  if (!NAME_RE.test(name)) throw rpcError("Invalid Policy: invalid Name. Only alphanumeric characters, '-' and '_' are allowed");
  const clash = [...store.policies.values()].find((p) => p.Name === name && p.ID !== id);
  if (clash) throw rpcError(`Invalid Policy: A Policy with Name "${name}" already exists`);
  if (id === GLOBAL_MANAGEMENT_POLICY_ID && existing && input.Rules !== existing.Rules) {
    throw rpcError('Changing the Rules for the builtin global-management policy is not permitted');
  }
  const rules = input.Rules ?? '';
  try {
    parsePolicyRules(rules);
  } catch (err) {
    throw rpcError(`Failed to parse policy: ${(err as Error).message}`);
  }
  const index = store.commit('acl-policies');
  const policy: AclPolicyRecord = {
    ID: id || newUuid(),
    Name: name,
    Description: input.Description ?? '',
    Rules: rules,
    Datacenters: input.Datacenters ?? [],
    Hash: hash(name, input.Description ?? '', rules, (input.Datacenters ?? []).join(',')),
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
  };
  store.policies.set(policy.ID, policy);
  return policy;
}

/** Creates or updates a role with Consul's validation texts (`ACL.RoleSet`). */
export function writeRole(core: SimulatorCore, input: RoleInput): AclRoleRecord {
  const store = core.store;
  const id = input.ID ?? '';
  const existing = id ? store.roles.get(id) : undefined;
  if (id && !existing) throw rpcError(`cannot find role ${id}`);
  const name = input.Name ?? '';
  if (name === '') throw rpcError('Invalid Role: no Name is set');
  if (!/^[A-Za-z0-9\-_]{1,256}$/.test(name)) throw rpcError("Invalid Role: invalid Name. Only alphanumeric characters, '-' and '_' are allowed");
  if ([...store.roles.values()].some((r) => r.Name === name && r.ID !== id)) throw rpcError(`Invalid Role: A Role with Name "${name}" already exists`);
  const policies = resolveLinks(input.Policies ?? [], 'policy', (n) => [...store.policies.values()].find((p) => p.Name === n)?.ID, (pid) => store.policies.has(pid));
  const services = validateServiceIdentities(input.ServiceIdentities ?? [], false);
  const nodes = validateNodeIdentities(input.NodeIdentities ?? []);
  const templated = validateTemplatedPolicies(input.TemplatedPolicies ?? [], core.profile.features.templatedPolicyNames, 'role', false);
  const index = store.commit('acl-roles');
  const role: AclRoleRecord = {
    ID: id || newUuid(),
    Name: name,
    Description: input.Description ?? '',
    Policies: policies,
    ServiceIdentities: services,
    NodeIdentities: nodes,
    ...(templated.length ? { TemplatedPolicies: templated } : {}),
    Hash: hash(
      name,
      input.Description ?? '',
      policies.map((p) => p.ID).join(','),
      services.map((s) => s.ServiceName).join(','),
      ...templated.flatMap(templatedPolicyHashParts),
    ),
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
  };
  store.roles.set(role.ID, role);
  return role;
}

/** `structs.ACLPolicy` JSON. */
export function renderPolicy(p: AclPolicyRecord, stub = false): Record<string, unknown> {
  return {
    ID: p.ID,
    Name: p.Name,
    Description: p.Description,
    ...(stub ? {} : { Rules: p.Rules }),
    ...(p.Datacenters.length ? { Datacenters: p.Datacenters } : {}),
    Hash: p.Hash,
    CreateIndex: p.CreateIndex,
    ModifyIndex: p.ModifyIndex,
  };
}

function renderRole(core: SimulatorCore, r: AclRoleRecord): Record<string, unknown> {
  const policies = policyLinks(core, r.Policies);
  const templated = core.profile.features.templatedPolicies ? (r.TemplatedPolicies ?? []) : [];
  return {
    ID: r.ID,
    Name: r.Name,
    Description: r.Description,
    ...(policies.length ? { Policies: policies } : {}),
    ...(r.ServiceIdentities.length ? { ServiceIdentities: r.ServiceIdentities } : {}),
    ...(r.NodeIdentities.length ? { NodeIdentities: r.NodeIdentities } : {}),
    ...(templated.length ? { TemplatedPolicies: renderTemplatedPolicies(templated) } : {}),
    Hash: r.Hash,
    CreateIndex: r.CreateIndex,
    ModifyIndex: r.ModifyIndex,
  };
}

function authorizeRead(ctx: RequestContext): void {
  beginServerRead(ctx);
  ctx.enforceAcl();
}

/** Routes of one ACL object family (policy or role). */
function objectRoutes(kind: 'policy' | 'role'): Route[] {
  const Kind = kind === 'policy' ? 'Policy' : 'Role';
  const table = kind === 'policy' ? 'acl-policies' : 'acl-roles';
  const map = (core: SimulatorCore) => (kind === 'policy' ? core.store.policies : core.store.roles) as Map<string, AclPolicyRecord | AclRoleRecord>;
  const render = (core: SimulatorCore, o: AclPolicyRecord | AclRoleRecord, stub = false) =>
    kind === 'policy' ? renderPolicy(o as AclPolicyRecord, stub) : renderRole(core, o as AclRoleRecord);
  const write = async (ctx: RequestContext, id: string, create: boolean) => {
    const body = await decodeBody(ctx, kind === 'policy' ? POLICY_SPEC : roleSpec(ctx.core.profile.features), Kind);
    // aclPolicyWriteInternal: a create must not name the ID; an update's body ID must match the URL.
    if (create && kind === 'policy' && body.ID) throw badRequest('Cannot specify the ID when creating a new policy');
    if (id && body.ID && body.ID !== id) throw badRequest(`${Kind} ID in URL and payload do not match`);
    authorizeAclWrite(ctx);
    const input = { ...body, ID: id || (body.ID as string | undefined) };
    const saved = kind === 'policy' ? writePolicy(ctx.core.store, input as PolicyInput) : writeRole(ctx.core, input as RoleInput);
    return jsonReply(ctx, render(ctx.core, saved));
  };
  const crud = async (ctx: RequestContext) => {
    requireAcls(ctx);
    const id = ctx.suffix;
    if (ctx.method === 'PUT') return write(ctx, id, false);
    if (id === '') throw badRequest(`Missing ${kind} ID`);
    if (ctx.method === 'DELETE') {
      authorizeAclWrite(ctx);
      if (!map(ctx.core).has(id)) throw notFound(`Cannot find ${kind} to delete`);
      if (id.startsWith(RESERVED_ID_PREFIX)) throw rpcError(`Delete operation not permitted on the builtin ${kind}`);
      map(ctx.core).delete(id);
      ctx.core.store.commit(table);
      return jsonReply(ctx, true);
    }
    authorizeRead(ctx);
    const byName = id.startsWith('name/') ? id.slice('name/'.length) : undefined;
    const found = byName === undefined ? map(ctx.core).get(id) : [...map(ctx.core).values()].find((o) => o.Name === byName);
    if (!found) throw notFound(`Requested ${kind} does not exist: ACL not found`);
    return queryReply(ctx, render(ctx.core, found), ctx.core.store.tableIndex(table));
  };
  const list = (ctx: RequestContext) => {
    requireAcls(ctx);
    authorizeRead(ctx);
    const items = [...map(ctx.core).values()].sort((a, b) => a.ID.localeCompare(b.ID)).map((o) => render(ctx.core, o, true));
    return queryReply(ctx, items, ctx.core.store.tableIndex(table));
  };
  const create = async (ctx: RequestContext) => {
    requireAcls(ctx);
    return write(ctx, '', true);
  };
  const plural = kind === 'policy' ? 'policies' : 'roles';
  return [
    { pattern: `/v1/acl/${kind}`, methods: ['PUT'], handler: create },
    { pattern: `/v1/acl/${kind}/`, methods: ['GET', 'PUT', 'DELETE'], handler: crud },
    { pattern: `/v1/acl/${plural}`, methods: ['GET'], handler: list },
  ];
}

/** Policy and role routes. */
export const aclPolicyRoutes: Route[] = [...objectRoutes('policy'), ...objectRoutes('role')];
