/**
 * `/v1/snapshot` (consul-api.md §1): GET streams a real archive of the simulator state (query-meta headers first,
 * `X-Consul-Index` = the snapshot's raft index); PUT verifies the streamed upload with Consul's exact error texts and,
 * for simulator archives, replaces the state.
 */
import { Readable } from 'node:stream';
import { verifySnapshotStream } from '../../functions/core/snapshot-archive';
import { syntheticStateStream } from './synthetic-state';
import { writeSnapshotArchive } from './archive-writer';
import { RAFT_CONFIGURATION_INDEX } from './agent-routes';
import { ConsulHttpError, noLeader } from './http-errors';
import { corruptStateBin, stripGzip } from './faults';
import { checkDatacenter, queryMetaHeaders } from './query';
import { Reply, textReply } from './reply';
import { RequestContext } from './request-context';
import { Route } from './router';
import { encodeSimulatorState, extractSimulatorState, teeStream } from './snapshot-state';
import { SimulatorCore } from './types';

/** Legacy raft peer list: msgpack array with the one server address, as meta.json's `Peers` carries it. */
function peersField(address: string): string {
  const bytes = Buffer.from(address);
  const header = bytes.length < 32 ? Buffer.from([0xa0 | bytes.length]) : Buffer.from([0xd9, bytes.length]);
  return Buffer.concat([Buffer.from([0x91]), header, bytes]).toString('base64');
}

/** meta.json (without Size) for a snapshot of the current state. */
function snapshotMeta(core: SimulatorCore) {
  const index = Math.max(1, core.store.index);
  const term = core.store.term;
  return {
    Version: 1,
    ID: `${term}-${index}-${core.now().getTime()}`,
    Index: index,
    Term: term,
    Peers: peersField(core.serverAddress),
    Configuration: { Servers: [{ Suffrage: 0, ID: core.nodeId, Address: core.serverAddress }] },
    ConfigurationIndex: RAFT_CONFIGURATION_INDEX,
  };
}

/** state.bin: the serialized state, padded with synthetic bytes up to `snapshotStateBytes` (streamed). */
function stateSource(core: SimulatorCore): { size: number; stream: Readable } {
  const serialized = encodeSimulatorState(core.store.toPersisted());
  const target = core.options.snapshotStateBytes ?? 0;
  if (target <= serialized.length) return { size: serialized.length, stream: Readable.from([serialized]) };
  const padding = syntheticStateStream(target - serialized.length, core.store.index);
  async function* chain() {
    yield serialized;
    for await (const chunk of padding) yield chunk as Buffer;
  }
  return { size: target, stream: Readable.from(chain()) };
}

/** Consul's snapshot prologue: datacenter, leader (unless `?stale`), then `acl:write`. */
function authorizeSnapshot(ctx: RequestContext, stale: boolean): void {
  checkDatacenter(ctx, false);
  if (!stale && !ctx.core.runtime.leader) throw noLeader(false);
  ctx.enforceAcl();
}

function saveHandler(ctx: RequestContext): Reply {
  authorizeSnapshot(ctx, ctx.has('stale'));
  const core = ctx.core;
  const meta = snapshotMeta(core);
  const state = stateSource(core);
  let body: Readable = writeSnapshotArchive({ meta, state }, { mtime: core.now(), gzipLevel: core.options.gzipLevel });
  const corrupt = ctx.fault('corrupt-state');
  if (corrupt) body = corruptStateBin(body, corrupt.stateOffset, core.options.gzipLevel);
  const notGzip = ctx.fault('not-gzip');
  if (notGzip) body = stripGzip(body);
  core.runtime.snapshots.push({ id: meta.ID, index: meta.Index, stateBytes: state.size, at: core.now() });
  return {
    status: 200,
    headers: { ...queryMetaHeaders(core, meta.Index), 'Content-Type': notGzip ? 'application/octet-stream' : 'application/x-gzip' },
    body,
  };
}

async function restoreHandler(ctx: RequestContext): Promise<Reply> {
  const stale = ctx.has('stale');
  authorizeSnapshot(ctx, stale);
  if (stale) throw new ConsulHttpError(500, 'stale not allowed for restore');
  const [forVerify, forState] = teeStream(ctx.req, (n) => (ctx.bytesIn += n));
  const verifying = verifySnapshotStream(forVerify).finally(() => forVerify.resume());
  const [verified, state] = await Promise.allSettled([verifying, extractSimulatorState(forState)]);
  if (verified.status === 'rejected') {
    const err = verified.reason as { context?: { consulMessage?: unknown }; message?: string };
    const message = err.context?.consulMessage;
    throw new ConsulHttpError(500, typeof message === 'string' ? message : String(err.message ?? err));
  }
  const restored = state.status === 'fulfilled' ? state.value : undefined;
  const core = ctx.core;
  if (restored) {
    core.store.replaceWith(restored);
    core.ca.clearLeafCache();
  }
  core.runtime.restores.push({
    archiveSha256: verified.value.archiveSha256,
    archiveBytes: verified.value.archiveBytes,
    index: Number(verified.value.meta.Index),
    stateReplaced: restored !== undefined,
    at: core.now(),
  });
  return textReply(200, '');
}

/** Snapshot route (errors come back through the snapshot RPC stream, so never with the client prefix). */
export const snapshotRoutes: Route[] = [
  {
    pattern: '/v1/snapshot',
    methods: ['GET', 'PUT'],
    handler: (ctx) => (ctx.method === 'GET' ? saveHandler(ctx) : restoreHandler(ctx)),
    local: true,
  },
];
