/**
 * Responses: what handlers return and how they go on the wire (Go-like Content-Length/chunking, the `gziphandler`
 * wrapper, body-shaping faults and byte accounting).
 */
import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { FaultSpec, throttle } from './faults';

/** A response a handler produced. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Buffered body, a stream (sent chunked), or nothing. */
  readonly body?: Buffer | Readable;
}

/** gziphandler.DefaultMinSize: bodies smaller than this are never compressed. */
const GZIP_MIN_SIZE = 1400;
/** Go's net/http sends Content-Length only when the whole body fits its 2048-byte chunking buffer. */
const GO_CHUNKING_BUFFER = 2048;

/** A JSON (application/json) reply; `text` must already be Go-formatted JSON. */
export function jsonText(text: string, headers: Record<string, string> = {}, status = 200): Reply {
  return { status, headers: { ...headers, 'Content-Type': 'application/json' }, body: Buffer.from(text) };
}

/** A plain-text reply (how Go sniffs Consul's error bodies); an empty text sends no Content-Type. */
export function textReply(status: number, text: string, headers: Record<string, string> = {}): Reply {
  if (text === '') return { status, headers };
  return { status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: Buffer.from(text) };
}

/** Options of {@link sendReply}. */
export interface SendOptions {
  /** The client sent `Accept-Encoding: gzip`. */
  readonly acceptGzip: boolean;
  /** Whether the route is wrapped by gziphandler (every /v1 endpoint). */
  readonly gzipWrapped: boolean;
  /** Body-shaping faults matched for this request. */
  readonly faults: readonly FaultSpec[];
  /** Called with the number of body bytes written to the socket. */
  readonly onBytes: (n: number) => void;
}

/** Writes a reply, applying gzip and the `delay-headers`, `slow`, `truncate` and `reset-mid-stream` faults. */
export async function sendReply(res: ServerResponse, reply: Reply, options: SendOptions): Promise<void> {
  const fault = (kind: FaultSpec['kind']): FaultSpec | undefined => options.faults.find((f) => f.kind === kind);
  const delay = fault('delay-headers');
  if (delay) await new Promise((r) => setTimeout(r, delay.delayMs ?? 1000));
  const headers: Record<string, string> = { ...reply.headers };
  let body: Buffer | Readable | undefined = reply.body;
  const bufferLen = Buffer.isBuffer(body) ? body.length : undefined;
  const compress = options.gzipWrapped && options.acceptGzip && body !== undefined && (bufferLen ?? Infinity) >= GZIP_MIN_SIZE;
  if (compress && body !== undefined) {
    headers['Content-Encoding'] = 'gzip';
    body = Buffer.isBuffer(body) ? gzipSync(body) : body.pipe(createGzip());
  }
  const truncate = fault('truncate');
  const reset = fault('reset-mid-stream');
  if (Buffer.isBuffer(body) && body.length <= GO_CHUNKING_BUFFER && !truncate) headers['Content-Length'] = String(body.length);
  if (body === undefined && !truncate && !reset) headers['Content-Length'] = '0';
  res.writeHead(reply.status, headers);
  res.flushHeaders();
  const slow = fault('slow');
  let source: Readable = Buffer.isBuffer(body) ? Readable.from([body]) : (body ?? Readable.from([]));
  if (slow) source = source.pipe(throttle(slow.bytesPerSecond ?? 65536));
  const limit = Math.min(truncate ? (truncate.afterBytes ?? 512) : Infinity, reset ? (reset.afterBytes ?? 512) : Infinity);
  let sent = 0;
  try {
    for await (const raw of source) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
      const piece = sent + chunk.length > limit ? chunk.subarray(0, limit - sent) : chunk;
      if (piece.length > 0 && !(await write(res, piece))) return;
      sent += piece.length;
      options.onBytes(piece.length);
      if (sent >= limit) break;
    }
  } finally {
    if (Buffer.isBuffer(reply.body) === false) destroyQuietly(reply.body);
    if (source !== reply.body) destroyQuietly(source);
  }
  if (reset) {
    res.socket?.destroy();
    return;
  }
  res.end();
}

/** Writes with backpressure; false when the client went away. */
function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

function destroyQuietly(stream: Readable | Buffer | undefined): void {
  if (stream && !Buffer.isBuffer(stream) && !stream.destroyed) {
    stream.on('error', () => undefined);
    stream.destroy();
  }
}
