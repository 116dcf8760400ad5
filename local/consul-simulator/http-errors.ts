/**
 * Errors a simulated handler throws; the server turns them into Consul's plain-text error responses
 * (consul-api.md §0 "Error format").
 */

/** Options of a {@link ConsulHttpError}. */
export interface ConsulHttpErrorOptions {
  /**
   * True when real Consul produces the error inside a server RPC. On a client agent those messages get the
   * `rpc error making call: ` prefix.
   * @default false
   */
  readonly rpc?: boolean;
  /** Extra response headers (e.g. `Allow` on a 405). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** An HTTP error exactly as Consul writes it: a status code and a plain-text body (no JSON envelope). */
export class ConsulHttpError extends Error {
  readonly status: number;
  readonly body: string;
  readonly rpc: boolean;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, body: string, options: ConsulHttpErrorOptions = {}) {
    super(body);
    this.name = 'ConsulHttpError';
    this.status = status;
    this.body = body;
    this.rpc = options.rpc ?? false;
    this.headers = options.headers ?? {};
  }
}

/** A Consul ACL resource name (`acl/authorizer.go`). */
export type AclResource =
  | 'acl'
  | 'agent'
  | 'event'
  | 'intention'
  | 'key'
  | 'keyring'
  | 'node'
  | 'operator'
  | 'mesh'
  | 'query'
  | 'service'
  | 'session'
  | 'peering';

/** An access level a check asks for. */
export type AccessLevel = 'read' | 'list' | 'write';

/** The text of a permission denial, `Permission denied: token with AccessorID '<id>' lacks permission '<r>:<l>'…`. */
export function permissionDeniedText(accessorId: string, resource: AclResource, level: AccessLevel, name?: string): string {
  const on = name === undefined ? '' : ` on "${name}"`;
  return `Permission denied: token with AccessorID '${accessorId}' lacks permission '${resource}:${level}'${on}`;
}

/** 403 permission denial as raised by a server-side ACL check. */
export function permissionDenied(accessorId: string, resource: AclResource, level: AccessLevel, name?: string): ConsulHttpError {
  return new ConsulHttpError(403, permissionDeniedText(accessorId, resource, level, name), { rpc: true });
}

/** 403 `ACL not found`: the presented secret is unknown or expired (`acl.ErrNotFound`). */
export function aclNotFound(): ConsulHttpError {
  return new ConsulHttpError(403, 'ACL not found', { rpc: true });
}

/** 500 `No cluster leader` (`structs.ErrNoLeader`). */
export function noLeader(rpc = true): ConsulHttpError {
  return new ConsulHttpError(500, 'No cluster leader', { rpc });
}

/** 401 `ACL support disabled`, returned by every ACL endpoint when ACLs are off. */
export function aclDisabled(): ConsulHttpError {
  return new ConsulHttpError(401, 'ACL support disabled');
}

/** 400 with the given text (HTTP-layer parse errors). */
export function badRequest(text: string): ConsulHttpError {
  return new ConsulHttpError(400, text);
}

/** 404 with the given text, written by the handler before returning. */
export function notFound(text: string): ConsulHttpError {
  return new ConsulHttpError(404, text);
}

/** 500 with the given text: a plain error from a server RPC, e.g. a validation failure. */
export function rpcError(text: string): ConsulHttpError {
  return new ConsulHttpError(500, text, { rpc: true });
}

/** 405 `method X not allowed` with `Allow: OPTIONS,<methods>` (`MethodNotAllowedError`). */
export function methodNotAllowed(method: string, allowed: readonly string[]): ConsulHttpError {
  return new ConsulHttpError(405, `method ${method} not allowed`, { headers: { Allow: ['OPTIONS', ...allowed].join(',') } });
}
