/**
 * `/v1/config*` endpoints (`agent/config_endpoint.go`): apply, get, list and delete config entries, with each kind's
 * read/write permission from `ENDPOINT_ACL`/`CONFIG_ENTRY_ACL` and normalization. Unknown keys are refused like
 * `validateUnusedKeys` does.
 */
import { unknownConfigKeys } from './config-entry-keys';
import { CONFIG_ENTRY_ACL } from './endpoint-acl';
import { ConsulHttpError, notFound, rpcError, badRequest } from './http-errors';
import { GoDecodeError, parseGoJson } from './go-decode';
import { field, normalizeServiceIntentions } from './intentions';
import { blockOn, beginServerRead, checkDatacenter, jsonReply, queryMetaHeaders, queryReply, requireLeader } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { ConfigEntryBody, ConfigEntryRecord, SimulatorStore } from './store';

/** Kinds with a fixed name (`proxy-defaults` is always `global`, the mesh entry `mesh`). */
const FIXED_NAMES: Readonly<Record<string, string>> = { 'proxy-defaults': 'global', mesh: 'mesh' };

/** `structs.MakeConfigEntry`'s error for an unknown kind. */
function kindError(kind: string): string {
  return `invalid config entry kind: ${kind}`;
}

/** Normalizes and validates an entry for storage (Kind/Name first, indexes filled by the caller). */
export function normalizeConfigEntry(raw: Record<string, unknown>): ConfigEntryBody {
  const kind = String(field(raw, 'Kind'));
  if (!CONFIG_ENTRY_ACL[kind]) throw rpcError(kindError(kind));
  if (kind === 'service-intentions') return normalizeServiceIntentions(raw);
  const fixedName = FIXED_NAMES[kind];
  const name = ((field(raw, 'Name') as string | undefined) ?? '') || (kind === 'mesh' ? 'mesh' : '');
  if (fixedName && name !== fixedName) throw rpcError(`invalid name ("${name}"), only "${fixedName}" is supported`);
  if (name === '') throw rpcError('Name is required');
  const rest = Object.fromEntries(Object.entries(raw).filter(([k]) => !['kind', 'name', 'createindex', 'modifyindex'].includes(k.toLowerCase())));
  if (kind === 'mesh') return { Kind: kind, Name: name, TransparentProxy: { MeshDestinationsOnly: false }, ...rest };
  return { Kind: kind, Name: name, ...rest };
}

/** Stores an entry, honouring `cas` (0 = create only); returns false when the CAS check fails. */
export function upsertConfigEntry(store: SimulatorStore, entry: ConfigEntryBody, cas?: number): boolean {
  const key = SimulatorStore.entryKey(entry.Kind, entry.Name);
  const existing = store.configEntries.get(key);
  if (cas !== undefined && (existing?.ModifyIndex ?? 0) !== cas) return false;
  const index = store.commit('config-entries');
  store.configEntries.set(key, { ...entry, CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index } as ConfigEntryRecord);
  return true;
}

/** Renders an entry as Consul's JSON: the mesh entry has no `Name` field. */
export function renderConfigEntry(entry: ConfigEntryRecord): Record<string, unknown> {
  if (entry.Kind !== 'mesh') return entry;
  const { Name: _name, CreateIndex, ModifyIndex, ...rest } = entry;
  return { ...rest, CreateIndex, ModifyIndex };
}

async function applyHandler(ctx: RequestContext) {
  checkDatacenter(ctx);
  const text = (await ctx.readBody()).toString('utf8');
  let raw: Record<string, unknown>;
  try {
    const parsed = parseGoJson(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GoDecodeError('json: cannot unmarshal into map');
    raw = parsed as Record<string, unknown>;
    const kind = field(raw, 'Kind');
    if (typeof kind !== 'string') throw new GoDecodeError('Payload does not contain a kind/Kind key at the top level');
    if (!CONFIG_ENTRY_ACL[kind]) throw new GoDecodeError(kindError(kind));
    const unknown = unknownConfigKeys(kind, raw);
    if (unknown) throw new GoDecodeError(unknown);
  } catch (err) {
    throw badRequest(`Request decoding failed: ${(err as Error).message}`);
  }
  const casText = ctx.query.get('cas');
  const cas = casText ? Number(casText) : undefined;
  if (casText && !/^\d+$/.test(casText)) throw new ConsulHttpError(500, `strconv.ParseUint: parsing "${casText}": invalid syntax`);
  requireLeader(ctx, false);
  const entry = normalizeConfigEntry(raw);
  ctx.enforceAcl({ kind: entry.Kind, name: entry.Name });
  return jsonReply(ctx, upsertConfigEntry(ctx.core.store, entry, cas));
}

async function getOrDeleteHandler(ctx: RequestContext) {
  const args = ctx.suffix.split('/');
  const [kind, ...nameParts] = args;
  const name = nameParts.join('/');
  if (ctx.method === 'DELETE') return deleteHandler(ctx, kind, name, args.length);
  const opts = beginServerRead(ctx);
  if (args.length > 2 && name === '') throw notFound('Must provide either a kind or both kind and name');
  if (!CONFIG_ENTRY_ACL[kind]) throw rpcError(kindError(kind));
  if (args.length === 1) {
    const visible = ctx.aclFilter('list');
    await blockOn(ctx.core, opts, ['config-entries']);
    const list = [...ctx.core.store.configEntries.values()]
      .filter((e) => e.Kind === kind)
      .filter((e) => visible({ kind, name: e.Name }))
      .sort((a, b) => (a.Name < b.Name ? -1 : 1))
      .map(renderConfigEntry);
    return queryReply(ctx, list, ctx.core.store.tableIndex('config-entries'));
  }
  ctx.enforceAcl({ kind, name });
  await blockOn(ctx.core, opts, ['config-entries']);
  const index = ctx.core.store.tableIndex('config-entries');
  const entry = ctx.core.store.configEntries.get(SimulatorStore.entryKey(kind, name));
  if (!entry) {
    const text = `Config entry not found for "${kind}" / "${name}"`;
    throw new ConsulHttpError(404, text, { headers: queryMetaHeaders(ctx.core, index) });
  }
  return queryReply(ctx, renderConfigEntry(entry), index);
}

function deleteHandler(ctx: RequestContext, kind: string, name: string, parts: number) {
  checkDatacenter(ctx);
  if (parts < 2) throw notFound('Must provide both a kind and name to delete');
  if (!CONFIG_ENTRY_ACL[kind]) throw badRequest(kindError(kind));
  const casText = ctx.query.get('cas');
  if (casText && !/^\d+$/.test(casText)) throw new ConsulHttpError(500, `strconv.ParseUint: parsing "${casText}": invalid syntax`);
  requireLeader(ctx, false);
  ctx.enforceAcl({ kind, name });
  const key = SimulatorStore.entryKey(kind, name);
  const existing = ctx.core.store.configEntries.get(key);
  if (casText) {
    const ok = existing !== undefined && existing.ModifyIndex === Number(casText);
    if (ok) deleteEntry(ctx.core.store, key);
    return jsonReply(ctx, ok);
  }
  if (existing) deleteEntry(ctx.core.store, key);
  return jsonReply(ctx, {});
}

/** Deletes an entry and bumps the table index. */
export function deleteEntry(store: SimulatorStore, key: string): void {
  store.configEntries.delete(key);
  store.commit('config-entries');
}

/** Config-entry routes. */
export const configEntryRoutes: Route[] = [
  { pattern: '/v1/config', methods: ['PUT'], handler: applyHandler },
  { pattern: '/v1/config/', methods: ['GET', 'DELETE'], handler: getOrDeleteHandler },
];
