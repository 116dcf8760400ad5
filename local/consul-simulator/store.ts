/**
 * The simulator's replicated ("raft") state, table by table as Consul's state store holds it: catalog nodes with
 * their services and checks, KV entries and tombstones, sessions, ACL tokens/policies/roles/binding rules/auth
 * methods, config entries, the Connect CA (roots, provider keys, configuration), autopilot, system metadata,
 * federation states, virtual IPs and the index table. Everything here is what a snapshot captures and a restore
 * replaces; runtime-only facts (leadership, version, leaf cache) live elsewhere.
 */
import { EventEmitter } from 'node:events';
import type {
  AclAuthMethodRecord,
  AclBindingRuleRecord,
  AclPolicyRecord,
  AclRoleRecord,
  AclTokenRecord,
  AutopilotRecord,
  CaConfigRecord,
  CaRootRecord,
  ConfigEntryRecord,
  DirEntryRecord,
  FederationStateRecord,
  FreeVirtualIpRecord,
  HealthCheckRecord,
  NodeRecord,
  NodeServiceRecord,
  ServiceVirtualIpRecord,
  SessionRecord,
  SystemMetadataRecord,
} from './store-records';

export type * from './store-records';

/** Consul's memdb table names, as the index table (and so `Index` snapshot records) names them. */
export type Table =
  | 'nodes'
  | 'services'
  | 'checks'
  | 'kvs'
  | 'tombstones'
  | 'sessions'
  | 'acl-tokens'
  | 'acl-policies'
  | 'acl-roles'
  | 'acl-binding-rules'
  | 'acl-auth-methods'
  | 'config-entries'
  | 'connect-ca-roots'
  | 'connect-ca-config'
  | 'connect-ca-builtin'
  | 'autopilot-config'
  | 'system-metadata'
  | 'federation-states'
  | 'service-virtual-ips'
  | 'free-virtual-ips';

/** Every table's content as plain data (Maps as arrays), e.g. to compare the state before and after a restore. */
export interface StoreTables {
  readonly clusterId: string;
  readonly nodes: NodeRecord[];
  readonly services: NodeServiceRecord[];
  readonly checks: HealthCheckRecord[];
  readonly kv: DirEntryRecord[];
  readonly tombstones: [string, number][];
  readonly sessions: SessionRecord[];
  readonly tokens: AclTokenRecord[];
  readonly policies: AclPolicyRecord[];
  readonly roles: AclRoleRecord[];
  readonly bindingRules: AclBindingRuleRecord[];
  readonly authMethods: AclAuthMethodRecord[];
  readonly configEntries: ConfigEntryRecord[];
  readonly caRoots: CaRootRecord[];
  readonly caConfig: CaConfigRecord;
  readonly autopilot: AutopilotRecord | undefined;
  readonly systemMetadata: SystemMetadataRecord[];
  readonly federationStates: FederationStateRecord[];
  readonly serviceVirtualIps: ServiceVirtualIpRecord[];
  readonly freeVirtualIps: FreeVirtualIpRecord[];
  /** Records of types the simulator keeps verbatim (coordinates, prepared queries, peerings, resources…): type → values. */
  readonly opaque: [number, Buffer[]][];
  /** The index table: table (or sub-index) name → raft index. */
  readonly indexes: [string, number][];
}

/**
 * The tables plus the raft index. `commit(table)` allocates the next index for a write and wakes blocking queries
 * (event `change` with the table name).
 */
export class SimulatorStore extends EventEmitter {
  index = 0;
  term = 2;
  clusterId: string;
  readonly nodes = new Map<string, NodeRecord>();
  /** Keyed `<node>/<service ID>`. */
  readonly services = new Map<string, NodeServiceRecord>();
  /** Keyed `<node>/<check ID>`. */
  readonly checks = new Map<string, HealthCheckRecord>();
  readonly kv = new Map<string, DirEntryRecord>();
  /** Deleted keys → the index of the deletion (the KV graveyard). */
  readonly tombstones = new Map<string, number>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly tokens = new Map<string, AclTokenRecord>();
  readonly policies = new Map<string, AclPolicyRecord>();
  readonly roles = new Map<string, AclRoleRecord>();
  readonly bindingRules = new Map<string, AclBindingRuleRecord>();
  readonly authMethods = new Map<string, AclAuthMethodRecord>();
  readonly configEntries = new Map<string, ConfigEntryRecord>();
  caRoots: CaRootRecord[] = [];
  caConfig: CaConfigRecord;
  autopilot: AutopilotRecord | undefined;
  readonly systemMetadata = new Map<string, SystemMetadataRecord>();
  readonly federationStates = new Map<string, FederationStateRecord>();
  /** Keyed by service name. */
  readonly serviceVirtualIps = new Map<string, ServiceVirtualIpRecord>();
  freeVirtualIps: FreeVirtualIpRecord[] = [];
  readonly opaque = new Map<number, Buffer[]>();
  private readonly indexes = new Map<string, number>();

  constructor(clusterId: string, caConfig: CaConfigRecord) {
    super();
    this.setMaxListeners(0);
    this.clusterId = clusterId;
    this.caConfig = caConfig;
  }

