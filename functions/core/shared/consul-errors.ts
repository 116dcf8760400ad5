/**
 * Typed errors for Consul's HTTP API, built from its plain-text error bodies (consul-api.md §0, §2.3).
 *
 * Pure: no I/O. Invariant: a token secret never reaches a message, remedy or context. Paths are passed through
 * {@link sanitizeConsulPath} (drops `token=` values) and bodies through the caller's `secrets` mask.
 */
import { ConsulOpsError, type ConsulOpsErrorOptions } from './errors';

/** Where a failed request went; used in every message. `secrets` are masked wherever Consul text is echoed. */
export interface ConsulRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly address: string;
  /** Exact strings (the token in use) to mask in any echoed text. */
  readonly secrets?: readonly string[];
}

/** Stable codes of the Consul errors, for `isErrorCode(err, CONSUL_ERROR_CODES.noLeader)`. */
export const CONSUL_ERROR_CODES = {
  aclNotFound: 'CONSUL_ACL_NOT_FOUND',
  permissionDenied: 'CONSUL_PERMISSION_DENIED',
  endpointBlocked: 'CONSUL_ENDPOINT_BLOCKED',
  aclDisabled: 'CONSUL_ACL_DISABLED',
  tokenNotFound: 'CONSUL_TOKEN_NOT_FOUND',
  endpointNotFound: 'CONSUL_ENDPOINT_NOT_FOUND',
  notFound: 'CONSUL_NOT_FOUND',
  noLeader: 'CONSUL_NO_LEADER',
  rateLimited: 'CONSUL_RATE_LIMITED',
  serverError: 'CONSUL_SERVER_ERROR',
  badRequest: 'CONSUL_BAD_REQUEST',
  httpError: 'CONSUL_HTTP_ERROR',
  unreachable: 'CONSUL_UNREACHABLE',
  timeout: 'CONSUL_TIMEOUT',
  tls: 'CONSUL_TLS_FAILED',
  streamInterrupted: 'CONSUL_STREAM_INTERRUPTED',
  responseInvalid: 'CONSUL_RESPONSE_INVALID',
  caUnreadable: 'CONSUL_CA_UNREADABLE',
  resultsFiltered: 'CONSUL_RESULTS_FILTERED',
} as const;

const RPC_PREFIX = 'rpc error making call: ';
const TOKEN_QUERY = /([?&](?:token|x-consul-token)=)[^&#]*/gi;

/** The path with any `token=` query value replaced by `<redacted>`, safe for messages and logs. */
export function sanitizeConsulPath(path: string): string {
  return path.replace(TOKEN_QUERY, '$1<redacted>');
}

/** `text` with each non-empty secret replaced by `<redacted>`, and any `token=` value masked. */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('<redacted>');
  return out.replace(TOKEN_QUERY, '$1<redacted>').replace(/(token=)[^\s&"']+/gi, '$1<redacted>');
}

/** The Consul message without the `rpc error making call: ` prefix(es) that client agents add, trimmed. */
export function stripRpcPrefix(body: string): string {
  let text = body.trim();
  while (text.startsWith(RPC_PREFIX)) text = text.slice(RPC_PREFIX.length).trim();
  return text;
}

/** Base of every error caused by a Consul request: message starts with `METHOD path on address`. */
export class ConsulRequestError extends ConsulOpsError {
  constructor(code: string, req: ConsulRequestInfo, problem: string, remedy: string, options: ConsulOpsErrorOptions = {}) {
    const path = sanitizeConsulPath(req.path);
    super(code, `${req.method} ${path} on ${req.address}: ${problem}`, remedy, {
      ...options,
      context: { method: req.method, path, address: req.address, ...(options.context ?? {}) },
    });
  }
}

/** 403 `ACL not found` (or 404 `Supplied token does not exist`): Consul does not know the token presented. */
export class ConsulAclNotFoundError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, status: number, consulMessage: string) {
    const legacyAccessorHint = /^\/v1\/acl\/token\/(?!self)[^/?]+/.test(req.path)
      ? ' On Consul 1.14 and older this also means the token accessor ID in the path does not exist.'
      : '';
    super(
      CONSUL_ERROR_CODES.aclNotFound,
      req,
      `Consul does not know the token presented (${status} ${consulMessage})`,
      'Check that the token secret (the Secrets Manager secret, or CONSUL_HTTP_TOKEN / CONSUL_HTTP_TOKEN_FILE) holds the ' +
        `SecretID of an existing token in this datacenter.${legacyAccessorHint}`,
      { context: { status, consulMessage } },
    );
  }
}

/** What a `Permission denied` body says is missing. */
export interface MissingPermission {
  /** `<resource>:<level>`, e.g. `acl:write`. */
  readonly permission?: string;
  readonly resource?: string;
  readonly level?: string;
  /** The resource name after ` on "…"`, e.g. a service name. */
  readonly resourceName?: string;
  /** AccessorID of the denied token (not secret). */
  readonly accessorId?: string;
}

