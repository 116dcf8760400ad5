/**
 * The Consul API simulator's HTTP(S) server: Consul's `wrap` behaviour around every endpoint (default-ACL-policy and
 * `Vary` headers, OPTIONS, 405 with `Allow`, plain-text errors, client-agent RPC prefix), the unwrapped index 404,
 * fault injection and request recording.
 */
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { ANONYMOUS_ACCESSOR_ID } from './acl-resolver';
import { FaultSpec, SHORT_CIRCUIT_KINDS } from './faults';
import { ConsulHttpError, methodNotAllowed, permissionDeniedText } from './http-errors';
import { Reply, sendReply, textReply } from './reply';
import { RequestContext } from './request-context';
import { Route, Router } from './router';
import { SimulatorCore } from './types';

/** One request the simulator served. Token values are never recorded. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Query parameters; a `token` value is replaced by `<redacted>`. */
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Status sent (0 until the headers went out). */
  status: number;
  bytesIn: number;
  bytesOut: number;
  readonly timestamp: Date;
  durationMs: number;
  /** Where the token came from (`query`, `header`, `bearer`, `agent-default`, `none`). */
  readonly tokenSource: string;
  /** AccessorID of the presented token when it resolves. */
  readonly accessorId: string | undefined;
  /** Kinds of the faults applied. */
  readonly faults: readonly string[];
}

const INDEX_NOT_FOUND = 'Invalid URL path: not a recognized HTTP API endpoint\n';
const CLIENT_RPC_PREFIX = 'rpc error making call: ';

/** Creates the request listener. */
export function createRequestHandler(core: SimulatorCore, router: Router, requests: RecordedRequest[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(core, router, requests, req, res).catch(() => res.destroy());
  };
}

