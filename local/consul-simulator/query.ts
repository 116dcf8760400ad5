/**
 * Query plumbing shared by the read endpoints: consistency/blocking parameters (with Consul's 400 texts), the
 * datacenter and leader checks, blocking waits and the `setMeta` headers (`X-Consul-Index` ≥ 1,
 * `X-Consul-KnownLeader`, `X-Consul-LastContact`).
 */
import { ANONYMOUS_ACCESSOR_ID } from './acl-resolver';
import { goJson, parseGoDuration } from './go-format';
import { badRequest, ConsulHttpError, noLeader } from './http-errors';
import { jsonText, Reply } from './reply';
import { RequestContext } from './request-context';
import { Table } from './store';
import { SimulatorCore } from './types';

/** Parsed consistency and blocking options. */
export interface QueryOptions {
  readonly stale: boolean;
  readonly minIndex: number;
  readonly waitMs: number;
}

const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;

/** Parses `?stale`, `?consistent`, `?max_stale`, `?cached`, `?index`, `?wait` with Consul's 400 errors. */
export function parseQueryOptions(ctx: RequestContext): QueryOptions {
  const wait = ctx.query.get('wait');
  let waitMs = DEFAULT_WAIT_MS;
  if (wait !== null) {
    const parsed = parseGoDuration(wait);
    if (parsed === undefined || parsed < 0) throw badRequest('Invalid wait time');
    waitMs = Math.min(parsed, MAX_WAIT_MS);
  }
  const index = ctx.query.get('index');
  let minIndex = 0;
  if (index !== null) {
    if (!/^\d+$/.test(index)) throw badRequest('Invalid index');
    minIndex = Number(index);
  }
  const maxStale = ctx.query.get('max_stale');
  if (maxStale !== null && parseGoDuration(maxStale) === undefined) throw badRequest(`Invalid max_stale value "${maxStale}"`);
  const stale = ctx.has('stale') || maxStale !== null;
  if (stale && ctx.has('consistent')) throw badRequest('Cannot specify ?stale with ?consistent, conflicting semantics.');
  if (ctx.has('cached') && ctx.has('consistent')) throw badRequest('Cannot specify ?cached with ?consistent, conflicting semantics.');
  return { stale, minIndex, waitMs };
}

/** `?dc=` other than the agent's datacenter: 500 `No path to datacenter` (no WAN federation is simulated). */
export function checkDatacenter(ctx: RequestContext, rpc = true): void {
  const dc = ctx.query.get('dc');
  if (dc && dc !== ctx.core.options.datacenter) throw new ConsulHttpError(500, 'No path to datacenter', { rpc });
}

/** Without `stale` and without a leader a server request fails with `No cluster leader`. */
export function requireLeader(ctx: RequestContext, stale: boolean, rpc = true): void {
  if (!stale && !ctx.core.runtime.leader) throw noLeader(rpc);
}

/** The standard prologue of a server read: parameters, datacenter, leader. */
export function beginServerRead(ctx: RequestContext): QueryOptions {
  const opts = parseQueryOptions(ctx);
  checkDatacenter(ctx);
  requireLeader(ctx, opts.stale);
  return opts;
}

/** Waits (blocking query) until one of `tables` moves past `minIndex`, or the wait (plus jitter) elapses. */
export async function blockOn(core: SimulatorCore, opts: QueryOptions, tables: Table[]): Promise<void> {
  if (opts.minIndex === 0 || core.store.tableIndex(...tables) > opts.minIndex) return;
  const waitMs = opts.waitMs + Math.random() * (opts.waitMs / 16);
  await new Promise<void>((resolve) => {
    const onChange = (table: Table): void => {
      if (tables.includes(table) && core.store.tableIndex(...tables) > opts.minIndex) finish();
    };
    const timer = setTimeout(() => finish(), waitMs);
    timer.unref();
    const finish = (): void => {
      clearTimeout(timer);
      core.store.off('change', onChange);
      resolve();
    };
    core.store.on('change', onChange);
  });
}

/** The `setMeta` headers for a query answered at `index`. */
export function queryMetaHeaders(core: SimulatorCore, index: number): Record<string, string> {
  const leader = core.runtime.leader;
  const lastContact = leader ? 0 : (core.runtime.lastContactOverrideMs ?? Math.max(0, core.now().getTime() - core.runtime.leaderLostAt));
  return {
    'X-Consul-Index': String(Math.max(1, index)),
    'X-Consul-KnownLeader': String(leader),
    'X-Consul-LastContact': String(Math.round(lastContact)),
  };
}

/** A JSON reply honouring `?pretty`. */
export function jsonReply(ctx: RequestContext, value: unknown, headers: Record<string, string> = {}, status = 200): Reply {
  return jsonText(goJson(value, ctx.has('pretty')), headers, status);
}

/** A JSON query reply with the query-meta headers for `index`. */
export function queryReply(ctx: RequestContext, value: unknown, index: number, headers: Record<string, string> = {}): Reply {
  return jsonReply(ctx, value, { ...queryMetaHeaders(ctx.core, index), ...headers });
}

/**
 * `X-Consul-Results-Filtered-By-ACLs: true` when ACLs removed results, except for the anonymous token (Consul hides
 * the header from it so that it cannot learn what exists).
 */
export function resultsFilteredHeader(ctx: RequestContext, filtered: boolean): Record<string, string> {
  const anonymous = ctx.token()?.AccessorID === ANONYMOUS_ACCESSOR_ID;
  return filtered && !anonymous ? { 'X-Consul-Results-Filtered-By-ACLs': 'true' } : {};
}
