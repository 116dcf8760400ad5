/**
 * `/v1/kv/<key>` (`agent/kvs_endpoint.go`, server side `agent/consul/kvs_endpoint.go`): GET (single, `?recurse`,
 * `?keys` with `?separator`, `?raw`, blocking), PUT (`?flags`, `?cas`) and DELETE (`?recurse`, `?cas`), with the
 * `key:read`/`key:write` checks of their `ENDPOINT_ACL` rows, the 404-with-index for missing keys and Consul's
 * 400/413/500 texts.
 */
import { KvBatch, kvList, kvListIndex, kvMaxIndex, renderDirEntry } from './kv-store';
import { badRequest, ConsulHttpError } from './http-errors';
import { beginServerRead, blockOn, checkDatacenter, jsonReply, parseQueryOptions, queryMetaHeaders, queryReply, requireLeader, resultsFilteredHeader } from './query';
import { Reply } from './reply';
import { RequestContext } from './request-context';
import { Route } from './router';

/** `kv_max_value_size` default (`raft.SuggestedMaxDataSize`, 512 KiB); also the txn request limit. */
export const KV_MAX_VALUE_SIZE = 512 * 1024;

/** `strconv.ParseUint(v, 10, 64)` as Consul's handlers call it; its error is a plain (500) error. */
export function parseUint64(text: string, ctx = 'ParseUint'): bigint {
  if (!/^\d+$/.test(text)) throw new ConsulHttpError(500, `strconv.${ctx}: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = BigInt(text);
  if (n >= 1n << 64n) throw new ConsulHttpError(500, `strconv.${ctx}: parsing ${JSON.stringify(text)}: value out of range`);
  return n;
}

const toUint = (n: bigint): number | bigint => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);

/** `conflictingFlags`: 400 `Conflicting flags: <query>\n` when more than one of `flags` is present. */
function conflictingFlags(ctx: RequestContext, ...flags: string[]): void {
  if (flags.filter((f) => ctx.has(f)).length < 2) return;
  const sorted = new URLSearchParams([...ctx.query.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  throw badRequest(`Conflicting flags: ${sorted.toString()}\n`);
}

function notFoundWithIndex(ctx: RequestContext, index: number): Reply {
  return { status: 404, headers: queryMetaHeaders(ctx.core, index) };
}

async function getHandler(ctx: RequestContext, key: string): Promise<Reply> {
  const opts = beginServerRead(ctx);
  const store = ctx.core.store;
  if (ctx.has('keys')) {
    const separator = ctx.query.get('separator') ?? ctx.query.get('seperator') ?? '';
    const visible = ctx.aclFilter('keys');
    await blockOn(ctx.core, opts, ['kvs', 'tombstones']);
    const all = kvList(store, key);
    const readable = all.filter((e) => visible({ name: e.Key }));
    const keys = new Set<string>();
    for (const e of readable) {
      const cut = separator ? e.Key.indexOf(separator, key.length) : -1;
      keys.add(cut < 0 ? e.Key : e.Key.slice(0, cut + separator.length));
    }
    const index = Math.max(1, kvListIndex(store, key, all));
    if (keys.size === 0 && key !== '') return notFoundWithIndex(ctx, index);
    return queryReply(ctx, [...keys], index, resultsFilteredHeader(ctx, readable.length < all.length));
  }
  if (ctx.has('recurse')) {
    const visible = ctx.aclFilter('list');
    await blockOn(ctx.core, opts, ['kvs', 'tombstones']);
    const all = kvList(store, key);
    const readable = all.filter((e) => visible({ name: e.Key }));
    const index = Math.max(1, kvListIndex(store, key, all));
    if (readable.length === 0) return notFoundWithIndex(ctx, index);
    return queryReply(ctx, readable.map((e) => renderDirEntry(e)), index, resultsFilteredHeader(ctx, readable.length < all.length));
  }
  if (key === '') throw badRequest('Missing key name');
  ctx.authorize(); // the token resolves before the blocking query (403 `ACL not found` at once)
  await blockOn(ctx.core, opts, ['kvs', 'tombstones']);
  // KVS.Get checks key:read after the lookup: a denied token learns nothing, not even whether the key exists.
  ctx.enforceAcl();
  const entry = store.kv.get(key);
  if (!entry) return notFoundWithIndex(ctx, Math.max(1, kvMaxIndex(store)));
  if (ctx.has('raw')) {
    const body = entry.Value ?? Buffer.alloc(0);
    return {
      status: 200,
      headers: { ...queryMetaHeaders(ctx.core, entry.ModifyIndex), 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': 'sandbox' },
      body,
    };
  }
  return queryReply(ctx, [renderDirEntry(entry)], entry.ModifyIndex);
}

async function putHandler(ctx: RequestContext, key: string): Promise<Reply> {
  parseQueryOptions(ctx);
  if (key === '') throw badRequest('Missing key name');
  conflictingFlags(ctx, 'cas', 'acquire', 'release');
  const flags = ctx.has('flags') ? toUint(parseUint64(ctx.query.get('flags') ?? '')) : 0;
  const cas = ctx.has('cas') ? parseUint64(ctx.query.get('cas') ?? '') : undefined;
  if (ctx.has('acquire') || ctx.has('release')) throw new ConsulHttpError(500, 'the Consul simulator does not model KV locks (?acquire/?release)');
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (length > KV_MAX_VALUE_SIZE) {
    throw new ConsulHttpError(
      413,
      `Request body(${length} bytes) too large, max size: ${KV_MAX_VALUE_SIZE} bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.`,
    );
  }
  const body = await ctx.readBody();
  checkDatacenter(ctx);
  requireLeader(ctx, false);
  ctx.enforceAcl();
  const batch = new KvBatch(ctx.core.store, ctx.core.store.allocate());
  // An empty body reaches the state store as a nil value (GET shows `"Value": null`).
  const write = { Key: key, Value: body.length ? body : null, Flags: flags };
  let ok = true;
  if (cas === undefined) batch.set(write);
  else ok = batch.cas(write, Number(cas)) !== undefined;
  batch.commit();
  return jsonReply(ctx, ok);
}

function deleteHandler(ctx: RequestContext, key: string): Reply {
  parseQueryOptions(ctx);
  conflictingFlags(ctx, 'recurse', 'cas');
  const recurse = ctx.has('recurse');
  if (!recurse && key === '') throw badRequest('Missing key name');
  const cas = ctx.has('cas') ? Number(parseUint64(ctx.query.get('cas') ?? '')) : undefined;
  checkDatacenter(ctx);
  requireLeader(ctx, false);
  // A recursive delete needs write on the whole prefix (KeyWritePrefix), a single one on the key.
  ctx.enforceAcl({}, recurse ? 'tree' : undefined);
  const batch = new KvBatch(ctx.core.store, ctx.core.store.allocate());
  let ok = true;
  if (recurse) batch.deleteTree(key);
  else if (cas !== undefined) ok = batch.deleteCas(key, cas);
  else batch.delete(key);
  batch.commit();
  return jsonReply(ctx, ok);
}

async function kvHandler(ctx: RequestContext): Promise<Reply> {
  const key = ctx.suffix;
  if (ctx.method === 'GET') return getHandler(ctx, key);
  if (ctx.method === 'PUT') return putHandler(ctx, key);
  return deleteHandler(ctx, key);
}

/** KV routes. */
export const kvRoutes: Route[] = [
  { pattern: '/v1/kv/', methods: ['GET', 'PUT', 'DELETE'], handler: kvHandler },
];
