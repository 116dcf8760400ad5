/**
 * Per-request context handed to handlers: parsed URL, token lookup in Consul's order, lazy token resolution,
 * body reading with byte accounting.
 */
import { IncomingMessage } from 'node:http';
import { AclTokenRecord } from './store';
import { authorizerFor, findTokenBySecret, resolveToken } from './acl-resolver';
import { AclSubject, AclVariant, endpointAclRow, EndpointAclRow } from './endpoint-acl';
import { FaultSpec } from './faults';
import { permissionDenied, permissionDeniedText } from './http-errors';
import { Authorizer } from './permissions';
import { SimulatorCore } from './types';

/** Where the request's token came from. */
export type TokenSource = 'query' | 'header' | 'bearer' | 'agent-default' | 'none';

/** Everything a handler needs about one request. */
export class RequestContext {
  readonly core: SimulatorCore;
  readonly req: IncomingMessage;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Body-shaping faults matched for this request. */
  readonly faults: FaultSpec[];
  /** The path after the route's prefix pattern (e.g. the AccessorID). */
  suffix = '';
  /** The matched route's pattern (set by the server before the handler runs): its row of the endpoint ACL table. */
  route: { readonly pattern: string } | undefined;
  /** The {@link ENDPOINT_ACL} row that was enforced for this request, if any. */
  aclEnforced: EndpointAclRow | undefined;
  /** Request-body bytes read so far. */
  bytesIn = 0;
  readonly secret: string;
  readonly tokenSource: TokenSource;
  private authz: Authorizer | undefined;
  private resolved: AclTokenRecord | undefined;

  constructor(core: SimulatorCore, req: IncomingMessage, url: URL, faults: FaultSpec[]) {
    this.core = core;
    this.req = req;
    this.method = req.method ?? 'GET';
    this.path = url.pathname;
    this.query = url.searchParams;
    this.faults = faults;
    const { secret, source } = parseToken(req, url.searchParams, core.options.agentDefaultToken);
    this.secret = secret;
    this.tokenSource = source;
  }

  /** True when the presence flag `?name` (any value) is set. */
  has(name: string): boolean {
    return this.query.has(name);
  }

  /** The fault of `kind` matched for this request, if any. */
  fault(kind: FaultSpec['kind']): FaultSpec | undefined {
    return this.faults.find((f) => f.kind === kind);
  }

  /** Resolves the token (403 `ACL not found` for unknown secrets) and returns its authorizer. */
  authorize(): Authorizer {
    if (!this.authz) {
      this.resolved = this.core.options.aclsEnabled ? resolveToken(this.core, this.secret) : undefined;
      this.authz = authorizerFor(this.core, this.resolved);
    }
    return this.authz;
  }

  /** The endpoint's row in the ACL table (`variant` picks e.g. the list form of `GET /v1/config/`). */
  aclRow(variant?: AclVariant): EndpointAclRow | undefined {
    return this.route ? endpointAclRow(this.route.pattern, this.method, variant) : undefined;
  }

  /** What the ACL table's rules see of this request, plus what the handler adds. */
  aclSubject(extra: Partial<AclSubject> = {}): AclSubject {
    return { suffix: this.suffix, query: this.query, nodeName: this.core.options.nodeName, ...extra };
  }

  /**
   * Enforces this endpoint's ACL row here (call it where Consul checks): `require` rows resolve the token (403 `ACL
   * not found`) and throw Consul's 403 for the first missing permission; `none` and `token-self` rows only mark the
   * check as done. `variant` picks e.g. the recursive form of `DELETE /v1/kv/`.
   */
  enforceAcl(extra: Partial<AclSubject> = {}, variant?: AclVariant): void {
    const row = this.requiredRow(variant, ['none', 'token-self', 'require']);
    if (row.mode === 'require') {
      const authz = this.authorize();
      for (const r of row.rules(this.aclSubject(extra))) {
        if (!authz.allowsRule(r)) throw permissionDenied(authz.accessorId, r.resource, r.level, r.name);
      }
    }
    this.aclEnforced = row;
  }

  /**
   * For `filter` rows: resolves the token (403 `ACL not found`) and returns a predicate telling whether one result
   * (described by `kind`/`name`/`node`) may be shown.
   */
  aclFilter(variant?: AclVariant): (item: Partial<AclSubject>) => boolean {
    const row = this.requiredRow(variant, ['filter']);
    const authz = this.authorize();
    this.aclEnforced = row;
    return (item) => row.rules(this.aclSubject(item)).every((r) => authz.allowsRule(r));
  }

  /**
   * For `per-operation` rows (`/v1/txn`): resolves the token (403 `ACL not found`) and returns, for one operation
   * (`verb`/`name`), Consul's permission-denied text for the first permission the token lacks, or `undefined`.
   */
  aclOperations(): (op: Partial<AclSubject>) => string | undefined {
    const row = this.requiredRow(undefined, ['per-operation']);
    const authz = this.authorize();
    this.aclEnforced = row;
    return (op) => {
      const missing = row.rules(this.aclSubject(op)).find((r) => !authz.allowsRule(r));
      return missing && permissionDeniedText(authz.accessorId, missing.resource, missing.level, missing.name);
    };
  }

  private requiredRow(variant: AclVariant | undefined, modes: readonly string[]): EndpointAclRow {
    const row = this.aclRow(variant);
    if (!row || !modes.includes(row.mode)) {
      throw new Error(`simulator bug: no ${modes.join('/')} ACL row for ${this.method} ${this.route?.pattern ?? this.path}`);
    }
    return row;
  }

  /** The resolved token (after {@link authorize}), `undefined` with ACLs disabled. */
  token(): AclTokenRecord | undefined {
    this.authorize();
    return this.resolved;
  }

  /** AccessorID of the request's token if it resolves, else the anonymous accessor. Never throws. */
  accessorIdForLog(): string | undefined {
    if (!this.core.options.aclsEnabled) return undefined;
    return findTokenBySecret(this.core, this.secret)?.AccessorID;
  }

  /** Reads the whole request body. */
  async readBody(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.req) {
      const buf = chunk as Buffer;
      this.bytesIn += buf.length;
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  }
}

/**
 * Consul's token lookup (`parseTokenInternal`): `?token=`, then `X-Consul-Token`, then `Authorization: Bearer <v>`
 * (scheme case-insensitive, first word of the value), then the agent's default token, else anonymous.
 */
export function parseToken(
  req: IncomingMessage,
  query: URLSearchParams,
  agentDefault: string | undefined,
): { secret: string; source: TokenSource } {
  const fromQuery = query.get('token');
  if (fromQuery) return { secret: fromQuery, source: 'query' };
  const header = req.headers['x-consul-token'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return { secret: fromHeader, source: 'header' };
  const auth = req.headers.authorization;
  if (auth) {
    const parts = auth.split(' ');
    if (parts.length >= 2 && parts[0].toLowerCase() === 'bearer') {
      const value = parts.slice(1).join(' ').trim().split(' ')[0].trim();
      if (value) return { secret: value, source: 'bearer' };
    }
  }
  if (agentDefault) return { secret: agentDefault, source: 'agent-default' };
  return { secret: '', source: 'none' };
}
