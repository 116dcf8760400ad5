/**
 * `/v1/connect/intentions*` endpoints over the `service-intentions` config entries: the legacy flattened list,
 * `check` (service:read on the destination; L7 counts as deny; default from the ACL default policy, ignoring
 * `default_intention_policy` as servers did before PR #23868) and `exact` get/put/delete.
 */
import { upsertConfigEntry, deleteEntry } from './config-entries';
import { decodeStruct, F, GoDecodeError, parseGoJson, StructSpec } from './go-decode';
import { badRequest, ConsulHttpError, rpcError } from './http-errors';
import { checkIntention, flattenIntentions, normalizeServiceIntentions, SourceIntention, toLegacyIntention } from './intentions';
import { beginServerRead, blockOn, checkDatacenter, jsonReply, queryReply, requireLeader } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { ConfigEntryRecord, SimulatorStore } from './store';

const HEADER_SPEC: StructSpec = {
  struct: 'structs.IntentionHTTPHeaderPermission',
  fields: { Name: F.str, Present: F.bool, Exact: F.str, Prefix: F.str, Suffix: F.str, Regex: F.str, Invert: F.bool },
};

/** `structs.IntentionPermission` (decoded strictly, down to the header matchers). */
const PERMISSION_SPEC: StructSpec = {
  struct: 'structs.IntentionPermission',
  fields: {
    Action: F.str,
    HTTP: {
      struct: 'structs.IntentionHTTPPermission',
      fields: { PathExact: F.str, PathPrefix: F.str, PathRegex: F.str, Header: F.list('[]structs.IntentionHTTPHeaderPermission', HEADER_SPEC), Methods: F.strs },
    },
    JWT: F.any,
  },
};

/** `structs.Intention`, the body of `PUT /v1/connect/intentions/exact` (`decodeBody` → `lib.DecodeJSON`). */
const INTENTION_SPEC: StructSpec = {
  struct: 'structs.Intention',
  fields: {
    ID: F.str,
    Description: F.str,
    SourcePeer: F.str,
    SourceSamenessGroup: F.str,
    SourceNS: F.str,
    SourceName: F.str,
    DestinationNS: F.str,
    DestinationName: F.str,
    SourcePartition: F.str,
    DestinationPartition: F.str,
    SourceType: F.str,
    Action: F.str,
    Permissions: F.list('[]*structs.IntentionPermission', PERMISSION_SPEC),
    JWT: F.any,
    Precedence: F.num('int'),
    Meta: F.map(),
    CreatedAt: F.time,
    UpdatedAt: F.time,
    Hash: F.str,
    CreateIndex: F.num(),
    ModifyIndex: F.num(),
  },
};

function intentionEntries(ctx: RequestContext): ConfigEntryRecord[] {
  return [...ctx.core.store.configEntries.values()].filter((e) => e.Kind === 'service-intentions');
}

async function listHandler(ctx: RequestContext) {
  const opts = beginServerRead(ctx);
  const allow = ctx.aclFilter();
  await blockOn(ctx.core, opts, ['config-entries']);
  const visible = intentionEntries(ctx).filter((e) => allow({ name: e.Name }));
  return queryReply(ctx, flattenIntentions(visible), ctx.core.store.tableIndex('config-entries'));
}

/** A required `?source`/`?destination` (a plain error: 500, as in `IntentionCheck`). */
function requiredParam(ctx: RequestContext, name: string): string {
  const values = ctx.query.getAll(name);
  if (values.length !== 1 || values[0] === '') throw new ConsulHttpError(500, `required query parameter '${name}' not set`);
  return values[0];
}

function checkHandler(ctx: RequestContext) {
  const opts = beginServerRead(ctx);
  void opts;
  const source = requiredParam(ctx, 'source');
  const destination = requiredParam(ctx, 'destination');
  ctx.enforceAcl();
  const defaultAllow = ctx.authorize().intentionDefaultAllow();
  return jsonReply(ctx, { Allowed: checkIntention(intentionEntries(ctx), source, destination, defaultAllow) });
}

async function exactHandler(ctx: RequestContext) {
  const source = requiredParam(ctx, 'source');
  const destination = requiredParam(ctx, 'destination');
  const key = SimulatorStore.entryKey('service-intentions', destination);
  const entry = ctx.core.store.configEntries.get(key);
  if (ctx.method === 'GET') {
    beginServerRead(ctx);
    ctx.enforceAcl();
    const src = (entry?.Sources as SourceIntention[] | undefined)?.find((s) => s.Name === source);
    if (!entry || !src) throw new ConsulHttpError(404, 'Intention not found', { rpc: true });
    return queryReply(ctx, toLegacyIntention(entry, src), ctx.core.store.tableIndex('config-entries'));
  }
  checkDatacenter(ctx);
  let body: Record<string, unknown> = {};
  if (ctx.method === 'PUT') {
    try {
      body = decodeStruct(parseGoJson((await ctx.readBody()).toString('utf8')), INTENTION_SPEC);
    } catch (err) {
      throw badRequest(`Request decode failed: ${(err as GoDecodeError).message}`);
    }
  }
  requireLeader(ctx, false);
  ctx.enforceAcl();
  const others = ((entry?.Sources as SourceIntention[] | undefined) ?? []).filter((s) => s.Name !== source);
  if (ctx.method === 'DELETE') {
    if (!entry || others.length === (entry.Sources as SourceIntention[]).length) throw rpcError('Intention not found');
    if (others.length === 0) deleteEntry(ctx.core.store, key);
    else upsertConfigEntry(ctx.core.store, normalizeServiceIntentions({ ...entry, Sources: others }));
    return jsonReply(ctx, true);
  }
  if (body.Meta) throw rpcError('Meta must not be specified');
  const { Description, Action, Permissions, SourceType } = body;
  const added = { Description, Action, Permissions, Name: source, Type: SourceType ?? 'consul' };
  upsertConfigEntry(ctx.core.store, normalizeServiceIntentions({ ...(entry ?? { Kind: 'service-intentions', Name: destination }), Sources: [...others, added] }));
  return jsonReply(ctx, true);
}

/** Intention routes. */
export const intentionRoutes: Route[] = [
  { pattern: '/v1/connect/intentions', methods: ['GET'], handler: listHandler },
  { pattern: '/v1/connect/intentions/check', methods: ['GET'], handler: checkHandler },
  { pattern: '/v1/connect/intentions/exact', methods: ['GET', 'PUT', 'DELETE'], handler: exactHandler },
];
