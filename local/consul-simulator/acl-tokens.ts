/**
 * `/v1/acl/token*` endpoints (consul-api.md §2): create, read (with `<hidden>` redaction), self, update, clone,
 * delete and list, with the 401/403/404/400/500 texts Consul ≥ 1.15 returns. Bodies are decoded strictly
 * (`lib.DecodeJSON`), against the fields of the simulated version.
 */
import { ANONYMOUS_ACCESSOR_ID, isExpired, policyLinks, roleLinks } from './acl-resolver';
import { rewordEnterpriseField, tokenSpec } from './acl-specs';
import { renderTemplatedPolicies } from './acl-templated-policies';
import { cloneToken, createToken, ownerToken, TokenInput, ttlMs, updateToken } from './acl-token-writer';
import { decodeStruct, parseGoJson, StructSpec } from './go-decode';
import { aclDisabled, badRequest, notFound, rpcError } from './http-errors';
import { beginServerRead, checkDatacenter, jsonReply, queryReply, requireLeader } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { AclTokenRecord } from './store';
import { SimulatorCore } from './types';

/** Renders a token as `structs.ACLToken` JSON (omitempty fields omitted), optionally redacting the SecretID. */
export function renderToken(core: SimulatorCore, t: AclTokenRecord, redact: boolean): Record<string, unknown> {
  const policies = policyLinks(core, t.Policies);
  const roles = roleLinks(core, t.Roles);
  const templated = core.profile.features.templatedPolicies ? (t.TemplatedPolicies ?? []) : [];
  return {
    AccessorID: t.AccessorID,
    SecretID: redact ? '<hidden>' : t.SecretID,
    Description: t.Description,
    ...(policies.length ? { Policies: policies } : {}),
    ...(roles.length ? { Roles: roles } : {}),
    ...(t.ServiceIdentities.length ? { ServiceIdentities: t.ServiceIdentities } : {}),
    ...(t.NodeIdentities.length ? { NodeIdentities: t.NodeIdentities } : {}),
    ...(templated.length ? { TemplatedPolicies: renderTemplatedPolicies(templated) } : {}),
    Local: t.Local,
    ...(t.AuthMethod ? { AuthMethod: t.AuthMethod } : {}),
    ...(t.ExpirationTime ? { ExpirationTime: t.ExpirationTime } : {}),
    CreateTime: t.CreateTime,
    Hash: t.Hash,
    CreateIndex: t.CreateIndex,
    ModifyIndex: t.ModifyIndex,
  };
}

/** Prologue of every ACL endpoint: 401 when ACLs are disabled. */
export function requireAcls(ctx: RequestContext): void {
  if (!ctx.core.options.aclsEnabled) throw aclDisabled();
}

/**
 * Decodes a JSON body into `spec` like `lib.DecodeJSON` (unknown fields refused) with the 400 `<What> decoding
 * failed: <err>` texts; an unknown `"Namespace"` gets CE's Enterprise hint.
 */
export async function decodeBody(ctx: RequestContext, spec: StructSpec, what: string): Promise<Record<string, unknown>> {
  const text = (await ctx.readBody()).toString('utf8');
  try {
    const decoded = decodeStruct(parseGoJson(text), spec);
    if (spec.struct === 'structs.ACLToken') ttlMs(decoded.ExpirationTTL as string | number | undefined);
    return decoded;
  } catch (err) {
    throw badRequest(`${what} decoding failed: ${rewordEnterpriseField((err as Error).message)}`);
  }
}

/** Server-side prologue of an ACL write: datacenter, leader, then the endpoint's ACL row (`acl:write`). */
export function authorizeAclWrite(ctx: RequestContext): void {
  checkDatacenter(ctx);
  requireLeader(ctx, false);
  ctx.enforceAcl();
}

async function createHandler(ctx: RequestContext) {
  requireAcls(ctx);
  const body = (await decodeBody(ctx, tokenSpec(ctx.core.profile.features), 'Token')) as TokenInput;
  authorizeAclWrite(ctx);
  const token = createToken(ctx.core, body);
  return jsonReply(ctx, renderToken(ctx.core, token, false));
}

