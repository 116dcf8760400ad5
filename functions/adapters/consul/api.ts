/**
 * Typed Consul endpoints on top of {@link ConsulHttpClient}. Each method is one request; path segments are
 * URL-encoded; retries follow the client (reads and idempotent writes only).
 */
import { Readable } from 'node:stream';
import { ConsulOpsError } from '../../core/shared/errors';
import type { ConsulHttpClient, ConsulResponse, ConsulStream } from './client';
import type {
  ACLToken, ACLTokenListEntry, ACLTokenWrite, AgentSelf, CAConfiguration, CARoots, CatalogService, CatalogServices,
  ConfigEntry, Intention, IssuedCert, ServiceEntry,
} from './types';

/** Read options shared by the query endpoints. */
export interface ConsulReadOptions {
  /** Target datacenter. @default - the agent's datacenter */
  readonly dc?: string;
  /** Let any server answer (works without a leader). @default false */
  readonly stale?: boolean;
}

/** Presents another secret than the client's token for one call (masked in errors like the client's own). */
export interface ConsulAsTokenOptions {
  /** @default - the client's token */
  readonly token?: string;
}

/** Options of {@link ConsulApi.snapshotSave}. */
export interface SnapshotSaveOptions extends ConsulReadOptions {
  readonly signal?: AbortSignal;
}

/** Options of {@link ConsulApi.snapshotRestore}. */
export interface SnapshotRestoreOptions {
  /** @default - the agent's datacenter */
  readonly dc?: string;
  /** Wait for the restore to finish; raft replay of big stores takes minutes. @default - the client's streamHeadersMs */
  readonly timeoutMs?: number;
}

function segment(value: string, what: string): string {
  if (value.trim() === '') throw new TypeError(`${what} must not be empty`);
  return encodeURIComponent(value);
}

function readQuery(opts: ConsulReadOptions = {}): { dc?: string; stale?: boolean } {
  return { dc: opts.dc, stale: opts.stale };
}

/**
 * The Consul endpoints consul-ops calls, typed after Consul's Go structs.
 *
 * @example
 * const api = new ConsulApi(client);
 * const { body: self } = await api.tokenSelf(pendingSecret); // test a rotated token before switching
 */
export class ConsulApi {
  constructor(readonly http: ConsulHttpClient) {}

  /** `GET /v1/agent/self`: version, datacenter, server flag, sanitised config. Needs `agent:read`. */
  agentSelf(): Promise<ConsulResponse<AgentSelf>> {
    return this.http.get<AgentSelf>('/v1/agent/self');
  }

  /** `GET /v1/status/leader`: `"10.1.10.12:8300"`, or `""` without a leader. */
  statusLeader(opts?: ConsulReadOptions): Promise<ConsulResponse<string>> {
    return this.http.get<string>('/v1/status/leader', { query: { dc: opts?.dc } });
  }

  /** `GET /v1/status/peers`: raft peer addresses. */
  statusPeers(opts?: ConsulReadOptions): Promise<ConsulResponse<string[]>> {
    return this.http.get<string[]>('/v1/status/peers', { query: { dc: opts?.dc } });
  }

  /** `GET /v1/snapshot`: the gzip tar archive as a live stream; `meta.index` is the snapshot's raft index. */
  snapshotSave(opts: SnapshotSaveOptions = {}): Promise<ConsulStream> {
    return this.http.getStream('/v1/snapshot', { query: readQuery(opts), signal: opts.signal });
  }

  /** `PUT /v1/snapshot`: streams an archive into the cluster. Never retried. Needs `acl:write`. */
  snapshotRestore(body: Readable, opts: SnapshotRestoreOptions = {}): Promise<ConsulResponse<string>> {
    return this.http.putStream('/v1/snapshot', body, {
      query: { dc: opts.dc },
      contentType: 'application/octet-stream',
      headersTimeoutMs: opts.timeoutMs,
    });
  }

  /** `PUT /v1/acl/token`: creates a token. Not retried once sent (a retry could create two). */
  tokenCreate(body: ACLTokenWrite, opts: ConsulAsTokenOptions = {}): Promise<ConsulResponse<ACLToken>> {
    return this.http.put<ACLToken>('/v1/acl/token', body, { token: opts.token });
  }

  /** `GET /v1/acl/token/:AccessorID`. */
  tokenRead(accessorId: string, opts: ConsulReadOptions & ConsulAsTokenOptions = {}): Promise<ConsulResponse<ACLToken>> {
    return this.http.get<ACLToken>(`/v1/acl/token/${segment(accessorId, 'accessorId')}`, { query: readQuery(opts), token: opts.token });
  }

