/**
 * `PUT /v1/txn` for KV operations (`agent/txn_endpoint.go`, `agent/consul/txn_endpoint.go`, `state/txn.go`):
 * request size and operation limits with Consul's 413 texts, strict body decoding (400 `Failed to parse body: …`),
 * per-key ACL pre-checks (`kvsPreApply`, from the `ENDPOINT_ACL` row), all-or-nothing apply at one raft index, 409 with `Errors[{OpIndex, What}]`
 * for failed operations, read-only transactions served with query meta, and results filtered by `key:read`.
 */
import { GoDecodeError, parseGoJson } from './go-decode';
import { KvBatch, kvList, renderDirEntry } from './kv-store';
import { KV_MAX_VALUE_SIZE } from './kv-routes';
import { ConsulHttpError } from './http-errors';
import { beginServerRead, checkDatacenter, jsonReply, queryMetaHeaders, requireLeader } from './query';
import { Reply } from './reply';
import { RequestContext } from './request-context';
import { Route } from './router';
import type { DirEntryRecord } from './store-records';

/** `maxTxnOps` in `agent/txn_endpoint.go`. */
export const MAX_TXN_OPS = 64;
/** `txn_max_req_len` default (512 KiB; `kv_max_value_size` if that is larger). */
export const TXN_MAX_REQ_LEN = KV_MAX_VALUE_SIZE;

/** The KV verbs (`api/txn.go`); the write ones go through raft (`isWrite`). */
const WRITE_VERBS = new Set(['set', 'delete', 'delete-cas', 'delete-tree', 'cas', 'lock', 'unlock']);
/** Marks a number kept as exact digits by {@link decodeOps} (a NUL cannot start a real JSON value's text here). */
const EXACT_UINT = '\u0000uint:';
const KV_FIELDS = new Map(['Verb', 'Key', 'Value', 'Flags', 'Index', 'Session', 'Namespace', 'Partition'].map((f) => [f.toLowerCase(), f]));
const OP_FIELDS = new Map(['KV', 'Node', 'Service', 'Check'].map((f) => [f.toLowerCase(), f]));

interface KvOp {
  readonly Verb: string;
  readonly Key: string;
  readonly Value: Buffer | null;
  readonly Flags: number | bigint;
  readonly Index: number;
  readonly Session: string;
}

interface TxnError {
  readonly OpIndex: number;
  readonly What: string;
}

const tooLarge = (): ConsulHttpError => new ConsulHttpError(413, `Request body too large, max size: ${TXN_MAX_REQ_LEN} bytes`);

async function readLimited(ctx: RequestContext): Promise<Buffer> {
  if (Number(ctx.req.headers['content-length'] ?? 0) > TXN_MAX_REQ_LEN) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req) {
    total += (chunk as Buffer).length;
    ctx.bytesIn += (chunk as Buffer).length;
    if (total > TXN_MAX_REQ_LEN) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `api.TxnOps` decoded like `lib.DecodeJSON` (case-insensitive names, unknown fields refused, base64 values). */
function decodeOps(text: string): KvOp[] {
  // Go decodes a uint64 exactly; JSON.parse would round `Flags` above 2^53. Mark long Flags numbers as exact digits
  // (agent/txn_endpoint.go decodes into api.KVTxnOp, whose Flags is a uint64).
  const raw = parseGoJson(text.replace(/("[Ff][Ll][Aa][Gg][Ss]"\s*:\s*)(\d{16,})/g, '$1"\\u0000uint:$2"'));
  if (raw === null) return [];
  if (!Array.isArray(raw)) throw new GoDecodeError(`json: cannot unmarshal ${typeof raw === 'object' ? 'object' : typeof raw} into Go value of type api.TxnOps`);
  return raw.map((op: unknown) => {
    if (op === null) throw new GoDecodeError('json: cannot unmarshal null into a transaction operation');
    if (typeof op !== 'object' || Array.isArray(op)) throw new GoDecodeError(`json: cannot unmarshal ${Array.isArray(op) ? 'array' : typeof op} into Go value of type api.TxnOp`);
    let kv: Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(op as Record<string, unknown>)) {
      const field = OP_FIELDS.get(name.toLowerCase());
      if (!field) throw new GoDecodeError(`json: unknown field ${JSON.stringify(name)}`);
      if (field !== 'KV' && value !== null) throw new ConsulHttpError(500, `the Consul simulator models only KV operations in /v1/txn (got ${field})`);
      if (field === 'KV') kv = value as Record<string, unknown>;
    }
    if (!kv) throw new ConsulHttpError(500, 'the Consul simulator models only KV operations in /v1/txn');
    return decodeKvOp(kv);
  });
}