async function handle(core: SimulatorCore, router: Router, requests: RecordedRequest[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const url = new URL(req.url ?? '/', 'http://simulator');
  const method = req.method ?? 'GET';
  core.replication.sync(core.now());
  const faults = core.faults.take(method, url.pathname);
  const ctx = new RequestContext(core, req, url, faults);
  const record: RecordedRequest = {
    method,
    path: url.pathname,
    query: recordQuery(url.searchParams),
    status: 0,
    bytesIn: 0,
    bytesOut: 0,
    timestamp: new Date(started),
    durationMs: 0,
    tokenSource: ctx.tokenSource,
    accessorId: ctx.accessorIdForLog(),
    faults: faults.map((f) => f.kind),
  };
  requests.push(record);
  res.on('close', () => {
    record.durationMs = Date.now() - started;
    record.bytesIn = ctx.bytesIn;
  });
  const match = router.resolve(url.pathname);
  let reply: Reply;
  let route: Route | undefined;
  if (match.kind === 'none') reply = url.pathname === '/' ? redirect('/ui/', method) : textReply(404, INDEX_NOT_FOUND);
  else if (match.kind === 'redirect') reply = redirect(match.location, method);
  else {
    route = match.route;
    ctx.route = route;
    ctx.suffix = safeDecode(match.suffix);
    reply = await dispatch(ctx, route);
    reply = { ...reply, headers: { ...reply.headers, 'X-Consul-Default-ACL-Policy': core.options.defaultPolicy, Vary: 'Accept-Encoding' } };
  }
  await drainRequest(ctx);
  record.status = reply.status;
  const acceptGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  await sendReply(res, reply, {
    acceptGzip,
    gzipWrapped: route !== undefined,
    faults: faults.filter((f) => !SHORT_CIRCUIT_KINDS.has(f.kind)),
    onBytes: (n) => (record.bytesOut += n),
  });
}

/** Runs a route like Consul's `wrap`: OPTIONS, method check, short-circuit faults, handler, error mapping. */
async function dispatch(ctx: RequestContext, route: Route): Promise<Reply> {
  try {
    if (ctx.method === 'OPTIONS') return { status: 200, headers: { Allow: ['OPTIONS', ...route.methods].join(',') } };
    if (!route.methods.includes(ctx.method)) throw methodNotAllowed(ctx.method, route.methods);
    const shortCircuit = ctx.faults.find((f) => SHORT_CIRCUIT_KINDS.has(f.kind));
    if (shortCircuit) return faultReply(ctx, route, shortCircuit);
    const reply = await route.handler(ctx);
    if (reply.status < 400 && ctx.aclEnforced === undefined) {
      // Never answer a token real Consul would refuse: a handler that skipped its ENDPOINT_ACL row is a simulator bug.
      throw new ConsulHttpError(500, `simulator bug: ${ctx.method} ${route.pattern} answered without enforcing its ENDPOINT_ACL row`);
    }
    return reply;
  } catch (err) {
    return errorReply(ctx, route, err);
  }
}

function errorReply(ctx: RequestContext, route: Route, err: unknown): Reply {
  if (!(err instanceof ConsulHttpError)) return textReply(500, err instanceof Error ? err.message : String(err));
  const prefix = err.rpc && !route.local && ctx.core.options.agentKind === 'client' ? CLIENT_RPC_PREFIX : '';
  return textReply(err.status, err.body === '' ? '' : `${prefix}${err.body}`, { ...err.headers });
}

function faultReply(ctx: RequestContext, route: Route, fault: FaultSpec): Reply {
  switch (fault.kind) {
    case 'no-leader':
      return errorReply(ctx, route, new ConsulHttpError(500, 'No cluster leader', { rpc: true }));
    case 'rate-limit':
      return textReply(429, '');
    case 'status':
      return textReply(fault.status ?? 500, fault.body ?? '');
    default: {
      const row = ctx.aclRow();
      const perm = row?.rules(ctx.aclSubject(subjectFromPath(ctx)))[0];
      const accessor = ctx.accessorIdForLog() ?? ANONYMOUS_ACCESSOR_ID;
      const text = perm ? permissionDeniedText(accessor, perm.resource, perm.level, perm.name) : 'Permission denied';
      return errorReply(ctx, route, new ConsulHttpError(403, text, { rpc: true }));
    }
  }
}

/** Best-effort subject for the `forbidden` fault: `kind/name` paths of the config endpoints. */
function subjectFromPath(ctx: RequestContext): { kind?: string; name?: string } {
  if (!ctx.path.startsWith('/v1/config/')) return {};
  const [kind, ...rest] = ctx.suffix.split('/');
  return { kind, name: rest.join('/') };
}

/** Go's ServeMux/`http.Redirect` answer: 301 with a tiny HTML body for GET/HEAD. */
function redirect(location: string, method: string): Reply {
  const body = method === 'GET' || method === 'HEAD' ? Buffer.from(`<a href="${location}">Moved Permanently</a>.\n\n`) : undefined;
  return { status: 301, headers: { Location: location, ...(body ? { 'Content-Type': 'text/html; charset=utf-8' } : {}) }, body };
}

/** Consumes whatever request body the handler did not read, so the client always gets the response. */
async function drainRequest(ctx: RequestContext): Promise<void> {
  const req = ctx.req;
  if (req.readableEnded || req.destroyed) return;
  await new Promise<void>((resolve) => {
    req.on('data', (c: Buffer) => (ctx.bytesIn += c.length));
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
    req.resume();
  });
}

function recordQuery(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key).map((v) => (key === 'token' ? '<redacted>' : v));
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Starts listening; resolves with the bound server and its base URL. */
export async function listen(core: SimulatorCore, handler: ReturnType<typeof createRequestHandler>): Promise<{ server: Server; url: string }> {
  const tls = core.options.tls;
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: tls.certPem,
          key: tls.keyPem,
          ...(tls.caPem ? { ca: tls.caPem } : {}),
          requestCert: tls.requestClientCert ?? false,
          rejectUnauthorized: tls.requestClientCert ?? false,
        },
        handler,
      )
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(core.options.port, core.options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = core.options.host.includes(':') ? `[${core.options.host}]` : core.options.host;
  return { server, url: `${tls ? 'https' : 'http'}://${host}:${port}` };
}