  /**
   * `GET /v1/acl/token/self`: the token behind a secret. `secretOverride` presents a different secret than the
   * client's, e.g. a pending rotated token; it is masked in errors like the client's own token.
   */
  tokenSelf(secretOverride?: string): Promise<ConsulResponse<ACLToken>> {
    return this.http.get<ACLToken>('/v1/acl/token/self', { token: secretOverride });
  }

  /** `PUT /v1/acl/token/:AccessorID`: replaces the token's fields (idempotent, so retried). */
  tokenUpdate(accessorId: string, body: ACLTokenWrite): Promise<ConsulResponse<ACLToken>> {
    return this.http.put<ACLToken>(`/v1/acl/token/${segment(accessorId, 'accessorId')}`, body, { idempotent: true });
  }

  /** `PUT /v1/acl/token/:AccessorID/clone`: a new token with the same links and a new secret. */
  tokenClone(accessorId: string, description?: string): Promise<ConsulResponse<ACLToken>> {
    const body = description === undefined ? {} : { Description: description };
    return this.http.put<ACLToken>(`/v1/acl/token/${segment(accessorId, 'accessorId')}/clone`, body);
  }

  /** `DELETE /v1/acl/token/:AccessorID` → `true`. A retry after a lost answer can end in `CONSUL_TOKEN_NOT_FOUND`. */
  tokenDelete(accessorId: string, opts: ConsulAsTokenOptions = {}): Promise<ConsulResponse<boolean>> {
    return this.http.delete<boolean>(`/v1/acl/token/${segment(accessorId, 'accessorId')}`, { token: opts.token });
  }

  /** `GET /v1/acl/tokens`: all tokens (list stubs). Needs `acl:read`. */
  tokenList(opts?: ConsulReadOptions): Promise<ConsulResponse<ACLTokenListEntry[]>> {
    return this.http.get<ACLTokenListEntry[]>('/v1/acl/tokens', { query: readQuery(opts) });
  }

  /** `GET /v1/config/:kind`: all config entries of a kind (ACL-filtered). */
  configEntries<T extends ConfigEntry = ConfigEntry>(kind: string, opts?: ConsulReadOptions): Promise<ConsulResponse<T[]>> {
    return this.http.get<T[]>(`/v1/config/${segment(kind, 'kind')}`, { query: readQuery(opts) });
  }

  /** `GET /v1/config/:kind/:name`. A missing entry is `CONSUL_NOT_FOUND`. */
  configEntry<T extends ConfigEntry = ConfigEntry>(kind: string, name: string, opts?: ConsulReadOptions): Promise<ConsulResponse<T>> {
    return this.http.get<T>(`/v1/config/${segment(kind, 'kind')}/${segment(name, 'name')}`, { query: readQuery(opts) });
  }

  /** `GET /v1/connect/intentions`: all intentions in compat form, filtered per destination by ACLs. */
  intentionsList(opts?: ConsulReadOptions & { readonly filter?: string }): Promise<ConsulResponse<Intention[]>> {
    return this.http.get<Intention[]>('/v1/connect/intentions', { query: { ...readQuery(opts), filter: opts?.filter } });
  }

  /** `GET /v1/connect/ca/roots`: no ACL needed. */
  caRoots(opts?: ConsulReadOptions): Promise<ConsulResponse<CARoots>> {
    return this.http.get<CARoots>('/v1/connect/ca/roots', { query: readQuery(opts) });
  }

  /** `GET /v1/connect/ca/configuration`: needs `operator:write` (since 1.8.6). */
  caConfiguration(opts?: ConsulReadOptions): Promise<ConsulResponse<CAConfiguration>> {
    return this.http.get<CAConfiguration>('/v1/connect/ca/configuration', { query: readQuery(opts) });
  }

  /** `GET /v1/agent/connect/ca/leaf/:service`: a leaf certificate and its private key. Needs `service:write`. */
  agentLeaf(service: string): Promise<ConsulResponse<IssuedCert>> {
    return this.http.get<IssuedCert>(`/v1/agent/connect/ca/leaf/${segment(service, 'service')}`);
  }

  /** `GET /v1/catalog/services`: service name → tags. */
  catalogServices(opts?: ConsulReadOptions): Promise<ConsulResponse<CatalogServices>> {
    return this.http.get<CatalogServices>('/v1/catalog/services', { query: readQuery(opts) });
  }

