/**
 * The simulator's replicated ("raft") state: ACL tokens/policies/roles, config entries, catalog services, KV pairs
 * and the Connect CA, with Consul-like raft indexes. Everything here is what a snapshot captures and a restore
 * replaces. Runtime-only facts (leadership, version, leaf cache) live elsewhere.
 */
import { EventEmitter } from 'node:events';

/** A policy or role link as stored (Consul persists the ID only and fills the Name back on read). */
export interface IdLink {
  readonly ID: string;
}

/** A token/role service identity. */
export interface ServiceIdentity {
  readonly ServiceName: string;
  readonly Datacenters?: string[];
}

/** A token/role node identity. */
export interface NodeIdentity {
  readonly NodeName: string;
  readonly Datacenter: string;
}

/** A token/role templated policy (`structs.ACLTemplatedPolicy`, Consul ≥ 1.17). */
export interface TemplatedPolicyRecord {
  readonly TemplateID: string;
  readonly TemplateName: string;
  /** `TemplateVariables.name` on the wire. */
  readonly TemplateVariables?: { readonly Name: string };
  readonly Datacenters?: string[];
}

/** A stored ACL token (`structs.ACLToken`). */
export interface AclTokenRecord {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: IdLink[];
  Roles: IdLink[];
  ServiceIdentities: ServiceIdentity[];
  NodeIdentities: NodeIdentity[];
  /** Consul ≥ 1.17; absent when the token has none. */
  TemplatedPolicies?: TemplatedPolicyRecord[];
  Local: boolean;
  AuthMethod: string;
  /** RFC 3339; absent when the token never expires. */
  ExpirationTime?: string;
  CreateTime: string;
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A stored ACL policy (`structs.ACLPolicy`). */
export interface AclPolicyRecord {
  ID: string;
  Name: string;
  Description: string;
  Rules: string;
  Datacenters: string[];
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A stored ACL role (`structs.ACLRole`). */
export interface AclRoleRecord {
  ID: string;
  Name: string;
  Description: string;
  Policies: IdLink[];
  ServiceIdentities: ServiceIdentity[];
  NodeIdentities: NodeIdentity[];
  /** Consul ≥ 1.17; absent when the role has none. */
  TemplatedPolicies?: TemplatedPolicyRecord[];
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A normalized config entry before indexes are stamped. */
export interface ConfigEntryBody {
  Kind: string;
  Name: string;
  [field: string]: unknown;
}

/** A stored config entry: Go field names, already normalized. */
export interface ConfigEntryRecord {
  Kind: string;
  Name: string;
  CreateIndex: number;
  ModifyIndex: number;
  [field: string]: unknown;
}

/** The proxy part of a `connect-proxy` service instance. */
export interface ServiceProxyRecord {
  DestinationServiceName: string;
  DestinationServiceID?: string;
  LocalServiceAddress?: string;
  LocalServicePort?: number;
}

/** One service instance in the catalog. */
export interface CatalogServiceRecord {
  Node: string;
  Address: string;
  ServiceID: string;
  ServiceName: string;
  /** `''` for a typical service, `connect-proxy` for a sidecar. */
  ServiceKind: string;
  ServiceTags: string[];
  ServiceAddress: string;
  ServicePort: number;
  ServiceMeta: Record<string, string>;
  ServiceProxy?: ServiceProxyRecord;
  ConnectNative: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A Connect CA root, including its signing key (real snapshots carry the consul provider's keys too). */
export interface CaRootRecord {
  ID: string;
  Name: string;
  /** Decimal text of the uint64 serial (can exceed 2^53). */
  SerialNumber: string;
  SigningKeyID: string;
  NotBefore: string;
  NotAfter: string;
  RootCert: string;
  /** PKCS#8 PEM of the root key. */
  PrivateKeyPem: string;
  Active: boolean;
  PrivateKeyType: 'ec';
  PrivateKeyBits: 256;
  CreateIndex: number;
  ModifyIndex: number;
}

/** The Connect CA configuration (`structs.CAConfiguration`). */
export interface CaConfigRecord {
  Provider: string;
  Config: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}

/** The replicated tables; each keeps its own index like a memdb table. */
export type Table =
  | 'acl-tokens'
  | 'acl-policies'
  | 'acl-roles'
  | 'config-entries'
  | 'catalog'
  | 'kv'
  | 'connect-ca-roots'
  | 'connect-ca-config';

/** The JSON document that state.bin carries (after its msgpack-style header). */
export interface PersistedState {
  readonly format: 'consul-ops-simulator/v1';
  readonly index: number;
  readonly term: number;
  readonly clusterId: string;
  readonly tableIndexes: Partial<Record<Table, number>>;
  readonly tokens: AclTokenRecord[];
  readonly policies: AclPolicyRecord[];
  readonly roles: AclRoleRecord[];
  readonly configEntries: ConfigEntryRecord[];
  readonly services: CatalogServiceRecord[];
  readonly kv: Record<string, string>;
  readonly caRoots: CaRootRecord[];
  readonly caConfig: CaConfigRecord;
}

/**
 * The tables plus the raft index. `commit(table)` allocates the next index for a write and wakes blocking queries
 * (event `change` with the table name).
 */
export class SimulatorStore extends EventEmitter {
  index = 0;
  term = 2;
  clusterId: string;
  readonly tokens = new Map<string, AclTokenRecord>();
  readonly policies = new Map<string, AclPolicyRecord>();
  readonly roles = new Map<string, AclRoleRecord>();
  readonly configEntries = new Map<string, ConfigEntryRecord>();
  readonly services = new Map<string, CatalogServiceRecord>();
  readonly kv = new Map<string, string>();
  caRoots: CaRootRecord[] = [];
  caConfig: CaConfigRecord;
  private tableIndexes: Partial<Record<Table, number>> = {};

  constructor(clusterId: string, caConfig: CaConfigRecord) {
    super();
    this.setMaxListeners(0);
    this.clusterId = clusterId;
    this.caConfig = caConfig;
  }

  /** Allocates the raft index of a write to `table`, records it as the table index and notifies watchers. */
  commit(table: Table): number {
    this.index += 1;
    this.tableIndexes[table] = this.index;
    this.emit('change', table);
    return this.index;
  }

  /** The index of the last write to any of `tables` (0 when never written). */
  tableIndex(...tables: Table[]): number {
    return Math.max(0, ...tables.map((t) => this.tableIndexes[t] ?? 0));
  }

  /** Key of a config entry in {@link configEntries}. */
  static entryKey(kind: string, name: string): string {
    return `${kind}/${name}`;
  }

  /** A deep copy of everything a snapshot contains. */
  toPersisted(): PersistedState {
    const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
    return clone({
      format: 'consul-ops-simulator/v1',
      index: this.index,
      term: this.term,
      clusterId: this.clusterId,
      tableIndexes: this.tableIndexes,
      tokens: [...this.tokens.values()],
      policies: [...this.policies.values()],
      roles: [...this.roles.values()],
      configEntries: [...this.configEntries.values()],
      services: [...this.services.values()],
      kv: Object.fromEntries(this.kv),
      caRoots: this.caRoots,
      caConfig: this.caConfig,
    });
  }

  /**
   * Replaces every table with a restored document. Table indexes (and so `X-Consul-Index`) go back to the snapshot's
   * values, as after a Consul restore; the raft index itself keeps moving forward (the restore is a raft entry).
   */
  replaceWith(state: PersistedState): void {
    const fill = <T>(map: Map<string, T>, items: T[], key: (t: T) => string): void => {
      map.clear();
      for (const item of items) map.set(key(item), item);
    };
    fill(this.tokens, state.tokens, (t) => t.AccessorID);
    fill(this.policies, state.policies, (p) => p.ID);
    fill(this.roles, state.roles, (r) => r.ID);
    fill(this.configEntries, state.configEntries, (e) => SimulatorStore.entryKey(e.Kind, e.Name));
    fill(this.services, state.services, (s) => `${s.Node}/${s.ServiceID}`);
    this.kv.clear();
    for (const [k, v] of Object.entries(state.kv)) this.kv.set(k, v);
    this.caRoots = state.caRoots;
    this.caConfig = state.caConfig;
    this.index = Math.max(this.index, state.index) + 1;
    this.term = Math.max(this.term, state.term);
    this.clusterId = state.clusterId;
    this.tableIndexes = { ...state.tableIndexes };
    for (const t of Object.keys(this.tableIndexes)) this.emit('change', t);
  }
}