  /** Allocates the raft index of a write to `tables`, records it in the index table and notifies watchers. */
  commit(...tables: Table[]): number {
    this.index += 1;
    for (const table of tables) this.indexes.set(table, this.index);
    for (const table of tables) this.emit('change', table);
    return this.index;
  }

  /** Allocates a raft index without touching any table (a write whose tables are touched as it applies). */
  allocate(): number {
    this.index += 1;
    return this.index;
  }

  /** Bumps the index table entry of `tables` to an index already allocated (several tables in one raft write). */
  touch(index: number, ...tables: Table[]): void {
    for (const table of tables) this.indexes.set(table, Math.max(index, this.indexes.get(table) ?? 0));
    for (const table of tables) this.emit('change', table);
  }

  /** The index of the last write to any of `tables` (0 when never written). */
  tableIndex(...tables: Table[]): number {
    return Math.max(0, ...tables.map((t) => this.indexes.get(t) ?? 0));
  }

  /** The index table, sorted by name (what `persistIndex` writes). */
  indexRows(): [string, number][] {
    return [...this.indexes.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** Highest index in the index table: the snapshot header's `LastIndex` (`state.LastIndex`). */
  lastIndex(): number {
    return Math.max(0, ...this.indexes.values());
  }

  /** Key of a config entry in {@link configEntries}. */
  static entryKey(kind: string, name: string): string {
    return `${kind}/${name}`;
  }

  /** A deep copy of every table, each sorted by its key (so two copies of the same state compare equal). */
  tables(): StoreTables {
    const rows = <T>(map: Map<string, T>): T[] => [...map.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map(([, v]) => v);
    return cloneDeep({
      clusterId: this.clusterId,
      nodes: rows(this.nodes),
      services: rows(this.services),
      checks: rows(this.checks),
      kv: rows(this.kv),
      tombstones: rows(new Map([...this.tombstones.entries()].map((e) => [e[0], e]))),
      sessions: rows(this.sessions),
      tokens: rows(this.tokens),
      policies: rows(this.policies),
      roles: rows(this.roles),
      bindingRules: rows(this.bindingRules),
      authMethods: rows(this.authMethods),
      configEntries: rows(this.configEntries),
      caRoots: [...this.caRoots].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0)),
      caConfig: this.caConfig,
      autopilot: this.autopilot,
      systemMetadata: rows(this.systemMetadata),
      federationStates: rows(this.federationStates),
      serviceVirtualIps: rows(this.serviceVirtualIps),
      freeVirtualIps: this.freeVirtualIps,
      opaque: [...this.opaque.entries()].sort(([a], [b]) => a - b),
      indexes: this.indexRows(),
    });
  }

  /**
   * Replaces every table (a restore). The index table (and so `X-Consul-Index`) goes back to the restored values; the
   * raft index moves past both the current one and `raftIndex` (raft leaves a hole: `max(last, snapshot) + 1`).
   */
  replaceWith(t: StoreTables, raftIndex = 0): void {
    const fill = <T>(target: Map<string, T>, items: T[], key: (item: T) => string): void => {
      target.clear();
      for (const item of items) target.set(key(item), item);
    };
    const copy = cloneDeep(t);
    this.clusterId = copy.clusterId;
    fill(this.nodes, copy.nodes, (n) => n.Node);
    fill(this.services, copy.services, (s) => `${s.Node}/${s.ID}`);
    fill(this.checks, copy.checks, (c) => `${c.Node}/${c.CheckID}`);
    fill(this.kv, copy.kv, (e) => e.Key);
    this.tombstones.clear();
    for (const [key, index] of copy.tombstones) this.tombstones.set(key, index);
    fill(this.sessions, copy.sessions, (s) => s.ID);
    fill(this.tokens, copy.tokens, (x) => x.AccessorID);
    fill(this.policies, copy.policies, (p) => p.ID);
    fill(this.roles, copy.roles, (r) => r.ID);
    fill(this.bindingRules, copy.bindingRules, (r) => r.ID);
    fill(this.authMethods, copy.authMethods, (m) => m.Name);
    fill(this.configEntries, copy.configEntries, (e) => SimulatorStore.entryKey(e.Kind, e.Name));
    this.caRoots = copy.caRoots;
    this.caConfig = copy.caConfig;
    this.autopilot = copy.autopilot;
    fill(this.systemMetadata, copy.systemMetadata, (e) => e.Key);
    fill(this.federationStates, copy.federationStates, (f) => f.Datacenter);
    fill(this.serviceVirtualIps, copy.serviceVirtualIps, (v) => v.Service.ServiceName.Name);
    this.freeVirtualIps = copy.freeVirtualIps;
    this.opaque.clear();
    for (const [type, values] of copy.opaque) this.opaque.set(type, values);
    const changed = new Set([...this.indexes.keys(), ...copy.indexes.map(([k]) => k)]);
    this.indexes.clear();
    for (const [key, value] of copy.indexes) this.indexes.set(key, value);
    this.index = Math.max(this.index, raftIndex) + 1;
    for (const table of changed) this.emit('change', table);
  }
}

/** A deep copy that keeps Buffers as Buffers (`structuredClone` would turn them into plain Uint8Arrays). */
export function cloneDeep<T>(value: T): T {
  if (value instanceof Uint8Array) return Buffer.from(value) as T;
  if (Array.isArray(value)) return value.map(cloneDeep) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneDeep(v)])) as T;
  }
  return value;
}
