/**
 * `/v1/config*` endpoints (`agent/config_endpoint.go`): apply, get, list and delete config entries, with each kind's
 * read/write permission (`CanRead`/`CanWrite`) and normalization.
 */
import { ConsulHttpError, notFound, rpcError, badRequest, AclResource, AccessLevel } from './http-errors';
import { GoDecodeError, parseGoJson } from './go-decode';
import { field, normalizeServiceIntentions } from './intentions';
import { blockOn, beginServerRead, checkDatacenter, jsonReply, queryMetaHeaders, queryReply, requireLeader } from './query';
import { RequestContext } from './request-context';
import { PermissionDescriptor, Route } from './router';
import { ConfigEntryBody, ConfigEntryRecord, SimulatorStore } from './store';

type Perm = (name: string) => PermissionDescriptor | undefined;
const svc = (level: AccessLevel): Perm => (name) => ({ resource: 'service', level, name });
const res = (resource: AclResource, level: AccessLevel): Perm => () => ({ resource, level });
const none: Perm = () => undefined;

/** Per kind: read/write permission and a fixed name where Consul enforces one. */
const KINDS: Record<string, { read: Perm; write: Perm; fixedName?: string }> = {
  'service-intentions': { read: (name) => ({ resource: 'intention', level: 'read', name }), write: (name) => ({ resource: 'intention', level: 'write', name }) },
  'service-defaults': { read: svc('read'), write: svc('write') },
  'service-router': { read: svc('read'), write: svc('write') },
  'service-splitter': { read: svc('read'), write: svc('write') },
  'service-resolver': { read: svc('read'), write: svc('write') },
  'proxy-defaults': { read: none, write: res('mesh', 'write'), fixedName: 'global' },
  mesh: { read: none, write: res('mesh', 'write'), fixedName: 'mesh' },
  'ingress-gateway': { read: svc('read'), write: res('operator', 'write') },
  'terminating-gateway': { read: svc('read'), write: res('operator', 'write') },
};

/** `structs.MakeConfigEntry`'s error for an unknown kind. */
function kindError(kind: string): string {
  return `invalid config entry kind: ${kind}`;
}

/** Normalizes and validates an entry for storage (Kind/Name first, indexes filled by the caller). */
export function normalizeConfigEntry(raw: Record<string, unknown>): ConfigEntryBody {
  const kind = String(field(raw, 'Kind'));
  if (!KINDS[kind]) throw rpcError(kindError(kind));
  if (kind === 'service-intentions') return normalizeServiceIntentions(raw);
  const spec = KINDS[kind];
  const name = ((field(raw, 'Name') as string | undefined) ?? '') || (kind === 'mesh' ? 'mesh' : '');
  if (spec.fixedName && name !== spec.fixedName) throw rpcError(`invalid name ("${name}"), only "${spec.fixedName}" is supported`);
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
    if (!KINDS[kind]) throw new GoDecodeError(kindError(kind));
  } catch (err) {
    throw badRequest(`Request decoding failed: ${(err as Error).message}`);
  }
  const casText = ctx.query.get('cas');
  const cas = casText ? Number(casText) : undefined;
  if (casText && !/^\d+$/.test(casText)) throw new ConsulHttpError(500, `strconv.ParseUint: parsing "${casText}": invalid syntax`);
  requireLeader(ctx, false);
  const entry = normalizeConfigEntry(raw);
  const perm = KINDS[String(entry.Kind)].write(String(entry.Name));
  if (perm) ctx.authorize().require(perm.resource, perm.level, perm.name);
  else ctx.authorize();
  return jsonReply(ctx, upsertConfigEntry(ctx.core.store, entry, cas));
}

async function getOrDeleteHandler(ctx: RequestContext) {
  const args = ctx.suffix.split('/');
  const [kind, ...nameParts] = args;
  const name = nameParts.join('/');
  if (ctx.method === 'DELETE') return deleteHandler(ctx, kind, name, args.length);
  const opts = beginServerRead(ctx);
  if (args.length > 2 && name === '') throw notFound('Must provide either a kind or both kind and name');
  const spec = KINDS[kind];
  if (!spec) throw rpcError(kindError(kind));
  const authz = ctx.authorize();
  await blockOn(ctx.core, opts, ['config-entries']);
  const index = ctx.core.store.tableIndex('config-entries');
  if (args.length === 1) {
    const list = [...ctx.core.store.configEntries.values()]
      .filter((e) => e.Kind === kind)
      .filter((e) => {
        const p = spec.read(e.Name);
        return !p || authz.allowed(p.resource, p.level, p.name);
      })
      .sort((a, b) => (a.Name < b.Name ? -1 : 1))
      .map(renderConfigEntry);
    return queryReply(ctx, list, index);
  }
  const perm = spec.read(name);
  if (perm) authz.require(perm.resource, perm.level, perm.name);
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
  if (!KINDS[kind]) throw badRequest(kindError(kind));
  const casText = ctx.query.get('cas');
  if (casText && !/^\d+$/.test(casText)) throw new ConsulHttpError(500, `strconv.ParseUint: parsing "${casText}": invalid syntax`);
  requireLeader(ctx, false);
  const perm = KINDS[kind].write(name);
  if (perm) ctx.authorize().require(perm.resource, perm.level, perm.name);
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

/** The permission a config request checks (for the `forbidden` fault). */
function configPermission(ctx: RequestContext): PermissionDescriptor | undefined {
  const [kind, ...rest] = ctx.suffix.split('/');
  const spec = KINDS[kind];
  if (!spec) return undefined;
  return ctx.method === 'GET' ? spec.read(rest.join('/')) : spec.write(rest.join('/'));
}

/** Config-entry routes. */
export const configEntryRoutes: Route[] = [
  { pattern: '/v1/config', methods: ['PUT'], handler: applyHandler },
  { pattern: '/v1/config/', methods: ['GET', 'DELETE'], handler: getOrDeleteHandler, permission: configPermission },
];
