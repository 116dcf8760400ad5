/**
 * Response plumbing for {@link ConsulHttpClient}: query-meta headers, bounded body reads, `Content-Encoding: gzip`,
 * and a guard that turns a broken body stream into a typed error instead of a hang or a raw socket error.
 */
import { PassThrough, type Readable } from 'node:stream';
import { constants, createGunzip, gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

/** Response headers as undici delivers them (lower-case names). */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What Consul says about a response besides its body (consul-api.md §0 "Response headers"). */
export interface ConsulResponseMeta {
  /** The address (base URL) that answered. */
  readonly address: string;
  readonly status: number;
  /** `X-Consul-Index`: raft index of the result (≥ 1); for a snapshot, the snapshot's index. */
  readonly index?: number;
  /** `X-Consul-KnownLeader`. */
  readonly knownLeader?: boolean;
  /** `X-Consul-LastContact`, milliseconds since the answering server heard from the leader. */
  readonly lastContactMs?: number;
  /** `X-Consul-Default-ACL-Policy` (Consul ≥ 1.9): `allow` or `deny`, also the intention default. */
  readonly defaultAclPolicy?: string;
  /** `X-Consul-Results-Filtered-By-ACLs: true`: some results were hidden from this token. */
  readonly resultsFilteredByAcls: boolean;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentLength?: number;
}

/** First value of a header. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function headerNumber(headers: ResponseHeaders, name: string): number | undefined {
  const v = headerValue(headers, name);
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses the `X-Consul-*` meta headers of a response. */
export function parseConsulMeta(status: number, headers: ResponseHeaders, address: string): ConsulResponseMeta {
  const leader = headerValue(headers, 'x-consul-knownleader');
  return {
    address,
    status,
    index: headerNumber(headers, 'x-consul-index'),
    knownLeader: leader === undefined ? undefined : leader === 'true',
    lastContactMs: headerNumber(headers, 'x-consul-lastcontact'),
    defaultAclPolicy: headerValue(headers, 'x-consul-default-acl-policy'),
    resultsFilteredByAcls: headerValue(headers, 'x-consul-results-filtered-by-acls') === 'true',
    contentType: headerValue(headers, 'content-type'),
    contentEncoding: headerValue(headers, 'content-encoding'),
    contentLength: headerNumber(headers, 'content-length'),
  };
}

/** `Retry-After` in milliseconds (seconds form only), if present. */
export function retryAfterMs(headers: ResponseHeaders): number | undefined {
  const s = headerNumber(headers, 'retry-after');
  return s === undefined || s < 0 ? undefined : s * 1000;
}

/** True when the response body is gzip-encoded on the wire (not a gzip *payload* such as a snapshot). */
export function isGzipEncoded(headers: ResponseHeaders): boolean {
  return /(^|,)\s*(x-)?gzip\s*($|,)/i.test(headerValue(headers, 'content-encoding') ?? '');
}

/** Reads a body into memory, stopping (and destroying the stream) after `limitBytes`. */
export async function readBodyBytes(body: Readable, limitBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(buf);
    size += buf.length;
    if (size >= limitBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks, Math.min(size, limitBytes));
}

/** Decodes a whole body per its `Content-Encoding`; `lenient` tolerates a truncated gzip stream (error bodies). */
export async function decodeBody(bytes: Buffer, headers: ResponseHeaders, lenient = false): Promise<Buffer> {
  if (!isGzipEncoded(headers) || bytes.length === 0) return bytes;
  return gunzipAsync(bytes, lenient ? { finishFlush: constants.Z_SYNC_FLUSH } : {});
}

/** Reads an error body as text (at most 64 KiB), never failing: an unreadable body becomes `''`. */
export async function readErrorText(body: Readable, headers: ResponseHeaders): Promise<string> {
  try {
    return (await decodeBody(await readBodyBytes(body, 64 * 1024), headers, true)).toString('utf8');
  } catch {
    return '';
  }
}

/**
 * Wraps a streaming body: decodes `Content-Encoding: gzip` on the fly and replaces any error (reset, truncation,
 * body timeout, bad gzip) with `mapError(err, bytesReceived)`. Destroying the returned stream releases the socket.
 * Backpressure is kept (pipe), so nothing is buffered beyond the stream high-water marks.
 */
export function guardBodyStream(
  source: Readable,
  gzip: boolean,
  mapError: (err: unknown, bytesReceived: number) => Error,
): Readable {
  let bytesReceived = 0;
  const out = new PassThrough({ highWaterMark: 64 * 1024 });
  const gunzipper = gzip ? createGunzip() : undefined;
  const fail = (err: unknown): void => {
    if (!out.destroyed) out.destroy(mapError(err, bytesReceived));
    source.destroy();
    gunzipper?.destroy();
  };
  source.on('data', (chunk: Buffer) => {
    bytesReceived += chunk.length;
  });
  source.on('error', fail);
  gunzipper?.on('error', fail);
  (gunzipper ? source.pipe(gunzipper) : source).pipe(out);
  out.on('close', () => {
    // The consumer gave up early: free the connection instead of draining it.
    if (!source.readableEnded) source.destroy();
  });
  return out;
}
