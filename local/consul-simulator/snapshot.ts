/**
 * `/v1/snapshot` (consul-api.md §1): GET streams a real archive whose state.bin holds the simulator's state in
 * Consul's record format (query-meta headers first, `X-Consul-Index` = the snapshot's raft index); PUT verifies the
 * streamed upload with Consul's exact error texts, applies raft's version check, decodes state.bin like the FSM and
 * replaces the whole state (ACLs included), or drops the connection where Consul's leader would panic.
 */
import { Readable } from 'node:stream';
import { verifySnapshotStream } from '../../functions/core/snapshot-archive';
import { writeSnapshotArchive } from './archive-writer';
import { RAFT_CONFIGURATION_INDEX } from './agent-routes';
import { ConsulHttpError, noLeader } from './http-errors';
import { corruptStateBin, stripGzip } from './faults';
import { checkDatacenter, queryMetaHeaders } from './query';
import { Reply, textReply } from './reply';
import { RequestContext } from './request-context';
import { Route } from './router';
import { decodeArchiveState, teeStream } from './snapshot-restore';
import { encodeState } from './state-bin-writer';
import { minimumSyntheticKvBytes, SYNTHETIC_KEY_PREFIX, syntheticKvStream } from './synthetic-state';
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

/**
 * state.bin: the store's records in persist order; with `snapshotStateBytes`, synthetic KVS records (keys under
 * `_synthetic/`) fill it to exactly that size, streamed between the real KV records. Below the smallest record that
 * fits, the state stays at its real size.
 */
function stateSource(core: SimulatorCore): { size: number; stream: Readable } {
  const target = core.options.snapshotStateBytes ?? 0;
  const encoded = encodeState(core.store.tables(), { features: core.profile.features, splitBeforeKey: SYNTHETIC_KEY_PREFIX });
  const real = encoded.head.length + encoded.tail.length;
  const index = Math.max(1, encoded.lastIndex);
  const fill = target - real;
  if (fill < minimumSyntheticKvBytes(index)) return { size: real, stream: Readable.from([encoded.head, encoded.tail]) };
  const filler = syntheticKvStream({ bytes: fill, compressibility: core.options.snapshotCompressibility, seed: index, index });
  async function* chain() {
    yield encoded.head;
    for await (const chunk of filler) yield chunk as Buffer;
    yield encoded.tail;
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
  const [verified, decoded] = await Promise.all([verifying.then((v) => ({ v }), (e: unknown) => ({ e })), decodeArchiveState(forState, ctx.core.profile.features)]);
  if ('e' in verified) {
    const err = verified.e as { context?: { consulMessage?: unknown }; message?: string };
    const message = err.context?.consulMessage;
    throw new ConsulHttpError(500, typeof message === 'string' ? message : String(err.message ?? err));
  }
  const core = ctx.core;
  const meta = verified.v.meta;
  const record = { archiveSha256: verified.v.archiveSha256, archiveBytes: verified.v.archiveBytes, index: Number(meta.Index), at: core.now() };
  // hashicorp/raft restoreUserSnapshot: SnapshotVersionMin 0 … SnapshotVersionMax 1.
  if (meta.Version !== 0 && meta.Version !== 1) {
    core.runtime.restores.push({ ...record, stateReplaced: false, error: `unsupported snapshot version ${meta.Version}` });
    throw new ConsulHttpError(500, `Raft error when restoring snapshot: unsupported snapshot version ${meta.Version}`);
  }
  if (!decoded.tables) {
    // raft panics ("failed to restore snapshot: …") when the FSM refuses a user snapshot: the leader process dies and
    // the client's connection closes without an answer. The simulator keeps serving its old state.
    core.runtime.restores.push({ ...record, stateReplaced: false, error: `failed to restore snapshot: ${decoded.fsmError}` });
    ctx.req.socket.destroy();
    return textReply(500, '');
  }
  core.store.replaceWith(decoded.tables, Number(meta.Index));
  core.ca.clearLeafCache();
  core.runtime.restores.push({ ...record, stateReplaced: true });
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