const LACKS = /lacks permission '([a-z_-]+):([a-z]+)'(?: on "([^"]*)")?/;
const ACCESSOR = /AccessorID '([0-9a-f-]{36})'/i;
const GLOBAL_RESOURCES = new Set(['acl', 'operator', 'keyring', 'mesh', 'peering']);

/** Parses `Permission denied: token with AccessorID '<id>' lacks permission 'acl:write' on "web"`. */
export function parsePermissionDenied(consulMessage: string): MissingPermission {
  const lacks = LACKS.exec(consulMessage);
  const accessorId = ACCESSOR.exec(consulMessage)?.[1];
  if (!lacks) return { accessorId };
  const [, resource, level, resourceName] = lacks;
  return { permission: `${resource}:${level}`, resource, level, resourceName, accessorId };
}

/** An ACL rule that grants `missing`, e.g. `acl = "write"` or `service_prefix "web" { policy = "write" }`. */
export function ruleGranting(missing: MissingPermission): string {
  const { resource, level, resourceName } = missing;
  if (!resource || !level) return 'acl = "write"';
  if (GLOBAL_RESOURCES.has(resource)) return `${resource} = "${level}"`;
  if (resource === 'intention') return `service_prefix "${resourceName ?? ''}" { intentions = "${level}" }`;
  return `${resource}_prefix "${resourceName ?? ''}" { policy = "${level}" }`;
}

/** 403 `Permission denied…`: the token is known but lacks a permission; `context.permission` names it. */
export class ConsulPermissionDeniedError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string) {
    const missing = parsePermissionDenied(consulMessage);
    const what = missing.permission
      ? `the token lacks permission '${missing.permission}'${missing.resourceName ? ` on "${missing.resourceName}"` : ''}`
      : `permission denied (${consulMessage})`;
    super(
      CONSUL_ERROR_CODES.permissionDenied,
      req,
      what,
      `Attach a policy to the token granting e.g. \`${ruleGranting(missing)}\`, or use a token that has it ` +
        '(snapshots need `acl = "write"` or global-management).',
      { context: { status: 403, consulMessage, ...missing } },
    );
  }
}

/**
 * Consul answered, but hid results from the token (`X-Consul-Results-Filtered-By-ACLs: true`) where consul-ops must
 * see everything (a partial catalog would make a partial check look healthy). `context.permission` names what the
 * token lacks, as for {@link ConsulPermissionDeniedError}.
 */
export class ConsulResultsFilteredError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, missing: { readonly resource: string; readonly level: string; readonly what: string }) {
    const permission = `${missing.resource}:${missing.level}`;
    super(
      CONSUL_ERROR_CODES.resultsFiltered,
      req,
      `Consul hid ${missing.what} from this token (X-Consul-Results-Filtered-By-ACLs): it lacks permission '${permission}'`,
      `Attach a policy to the token granting \`${ruleGranting({ resource: missing.resource, level: missing.level, resourceName: '' })}\`.`,
      { context: { permission, resource: missing.resource, level: missing.level, resourceName: '' } },
    );
  }
}

/** 403 `Endpoint is blocked by agent configuration` (`http_config.block_endpoints`). */
export class ConsulEndpointBlockedError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string) {
    super(CONSUL_ERROR_CODES.endpointBlocked, req, 'the agent blocks this endpoint',
      'Remove the path from http_config.block_endpoints on that agent, or point CONSUL_HTTP_ADDR at another agent.',
      { context: { status: 403, consulMessage } });
  }
}

/** 401 `ACL support disabled`: an ACL endpoint was called on a cluster without ACLs. */
export class ConsulAclDisabledError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string) {
    super(CONSUL_ERROR_CODES.aclDisabled, req, 'ACLs are disabled on this cluster',
      'Enable ACLs (acl.enabled = true) or skip the token checks for this cluster.',
      { context: { status: 401, consulMessage } });
  }
}

/** 404 `Requested token does not exist`, 404 `Cannot find token to delete`, 500 `Cannot find token "<id>"`. */
export class ConsulTokenNotFoundError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, status: number, consulMessage: string) {
    const accessorId = /^\/v1\/acl\/token\/([^/?]+)/.exec(req.path)?.[1];
    super(CONSUL_ERROR_CODES.tokenNotFound, req, `no token with AccessorID ${accessorId ?? '(unknown)'} (${consulMessage})`,
      'Check the accessor ID: the token may have been deleted or may have expired.',
      { context: { status, consulMessage, accessorId } });
  }
}

/** 404 `Invalid URL path: not a recognized HTTP API endpoint`: the agent does not serve this path. */
export class ConsulEndpointNotFoundError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string) {
    super(CONSUL_ERROR_CODES.endpointNotFound, req, 'not a recognized Consul HTTP API endpoint',
      'Check that the address points at a Consul agent (not a proxy) and that its version (>= 1.15) has this endpoint.',
      { context: { status: 404, consulMessage } });
  }
}

