/**
 * `/v1/acl/token*` endpoints (consul-api.md §2): create, read (with `<hidden>` redaction), self, update, clone,
 * delete and list, with the 401/403/404/400/500 texts Consul ≥ 1.15 returns.
 */
import { ANONYMOUS_ACCESSOR_ID, isExpired, policyLinks, roleLinks } from './acl-resolver';
import { cloneToken, createToken, TokenInput, ttlMs, updateToken } from './acl-token-writer';
import { decodeStruct, F, GoDecodeError, parseGoJson, StructSpec } from './go-decode';
import { aclDisabled, badRequest, notFound, rpcError } from './http-errors';
import { beginServerRead, checkDatacenter, jsonReply, queryReply, requireLeader } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { AclTokenRecord } from './store';
import { SimulatorCore } from './types';

const LINK = (struct: string): StructSpec => ({ struct, fields: { ID: F.str, Name: F.str } });

/** The request body struct of token create/update. */
const TOKEN_SPEC: StructSpec = {
  struct: 'structs.ACLToken',
  fields: {
    AccessorID: F.str,
    SecretID: F.str,
    Description: F.str,
    Policies: { t: 'array', go: '[]structs.ACLTokenPolicyLink', of: LINK('structs.ACLTokenPolicyLink') },
    Roles: { t: 'array', go: '[]structs.ACLTokenRoleLink', of: LINK('structs.ACLTokenRoleLink') },
    ServiceIdentities: {
      t: 'array',
      go: 'structs.ACLServiceIdentities',
      of: { struct: 'structs.ACLServiceIdentity', fields: { ServiceName: F.str, Datacenters: F.strs } },
    },
    NodeIdentities: {
      t: 'array',
      go: 'structs.ACLNodeIdentities',
      of: { struct: 'structs.ACLNodeIdentity', fields: { NodeName: F.str, Datacenter: F.str } },
    },
    Local: F.bool,
    AuthMethod: F.str,
    ExpirationTime: { t: 'time', go: 'time.Time' },
    ExpirationTTL: { t: 'duration', go: 'time.Duration' },
  },
};