  /** `GET /v1/catalog/service/:name`: instances, with `ServiceKind` (`connect-proxy`…). */
  catalogService(name: string, opts?: ConsulReadOptions): Promise<ConsulResponse<CatalogService[]>> {
    return this.http.get<CatalogService[]>(`/v1/catalog/service/${segment(name, 'name')}`, { query: readQuery(opts) });
  }

  /** `GET /v1/health/connect/:service`: mesh-capable instances (sidecars or native) of a service. */
  healthConnect(service: string, opts?: ConsulReadOptions & { readonly passing?: boolean }): Promise<ConsulResponse<ServiceEntry[]>> {
    return this.http.get<ServiceEntry[]>(`/v1/health/connect/${segment(service, 'service')}`, {
      query: { ...readQuery(opts), passing: opts?.passing },
    });
  }

  /**
   * `GET /v1/kv/<prefix>?recurse`: every entry under a plain prefix, with its value; none gives `[]` (Consul answers
   * 404). Read as text so that `Flags` (a uint64) stays exact. Needs `key:read` (entries without it are filtered).
   */
  async kvList(prefix: string, opts?: ConsulReadOptions): Promise<KvDirEntry[]> {
    let stream;
    try {
      stream = await this.http.getStream(`/v1/kv/${kvPath(prefix)}`, { query: { ...readQuery(opts), recurse: true }, acceptGzip: true });
    } catch (err) {
      if (err instanceof ConsulOpsError && err.code === 'CONSUL_NOT_FOUND') return [];
      throw err;
    }
    const parts: Buffer[] = [];
    for await (const chunk of stream.body) parts.push(chunk as Buffer);
    // Quote the Flags numbers before JSON.parse: above 2^53 a JSON number loses digits. `"Flags":` with both quotes
    // unescaped can only be the field itself, never text inside a key or value (those quotes would be escaped).
    const text = Buffer.concat(parts).toString('utf8').replace(/"Flags":(\d+)/g, '"Flags":"$1"');
    return (JSON.parse(text) as (Omit<KvDirEntry, 'Flags'> & { Flags: string })[]).map((e) => ({ ...e, Flags: BigInt(e.Flags) }));
  }

  /**
   * `PUT /v1/txn` with a JSON body built by the caller (`Flags` may exceed 2^53). Resolves `{ Errors: null }` when
   * applied; a refused transaction (409) resolves with Consul's `Errors`. Never retried: a transaction sent twice
   * could fail its own check-and-set operations.
   */
  async txn(bodyJson: string, opts: { readonly dc?: string } = {}): Promise<{ readonly Errors: readonly { readonly OpIndex: number; readonly What: string }[] | null }> {
    try {
      await this.http.putStream('/v1/txn', Readable.from([Buffer.from(bodyJson, 'utf8')]), { contentType: 'application/json', query: { dc: opts.dc } });
      return { Errors: null };
    } catch (err) {
      const refused = err instanceof ConsulOpsError && err.context.status === 409 ? parseTxnErrors(err.context.consulMessage) : undefined;
      if (refused) return { Errors: refused };
      throw err;
    }
  }

  /** `PUT /v1/kv/<key>?cas=<index>&flags=<flags>` with the raw value: `true` when written, `false` when the CAS failed. */
  async kvPutCas(key: string, value: Buffer, options: { readonly cas: number; readonly flags: bigint; readonly dc?: string }): Promise<boolean> {
    const { body } = await this.http.putStream(`/v1/kv/${kvPath(key)}`, Readable.from([value]), { query: { dc: options.dc, cas: options.cas, flags: options.flags.toString() } });
    return body.trim() === 'true';
  }
}

/** A KV entry as `GET /v1/kv` returns it (`api.KVPair`), with `Flags` exact. */
export interface KvDirEntry {
  readonly Key: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly LockIndex: number;
  readonly Flags: bigint;
  /** Base64, or null for a nil value. */
  readonly Value: string | null;
  readonly Session?: string;
}

/** A KV key as a URL path: each segment encoded, the slashes kept (Consul takes the rest of the path as the key). */
function kvPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function parseTxnErrors(text: unknown): { OpIndex: number; What: string }[] | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const parsed = JSON.parse(text) as { Errors?: { OpIndex: number; What: string }[] | null };
    return Array.isArray(parsed.Errors) && parsed.Errors.length > 0 ? parsed.Errors : undefined;
  } catch {
    return undefined;
  }
}