/** Any other 404 (config entry, policy, intention not found…). */
export class ConsulNotFoundError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string) {
    super(CONSUL_ERROR_CODES.notFound, req, `not found${consulMessage ? ` (${consulMessage})` : ''}`,
      'Check the name or ID, and the datacenter (?dc) the request targets.',
      { context: { status: 404, consulMessage } });
  }
}

/** 500 `No cluster leader`: the servers have no quorum (or are electing). Retried for safe requests. */
export class ConsulNoLeaderError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string) {
    super(CONSUL_ERROR_CODES.noLeader, req, 'the cluster has no leader',
      'Check server quorum (`consul operator raft list-peers`, at least (N/2)+1 servers healthy); reads and snapshots ' +
        'can still be served by any server with `stale` (e.g. --stale).',
      { context: { status: 500, consulMessage } });
  }
}

/** 429: Consul's RPC or HTTP rate limit rejected the request (nothing was applied). */
export class ConsulRateLimitedError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string, retryAfterMs?: number) {
    super(CONSUL_ERROR_CODES.rateLimited, req, `rate limited by Consul${consulMessage ? ` (${consulMessage})` : ''}`,
      'Retry later, or raise the agent rate limits (limits.http_max_conns_per_client, request_limits).',
      { context: { status: 429, consulMessage, retryAfterMs } });
  }
}

/** Other 5xx: the trimmed body is kept in the message and `context.consulMessage`. */
export class ConsulServerError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, status: number, consulMessage: string) {
    super(CONSUL_ERROR_CODES.serverError, req, `Consul answered ${status}: ${consulMessage || '(empty body)'}`,
      'Read the Consul message above; validation errors from Consul servers are reported as 500 too.',
      { context: { status, consulMessage } });
  }
}

/** 400: a malformed request (bad parameter or body), with Consul's message. */
export class ConsulBadRequestError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, consulMessage: string) {
    super(CONSUL_ERROR_CODES.badRequest, req, `Consul rejected the request: ${consulMessage || '(empty body)'}`,
      'Fix the parameter or body Consul names above.', { context: { status: 400, consulMessage } });
  }
}

/** Any status not covered above (3xx, 405…). */
export class ConsulHttpError extends ConsulRequestError {
  constructor(req: ConsulRequestInfo, status: number, consulMessage: string) {
    super(CONSUL_ERROR_CODES.httpError, req, `unexpected status ${status}${consulMessage ? `: ${consulMessage}` : ''}`,
      'Check that the address points at a Consul agent and not at a proxy or load balancer page.',
      { context: { status, consulMessage } });
  }
}

/**
 * Maps a non-2xx Consul response to a typed error. Checks follow `handleErr` in Consul's `agent/http.go`, with
 * handler-written 404s and the `rpc error making call: ` prefix of client agents.
 */
export function consulErrorFromResponse(
  status: number,
  bodyText: string,
  req: ConsulRequestInfo,
  retryAfterMs?: number,
): ConsulRequestError {
  const msg = maskSecrets(stripRpcPrefix(bodyText), req.secrets);
  if (status === 403) {
    if (msg.includes('Endpoint is blocked')) return new ConsulEndpointBlockedError(req, msg);
    if (msg.includes('Permission denied')) return new ConsulPermissionDeniedError(req, msg);
    if (msg.includes('ACL not found')) return new ConsulAclNotFoundError(req, status, msg);
  }
  if (status === 401 && msg.includes('ACL support disabled')) return new ConsulAclDisabledError(req, msg);
  if (status === 404) {
    if (msg.startsWith('Invalid URL path')) return new ConsulEndpointNotFoundError(req, msg);
    if (msg.includes('Supplied token does not exist')) return new ConsulAclNotFoundError(req, status, msg);
    if (/^(Requested token (does not exist|not found)|Cannot find token to delete)/.test(msg)) {
      return new ConsulTokenNotFoundError(req, status, msg);
    }
    return new ConsulNotFoundError(req, msg);
  }
  if (status === 429) return new ConsulRateLimitedError(req, msg, retryAfterMs);
  if (status >= 500 && msg.includes('No cluster leader')) return new ConsulNoLeaderError(req, msg);
  if (status === 500 && msg.startsWith('Cannot find token "')) return new ConsulTokenNotFoundError(req, status, msg);
  if (status >= 500) return new ConsulServerError(req, status, msg);
  if (status === 400) return new ConsulBadRequestError(req, msg);
  return new ConsulHttpError(req, status, msg);
}

/** The Consul CA bundle secret could not be read, so no TLS connection to Consul can be verified. */
export class ConsulCaUnreadableError extends ConsulOpsError {
  constructor(secretArn: string, cause: unknown) {
    super(
      CONSUL_ERROR_CODES.caUnreadable,
      `cannot read the Consul CA bundle from ${secretArn}: ${cause instanceof Error ? cause.message : String(cause)}`,
      'Check that the secret exists, holds a PEM bundle, and the function may read it (and its KMS key).',
      { context: { secretArn }, cause },
    );
  }
}