function decodeKvOp(kv: Record<string, unknown>): KvOp {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(kv)) {
    const field = KV_FIELDS.get(name.toLowerCase());
    if (!field) throw new GoDecodeError(`json: unknown field ${JSON.stringify(name)}`);
    out[field] = value;
  }
  const str = (f: string): string => {
    const v = out[f];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new GoDecodeError(`json: cannot unmarshal ${typeof v} into Go struct field KVTxnOp.KV.${f} of type string`);
    return v;
  };
  const uint = (f: string): number | bigint => {
    const v = out[f];
    if (v === undefined || v === null) return 0;
    if (typeof v === 'string' && v.startsWith(EXACT_UINT)) {
      const n = BigInt(v.slice(EXACT_UINT.length));
      if (n >= 1n << 64n) throw new GoDecodeError(`json: cannot unmarshal number ${n} into Go struct field KVTxnOp.KV.${f} of type uint64`);
      return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new GoDecodeError(`json: cannot unmarshal ${typeof v === 'number' ? `number ${v}` : typeof v} into Go struct field KVTxnOp.KV.${f} of type uint64`);
    return v;
  };
  let value: Buffer | null = null;
  if (out.Value !== undefined && out.Value !== null) {
    const text = str('Value');
    const bad = /[^A-Za-z0-9+/=]/.exec(text) ?? (text.length % 4 !== 0 ? { index: text.length - (text.length % 4) } : null);
    if (bad) throw new GoDecodeError(`illegal base64 data at input byte ${bad.index}`);
    value = Buffer.from(text, 'base64');
  }
  return { Verb: str('Verb'), Key: str('Key'), Value: value, Flags: uint('Flags'), Index: Number(uint('Index')), Session: str('Session') };
}

/** `kvsPreApply` for every op: key required, then the op's permission from `ENDPOINT_ACL` (GETs are filtered later). */
function preCheck(ctx: RequestContext, ops: KvOp[]): TxnError[] {
  const denied = ctx.aclOperations();
  const errors: TxnError[] = [];
  ops.forEach((op, OpIndex) => {
    if (op.Key === '' && op.Verb !== 'delete-tree') return void errors.push({ OpIndex, What: 'Must provide key' });
    const what = denied({ name: op.Key, verb: op.Verb });
    if (what) errors.push({ OpIndex, What: what });
  });
  return errors;
}

/** `txnKVS`: one op's results, or its error text. */
function applyOp(ctx: RequestContext, batch: KvBatch | undefined, op: KvOp): { results: DirEntryRecord[]; error?: string } {
  const store = ctx.core.store;
  const key = JSON.stringify(op.Key);
  const write = { Key: op.Key, Value: op.Value, Flags: op.Flags };
  const blank = (e: DirEntryRecord) => [{ ...e, Value: null }];
  switch (op.Verb) {
    case 'set':
      return { results: blank(batch!.set(write)) };
    case 'cas': {
      const e = batch!.cas(write, op.Index);
      return e ? { results: blank(e) } : { results: [], error: `failed to set key ${key}, index is stale` };
    }
    case 'delete':
      batch!.delete(op.Key);
      return { results: [] };
    case 'delete-cas':
      return batch!.deleteCas(op.Key, op.Index) ? { results: [] } : { results: [], error: `failed to delete key ${key}, index is stale` };
    case 'delete-tree':
      batch!.deleteTree(op.Key);
      return { results: [] };
    case 'get': {
      const e = store.kv.get(op.Key);
      return e ? { results: [e] } : { results: [], error: `key ${key} doesn't exist` };
    }
    case 'get-tree':
      return { results: kvList(store, op.Key) };
    case 'check-index': {
      const e = store.kv.get(op.Key);
      if (!e) return { results: [], error: `failed to check index, key ${key} doesn't exist` };
      if (e.ModifyIndex !== op.Index) return { results: [], error: `failed index check for key ${key}, current modify index ${e.ModifyIndex} != ${op.Index}` };
      return { results: blank(e) };
    }
    case 'check-session': {
      const e = store.kv.get(op.Key);
      if (!e) return { results: [], error: `failed to check session, key ${key} doesn't exist` };
      if (e.Session !== op.Session) return { results: [], error: `failed session check for key ${key}, current session ${JSON.stringify(e.Session)} != ${JSON.stringify(op.Session)}` };
      return { results: blank(e) };
    }
    case 'check-not-exists':
      return store.kv.has(op.Key) ? { results: [], error: `key ${key} exists` } : { results: [] };
    case 'lock':
    case 'unlock':
      return { results: [], error: 'the Consul simulator does not model KV locks (lock/unlock)' };
    default:
      return { results: [], error: `unknown KV verb ${JSON.stringify(op.Verb)}` };
  }
}