async function crudHandler(ctx: RequestContext) {
  requireAcls(ctx);
  let id = ctx.suffix;
  const clone = ctx.method === 'PUT' && id.endsWith('/clone');
  if (clone) id = id.slice(0, -'/clone'.length);
  if (id === '' && ctx.method !== 'PUT') throw badRequest('Missing token AccessorID');
  if (ctx.method === 'GET') return readHandler(ctx, id);
  if (ctx.method === 'DELETE') return deleteHandler(ctx, id);
  const body = (await decodeBody(ctx, tokenSpec(ctx.core.profile.features), 'Token')) as TokenInput;
  if (clone) {
    authorizeAclWrite(ctx);
    return jsonReply(ctx, renderToken(ctx.core, cloneToken(ctx.core, id, body.Description), false));
  }
  if (body.AccessorID && body.AccessorID !== id) throw badRequest('Token Accessor ID in URL and payload do not match');
  authorizeAclWrite(ctx);
  const token = updateToken(ctx.core, { ...body, AccessorID: id });
  return jsonReply(ctx, renderToken(ctx.core, token, false));
}

function readHandler(ctx: RequestContext, id: string) {
  beginServerRead(ctx);
  ctx.enforceAcl();
  const token = ctx.core.store.tokens.get(id);
  if (!token || isExpired(token, ctx.core.now())) throw notFound('Requested token does not exist: ACL not found');
  const redact = !ctx.authorize().allowed('acl', 'write');
  return queryReply(ctx, renderToken(ctx.core, token, redact), ctx.core.store.tableIndex('acl-tokens'));
}

function deleteHandler(ctx: RequestContext, id: string) {
  authorizeAclWrite(ctx);
  const core = ctx.core;
  const token = ownerToken(core, id);
  if (!token) throw notFound('Cannot find token to delete');
  if (id === ANONYMOUS_ACCESSOR_ID) throw rpcError('Delete operation not permitted on the anonymous token');
  if (ctx.token()?.AccessorID === id) throw rpcError("Deletion of the request's authorization token is not permitted");
  if (core.replication.forwards(token)) {
    core.store.commit('acl-tokens');
    core.replication.enqueue(id, undefined, core.now());
  } else {
    core.store.tokens.delete(id);
    core.store.commit('acl-tokens');
  }
  return jsonReply(ctx, true);
}

function selfHandler(ctx: RequestContext) {
  requireAcls(ctx);
  beginServerRead(ctx);
  ctx.enforceAcl();
  const wanted = ctx.secret === '' ? 'anonymous' : ctx.secret;
  const token = [...ctx.core.store.tokens.values()].find((t) => t.SecretID === wanted);
  if (!token || isExpired(token, ctx.core.now())) throw notFound('Supplied token does not exist');
  return queryReply(ctx, renderToken(ctx.core, token, false), ctx.core.store.tableIndex('acl-tokens'));
}

/** `?servicename=`: service identities, and from 1.17.1 `builtin/service` templated policies (GH-19666). */
function servesService(core: SimulatorCore, t: AclTokenRecord, service: string): boolean {
  if (t.ServiceIdentities.some((s) => s.ServiceName === service)) return true;
  if (!core.profile.features.tokenListServiceNameMatchesTemplates) return false;
  return (t.TemplatedPolicies ?? []).some((tp) => tp.TemplateName === 'builtin/service' && tp.TemplateVariables?.Name === service);
}

function listHandler(ctx: RequestContext) {
  requireAcls(ctx);
  beginServerRead(ctx);
  ctx.enforceAcl();
  const redact = !ctx.authorize().allowed('acl', 'write');
  const q = ctx.query;
  const now = ctx.core.now();
  const service = q.get('servicename');
  const stubs = [...ctx.core.store.tokens.values()]
    .filter((t) => !isExpired(t, now))
    .filter((t) => !q.get('policy') || t.Policies.some((p) => p.ID === q.get('policy')))
    .filter((t) => !q.get('role') || t.Roles.some((r) => r.ID === q.get('role')))
    .filter((t) => !q.get('authmethod') || t.AuthMethod === q.get('authmethod'))
    .filter((t) => !service || servesService(ctx.core, t, service))
    .sort((a, b) => a.AccessorID.localeCompare(b.AccessorID))
    .map((t) => renderToken(ctx.core, t, redact));
  return queryReply(ctx, stubs, ctx.core.store.tableIndex('acl-tokens'));
}

/** The token routes, with the methods Consul registers for each pattern. */
export const aclTokenRoutes: Route[] = [
  { pattern: '/v1/acl/token', methods: ['PUT'], handler: createHandler },
  { pattern: '/v1/acl/token/self', methods: ['GET'], handler: selfHandler },
  { pattern: '/v1/acl/token/', methods: ['GET', 'PUT', 'DELETE'], handler: crudHandler },
  { pattern: '/v1/acl/tokens', methods: ['GET'], handler: listHandler },
];