/** Renders a token as `structs.ACLToken` JSON (omitempty fields omitted), optionally redacting the SecretID. */
export function renderToken(core: SimulatorCore, t: AclTokenRecord, redact: boolean): Record<string, unknown> {
  const policies = policyLinks(core, t.Policies);
  const roles = roleLinks(core, t.Roles);
  return {
    AccessorID: t.AccessorID,
    SecretID: redact ? '<hidden>' : t.SecretID,
    Description: t.Description,
    ...(policies.length ? { Policies: policies } : {}),
    ...(roles.length ? { Roles: roles } : {}),
    ...(t.ServiceIdentities.length ? { ServiceIdentities: t.ServiceIdentities } : {}),
    ...(t.NodeIdentities.length ? { NodeIdentities: t.NodeIdentities } : {}),
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

/** Decodes a JSON body into `spec` with the 400 `<What> decoding failed: <err>` texts. */
export async function decodeBody(ctx: RequestContext, spec: StructSpec, what: string, allowEmpty = false): Promise<Record<string, unknown>> {
  const text = (await ctx.readBody()).toString('utf8');
  try {
    if (allowEmpty && text.trim() === '') return {};
    const decoded = decodeStruct(parseGoJson(text), spec);
    if (spec === TOKEN_SPEC) ttlMs(decoded.ExpirationTTL as string | number | undefined);
    if (typeof decoded.ExpirationTime === 'string' && Number.isNaN(Date.parse(decoded.ExpirationTime))) {
      throw new GoDecodeError(`parsing time "\\"${decoded.ExpirationTime}\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse`);
    }
    return decoded;
  } catch (err) {
    throw badRequest(`${what} decoding failed: ${(err as Error).message}`);
  }
}

/** Server-side prologue of an ACL write: datacenter, leader, `acl:write`. */
function authorizeAclWrite(ctx: RequestContext): boolean {
  checkDatacenter(ctx);
  requireLeader(ctx, false);
  ctx.authorize().require('acl', 'write');
  return true;
}

async function createHandler(ctx: RequestContext) {
  requireAcls(ctx);
  const body = (await decodeBody(ctx, TOKEN_SPEC, 'Token')) as TokenInput;
  authorizeAclWrite(ctx);
  const token = createToken(ctx.core.store, body, ctx.core.now());
  return jsonReply(ctx, renderToken(ctx.core, token, false));
}

async function crudHandler(ctx: RequestContext) {
  requireAcls(ctx);
  let id = ctx.suffix;
  const clone = ctx.method === 'PUT' && id.endsWith('/clone');
  if (clone) id = id.slice(0, -'/clone'.length);
  if (id === '' && ctx.method !== 'PUT') throw badRequest('Missing token AccessorID');
  if (clone) return cloneHandler(ctx, id);
  if (ctx.method === 'GET') return readHandler(ctx, id);
  if (ctx.method === 'DELETE') return deleteHandler(ctx, id);
  const body = (await decodeBody(ctx, TOKEN_SPEC, 'Token')) as TokenInput;
  if (body.AccessorID && body.AccessorID !== id) throw badRequest('Token Accessor ID in URL and payload do not match');
  authorizeAclWrite(ctx);
  const token = updateToken(ctx.core.store, { ...body, AccessorID: id }, ctx.core.now());
  return jsonReply(ctx, renderToken(ctx.core, token, false));
}

function readHandler(ctx: RequestContext, id: string) {
  beginServerRead(ctx);
  const authz = ctx.authorize();
  authz.require('acl', 'read');
  const token = ctx.core.store.tokens.get(id);
  if (!token || isExpired(token, ctx.core.now())) throw notFound('Requested token does not exist: ACL not found');
  const redact = !authz.allowed('acl', 'write');
  return queryReply(ctx, renderToken(ctx.core, token, redact), ctx.core.store.tableIndex('acl-tokens'));
}

async function cloneHandler(ctx: RequestContext, id: string) {
  const body = (await decodeBody(ctx, TOKEN_SPEC, 'Token', true)) as TokenInput;
  authorizeAclWrite(ctx);
  const token = cloneToken(ctx.core.store, id, body.Description, ctx.core.now());
  return jsonReply(ctx, renderToken(ctx.core, token, false));
}

function deleteHandler(ctx: RequestContext, id: string) {
  authorizeAclWrite(ctx);
  const token = ctx.core.store.tokens.get(id);
  if (!token) throw notFound('Cannot find token to delete');
  if (id === ANONYMOUS_ACCESSOR_ID) throw rpcError('Delete operation not permitted on the anonymous token');
  if (ctx.token()?.AccessorID === id) throw rpcError("Deletion of the request's authorization token is not permitted");
  ctx.core.store.tokens.delete(id);
  ctx.core.store.commit('acl-tokens');
  return jsonReply(ctx, true);
}

function selfHandler(ctx: RequestContext) {
  requireAcls(ctx);
  beginServerRead(ctx);
  const wanted = ctx.secret === '' ? 'anonymous' : ctx.secret;
  const token = [...ctx.core.store.tokens.values()].find((t) => t.SecretID === wanted);
  if (!token || isExpired(token, ctx.core.now())) throw notFound('Supplied token does not exist');
  return queryReply(ctx, renderToken(ctx.core, token, false), ctx.core.store.tableIndex('acl-tokens'));
}

function listHandler(ctx: RequestContext) {
  requireAcls(ctx);
  beginServerRead(ctx);
  const authz = ctx.authorize();
  authz.require('acl', 'read');
  const redact = !authz.allowed('acl', 'write');
  const q = ctx.query;
  const now = ctx.core.now();
  const stubs = [...ctx.core.store.tokens.values()]
    .filter((t) => !isExpired(t, now))
    .filter((t) => !q.get('policy') || t.Policies.some((p) => p.ID === q.get('policy')))
    .filter((t) => !q.get('role') || t.Roles.some((r) => r.ID === q.get('role')))
    .filter((t) => !q.get('authmethod') || t.AuthMethod === q.get('authmethod'))
    .filter((t) => !q.get('servicename') || t.ServiceIdentities.some((s) => s.ServiceName === q.get('servicename')))
    .sort((a, b) => a.AccessorID.localeCompare(b.AccessorID))
    .map((t) => renderToken(ctx.core, t, redact));
  return queryReply(ctx, stubs, ctx.core.store.tableIndex('acl-tokens'));
}

const aclRead = () => ({ resource: 'acl', level: 'read' }) as const;
const aclWrite = () => ({ resource: 'acl', level: 'write' }) as const;

/** The token routes, with the methods Consul registers for each pattern. */
export const aclTokenRoutes: Route[] = [
  { pattern: '/v1/acl/token', methods: ['PUT'], handler: createHandler, permission: aclWrite },
  { pattern: '/v1/acl/token/self', methods: ['GET'], handler: selfHandler },
  {
    pattern: '/v1/acl/token/',
    methods: ['GET', 'PUT', 'DELETE'],
    handler: crudHandler,
    permission: (ctx) => (ctx.method === 'GET' ? aclRead() : aclWrite()),
  },
  { pattern: '/v1/acl/tokens', methods: ['GET'], handler: listHandler, permission: aclRead },
];