/** Runs every op (errors are collected for all of them, as `txnDispatch` does); rolls back on any error. */
function run(ctx: RequestContext, ops: KvOp[], batch: KvBatch | undefined): { results: DirEntryRecord[] | null; errors: TxnError[] } {
  const results: DirEntryRecord[] = [];
  const errors: TxnError[] = [];
  ops.forEach((op, OpIndex) => {
    const r = applyOp(ctx, batch, op);
    results.push(...r.results);
    if (r.error) errors.push({ OpIndex, What: r.error });
  });
  if (errors.length) {
    batch?.rollback();
    return { results: null, errors };
  }
  batch?.commit();
  return { results, errors };
}

async function txnHandler(ctx: RequestContext): Promise<Reply> {
  const body = await readLimited(ctx);
  let ops: KvOp[];
  try {
    ops = decodeOps(body.toString('utf8'));
  } catch (err) {
    if (err instanceof ConsulHttpError) throw err;
    throw new ConsulHttpError(400, `Failed to parse body: ${(err as Error).message}`);
  }
  if (ops.length > MAX_TXN_OPS) throw new ConsulHttpError(413, `Transaction contains too many operations (${ops.length} > ${MAX_TXN_OPS})`);
  const big = ops.find((op) => (op.Value?.length ?? 0) > KV_MAX_VALUE_SIZE);
  if (big) throw new ConsulHttpError(413, `Value for key ${JSON.stringify(big.Key)} is too large (${big.Value!.length} > ${KV_MAX_VALUE_SIZE} bytes)`);
  const writes = ops.some((op) => WRITE_VERBS.has(op.Verb));
  if (!writes) {
    beginServerRead(ctx);
    const meta = queryMetaHeaders(ctx.core, 0);
    const pre = preCheck(ctx, ops);
    const out = pre.length ? { results: null, errors: pre } : run(ctx, ops, undefined);
    const body = { ...response(ctx, out), Index: 0, LastContact: Number(meta['X-Consul-LastContact']) * 1e6, KnownLeader: meta['X-Consul-KnownLeader'] === 'true', ConsistencyLevel: '', NotModified: false, Backend: 0, ResultsFilteredByACLs: false };
    const headers = { 'X-Consul-LastContact': meta['X-Consul-LastContact'], 'X-Consul-KnownLeader': meta['X-Consul-KnownLeader'] };
    return jsonReply(ctx, body, headers, out.errors.length ? 409 : 200);
  }
  checkDatacenter(ctx);
  requireLeader(ctx, false);
  const pre = preCheck(ctx, ops);
  if (pre.length) return jsonReply(ctx, response(ctx, { results: null, errors: pre }), {}, 409);
  const out = run(ctx, ops, new KvBatch(ctx.core.store, ctx.core.store.allocate()));
  return jsonReply(ctx, response(ctx, out), {}, out.errors.length ? 409 : 200);
}

/** `structs.TxnResponse` JSON, KV results filtered by `key:read` (`FilterTxnResults`). */
function response(ctx: RequestContext, out: { results: DirEntryRecord[] | null; errors: TxnError[] }): Record<string, unknown> {
  const visible = ctx.aclFilter('results');
  const results = out.results?.filter((e) => visible({ name: e.Key })).map((e) => ({ KV: renderDirEntry(e) })) ?? null;
  return { Results: results, Errors: out.errors.length ? out.errors : null };
}

/** The transaction route. */
export const txnRoutes: Route[] = [{ pattern: '/v1/txn', methods: ['PUT'], handler: txnHandler }];
