/**
 * Test helper: raw HTTP calls to the simulator with undici (never the product client), returning status, headers and
 * the exact body text.
 */
import { Dispatcher, request } from 'undici';

/** What a call returned. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  readonly bytes: Buffer;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

/** Options of {@link call}. */
export interface CallOptions {
  /** Sent as `X-Consul-Token`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer | object;
  readonly dispatcher?: Dispatcher;
}

/** Performs one request and reads the whole body. */
export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token !== undefined) headers['X-Consul-Token'] = options.token;
  const body =
    options.body === undefined || typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
  const res = await request(`${baseUrl}${path}`, {
    method: method as Dispatcher.HttpMethod,
    headers,
    body,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  const text = bytes.toString('utf8');
  return { status: res.statusCode, headers: flat, text, bytes, json: <T>() => JSON.parse(text) as T };
}
