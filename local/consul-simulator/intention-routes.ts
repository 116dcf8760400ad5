/**
 * `/v1/connect/intentions*` endpoints over the `service-intentions` config entries: the legacy flattened list,
 * `check` (service:read on the destination; L7 counts as deny; default from the ACL default policy, ignoring
 * `default_intention_policy` as servers did before PR #23868) and `exact` get/put/delete.
 */
import { upsertConfigEntry, deleteEntry } from './config-entries';
import { decodeStruct, F, GoDecodeError, parseGoJson } from './go-decode';
import { badRequest, ConsulHttpError, rpcError } from './http-errors';
import { checkIntention, flattenIntentions, normalizeServiceIntentions, SourceIntention, toLegacyIntention } from './intentions';
import { beginServerRead, blockOn, checkDatacenter, jsonReply, queryReply, requireLeader } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { ConfigEntryRecord, SimulatorStore } from './store';

function intentionEntries(ctx: RequestContext): ConfigEntryRecord[] {
  return [...ctx.core.store.configEntries.values()].filter((e) => e.Kind === 'service-intentions');
}

async function listHandler(ctx: RequestContext) {
  const opts = beginServerRead(ctx);
  const authz = ctx.authorize();
  await blockOn(ctx.core, opts, ['config-entries']);
  const visible = intentionEntries(ctx).filter((e) => authz.allowed('intention', 'read', e.Name));
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
  const authz = ctx.authorize();
  authz.require('service', 'read', destination);
  return jsonReply(ctx, { Allowed: checkIntention(intentionEntries(ctx), source, destination, authz.intentionDefaultAllow()) });
}

async function exactHandler(ctx: RequestContext) {
  const source = requiredParam(ctx, 'source');
  const destination = requiredParam(ctx, 'destination');
  const key = SimulatorStore.entryKey('service-intentions', destination);
  const entry = ctx.core.store.configEntries.get(key);
  if (ctx.method === 'GET') {
    beginServerRead(ctx);
    ctx.authorize().require('intention', 'read', destination);
    const src = (entry?.Sources as SourceIntention[] | undefined)?.find((s) => s.Name === source);
    if (!entry || !src) throw new ConsulHttpError(404, 'Intention not found', { rpc: true });
    return queryReply(ctx, toLegacyIntention(entry, src), ctx.core.store.tableIndex('config-entries'));
  }
  checkDatacenter(ctx);
  let body: Record<string, unknown> = {};
  if (ctx.method === 'PUT') {
    try {
      body = decodeStruct(parseGoJson((await ctx.readBody()).toString('utf8')), {
        struct: 'structs.Intention',
        fields: { Description: F.str, SourceType: F.str, Action: F.str, Permissions: { t: 'array', go: '[]*structs.IntentionPermission', of: F.any }, Meta: F.map() },
      });
    } catch (err) {
      throw badRequest(`Request decode failed: ${(err as GoDecodeError).message}`);
    }
  }
  requireLeader(ctx, false);
  ctx.authorize().require('intention', 'write', destination);
  const others = ((entry?.Sources as SourceIntention[] | undefined) ?? []).filter((s) => s.Name !== source);
  if (ctx.method === 'DELETE') {
    if (!entry || others.length === (entry.Sources as SourceIntention[]).length) throw rpcError('Intention not found');
    if (others.length === 0) deleteEntry(ctx.core.store, key);
    else upsertConfigEntry(ctx.core.store, normalizeServiceIntentions({ ...entry, Sources: others }));
    return jsonReply(ctx, true);
  }
  if (body.Meta) throw rpcError('Meta must not be specified');
  const { Meta: _meta, SourceType, ...rest } = body;
  const added = { ...rest, Name: source, Type: SourceType ?? 'consul' };
  upsertConfigEntry(ctx.core.store, normalizeServiceIntentions({ ...(entry ?? { Kind: 'service-intentions', Name: destination }), Sources: [...others, added] }));
  return jsonReply(ctx, true);
}

/** Intention routes. */
export const intentionRoutes: Route[] = [
  { pattern: '/v1/connect/intentions', methods: ['GET'], handler: listHandler },
  {
    pattern: '/v1/connect/intentions/check',
    methods: ['GET'],
    handler: checkHandler,
    permission: (ctx) => ({ resource: 'service', level: 'read', name: ctx.query.get('destination') ?? '' }),
  },
  {
    pattern: '/v1/connect/intentions/exact',
    methods: ['GET', 'PUT', 'DELETE'],
    handler: exactHandler,
    permission: (ctx) => ({ resource: 'intention', level: ctx.method === 'GET' ? 'read' : 'write', name: ctx.query.get('destination') ?? '' }),
  },
];
