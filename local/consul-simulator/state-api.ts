/**
 * The programmatic state API of the simulator (`simulator.state`): seed and inspect ACL objects, config entries,
 * catalog nodes/services/checks, KV data, sessions, the CA, leadership and version, without going through HTTP or
 * permissions.
 */
import { GLOBAL_MANAGEMENT_POLICY_ID } from './acl-resolver';
import { PolicyInput, RoleInput, writePolicy, writeRole } from './acl-policies';
import { createToken, TokenInput } from './acl-token-writer';
import { ConnectCa } from './ca';
import { serverNodeMeta } from './bootstrap';
import { startSidecar, type Sidecar, type SidecarOptions } from './sidecar';
import { CheckRegistration, deregisterService, NodeRegistration, registerCheck, registerNode, registerService, ServiceRegistration } from './catalog';
import { KvBatch, kvList } from './kv-store';
import { normalizeConfigEntry, renderConfigEntry, upsertConfigEntry } from './config-entries';
import { newUuid, rfc3339Nano } from './go-format';
import { AclPolicyRecord, AclRoleRecord, AclTokenRecord, ConfigEntryRecord, SimulatorStore, StoreTables } from './store';
import type { AclAuthMethodRecord, AclBindingRuleRecord, DirEntryRecord, HealthCheckRecord, NodeRecord, NodeServiceRecord, SessionRecord } from './store-records';
import { RestoreRecord, SimulatorCore, SnapshotRecord } from './types';
import { applyConsulVersion, ConsulProfile } from './version-profiles';

/** Seeding and inspection hooks over one simulator's state. */
export class SimulatorState {
  constructor(private readonly core: SimulatorCore) {}

  /** The raw tables (read them freely; write through the methods so indexes move). */
  get store(): SimulatorStore {
    return this.core.store;
  }

  /** The Connect CA: `rotateRoot`, `setLeafCertTtl`, `setLeafValidity`, `pinLeaf`, `clearLeafCache`, `activeRoot`. */
  get ca(): ConnectCa {
    return this.core.ca;
  }

  /** The current raft index (what the next snapshot's `Index` will be). */
  get index(): number {
    return this.core.store.index;
  }

  /** Restores accepted by `PUT /v1/snapshot`, oldest first. */
  get restores(): readonly RestoreRecord[] {
    return this.core.runtime.restores;
  }

  /** Snapshots served by `GET /v1/snapshot`, oldest first. */
  get snapshots(): readonly SnapshotRecord[] {
    return this.core.runtime.snapshots;
  }

  /** Whether the cluster has a leader. */
  get leader(): boolean {
    return this.core.runtime.leader;
  }

  /** Turns leadership on or off (off: server reads need `?stale`, writes fail with `No cluster leader`). */
  setLeader(on: boolean): void {
    if (this.core.runtime.leader && !on) this.core.runtime.leaderLostAt = this.core.now().getTime();
    this.core.runtime.leader = on;
  }

  /** Fixes `X-Consul-LastContact` for stale reads without a leader (`undefined`: time since leadership was lost). */
  setLastContact(ms: number | undefined): void {
    this.core.runtime.lastContactOverrideMs = ms;
  }

  /** The version `/v1/agent/self` reports. */
  get version(): string {
    return this.core.runtime.version;
  }

  /**
   * Changes the simulated Consul version (e.g. `1.15.1` for known-bad-version checks): the reported version, the
   * behaviour profile and the server node's `consul-version` meta together, as after an upgrade or downgrade.
   */
  setVersion(version: string): void {
    applyConsulVersion(this.core, version);
    const node = this.core.store.nodes.get(this.core.options.nodeName);
    if (node && node.Meta['consul-version'] !== version) registerNode(this.core, { node: node.Node, meta: { ...node.Meta, ...serverNodeMeta(version) } });
  }

  /** The active version profile (read `profile.features.<flag>`). */
  get profile(): ConsulProfile {
    return this.core.profile;
  }

  /** Lets every pending ACL replication write reach this (secondary) datacenter now. */
  replicateNow(): void {
    this.core.replication.flush();
  }

  /** How many primary-side token writes have not replicated to this datacenter yet. */
  get replicationBacklog(): number {
    return this.core.replication.backlog;
  }

  /** Creates (or, with an existing `ID`, updates) a policy; same validation as the HTTP API. */
  createPolicy(input: PolicyInput): AclPolicyRecord {
    return writePolicy(this.core.store, input);
  }

  /** Creates (or updates) a role; same validation as the HTTP API. */
  createRole(input: RoleInput): AclRoleRecord {
    return writeRole(this.core, input);
  }

  /**
   * Creates a token with the HTTP API's validation (Go field names, e.g. `{ Policies: [{ Name: 'ops' }] }`). In a
   * secondary, a global token replicates like one written over HTTP (see {@link replicateNow}).
   */
  createToken(input: TokenInput): AclTokenRecord {
    return createToken(this.core, input);
  }

  /** Creates a token linked to global-management. */
  createManagementToken(input: Omit<TokenInput, 'Policies'> = {}): AclTokenRecord {
    return this.createToken({ ...input, Policies: [{ ID: GLOBAL_MANAGEMENT_POLICY_ID }] });
  }

  /** Forces a token's `ExpirationTime` (any instant, even in the past), bypassing the 1m–24h bounds. */
  setTokenExpiration(accessorId: string, expiration: Date | undefined): void {
    const token = this.requireToken(accessorId);
    if (expiration === undefined) delete token.ExpirationTime;
    else token.ExpirationTime = rfc3339Nano(expiration);
    token.ModifyIndex = this.core.store.commit('acl-tokens');
  }

  /** Stores an ACL auth method (no login flow is simulated; snapshots carry it). */
  setAuthMethod(method: Omit<AclAuthMethodRecord, 'CreateIndex' | 'ModifyIndex'>): AclAuthMethodRecord {
    const existing = this.core.store.authMethods.get(method.Name);
    const index = this.core.store.commit('acl-auth-methods');
    const record = { ...method, CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index };
    this.core.store.authMethods.set(record.Name, record);
    return record;
  }

  /** Stores an ACL binding rule for an auth method (snapshots carry it). */
  setBindingRule(rule: Omit<AclBindingRuleRecord, 'ID' | 'CreateIndex' | 'ModifyIndex'> & { ID?: string }): AclBindingRuleRecord {
    const id = rule.ID ?? newUuid();
    const existing = this.core.store.bindingRules.get(id);
    const index = this.core.store.commit('acl-binding-rules');
    const record = { ...rule, ID: id, CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index };
    this.core.store.bindingRules.set(id, record);
    return record;
  }

  /** A token by AccessorID as this datacenter sees it (expired ones included). */
  getToken(accessorId: string): AclTokenRecord | undefined {
    this.core.replication.sync(this.core.now());
    return this.core.store.tokens.get(accessorId);
  }

  /** A token by SecretID as this datacenter sees it. */
  findTokenBySecret(secretId: string): AclTokenRecord | undefined {
    return this.listTokens().find((t) => t.SecretID === secretId);
  }

  /** All tokens this datacenter sees. */
  listTokens(): AclTokenRecord[] {
    this.core.replication.sync(this.core.now());
    return [...this.core.store.tokens.values()];
  }

  /** Deletes a token; true when it existed. */
  deleteToken(accessorId: string): boolean {
    const removed = this.core.store.tokens.delete(accessorId);
    if (removed) this.core.store.commit('acl-tokens');
    return removed;
  }

  /** Stores a config entry after Consul's normalization/validation (throws the 500 validation error otherwise). */
  setConfigEntry(entry: Record<string, unknown>): ConfigEntryRecord {
    const normalized = normalizeConfigEntry(entry);
    upsertConfigEntry(this.core.store, normalized);
    return this.getConfigEntry(normalized.Kind, normalized.Name) as ConfigEntryRecord;
  }

  /** A config entry as stored (use {@link renderConfigEntry} semantics via HTTP for the wire form). */
  getConfigEntry(kind: string, name: string): ConfigEntryRecord | undefined {
    return this.core.store.configEntries.get(SimulatorStore.entryKey(kind, name));
  }

  /** Config entries, optionally of one kind, in their wire form. */
  listConfigEntries(kind?: string): Record<string, unknown>[] {
    return [...this.core.store.configEntries.values()].filter((e) => !kind || e.Kind === kind).map(renderConfigEntry);
  }

  /** Deletes a config entry; true when it existed. */
  deleteConfigEntry(kind: string, name: string): boolean {
    const removed = this.core.store.configEntries.delete(SimulatorStore.entryKey(kind, name));
    if (removed) this.core.store.commit('config-entries');
    return removed;
  }

  /** Registers a node (or updates it). */
  registerNode(reg: NodeRegistration): NodeRecord {
    return registerNode(this.core, reg);
  }

  /** Registers a service instance (or a `connect-proxy` sidecar with `proxyFor`), creating its node if needed. */
  registerService(reg: ServiceRegistration): NodeServiceRecord {
    return registerService(this.core, reg);
  }

  /**
   * Starts a stand-in Envoy sidecar for `service`: an mTLS listener serving the sidecar's leaf (of `validity`, e.g.
   * expired, when given), registered as `<service>-sidecar-proxy`. It stops with the simulator.
   */
  async startSidecar(opts: SidecarOptions): Promise<Sidecar> {
    const sidecar = await startSidecar(this.core, this.core.ca, opts);
    this.core.runtime.listeners.push(sidecar);
    return sidecar;
  }

  /** Deregisters a service instance (and its checks). */
  deregisterService(id: string, node?: string): boolean {
    return deregisterService(this.core, id, node);
  }

  /** Registers a health check on a node or one of its services. */
  registerCheck(reg: CheckRegistration): HealthCheckRecord {
    return registerCheck(this.core, reg);
  }

  /** Creates a session on a node (no TTL timers or lock semantics are simulated). */
  createSession(input: { node?: string; name?: string; behavior?: 'release' | 'delete'; ttl?: string } = {}): SessionRecord {
    const index = this.core.store.commit('sessions');
    const session: SessionRecord = {
      ID: newUuid(),
      Name: input.name ?? '',
      Node: input.node ?? this.core.options.nodeName,
      LockDelay: 15_000_000_000,
      Behavior: input.behavior ?? 'release',
      TTL: input.ttl ?? '',
      NodeChecks: ['serfHealth'],
      ServiceChecks: [],
      CreateIndex: index,
      ModifyIndex: index,
    };
    this.core.store.sessions.set(session.ID, session);
    return session;
  }

  /** Sets a KV entry as `PUT /v1/kv/<key>?flags=` would (one raft write). */
  kvPut(key: string, value: string | Buffer, flags: number | bigint = 0): DirEntryRecord {
    const batch = new KvBatch(this.core.store, this.core.store.allocate());
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    const entry = batch.set({ Key: key, Value: bytes.length ? bytes : null, Flags: flags });
    batch.commit();
    return entry;
  }

  /** A KV value as UTF-8 text (`''` for an empty value, `undefined` when the key does not exist). */
  kvGet(key: string): string | undefined {
    const entry = this.core.store.kv.get(key);
    return entry ? (entry.Value?.toString('utf8') ?? '') : undefined;
  }

  /** A KV entry with its flags and indexes. */
  kvEntry(key: string): DirEntryRecord | undefined {
    return this.core.store.kv.get(key);
  }

  /** Entries under a prefix, in key order. */
  kvList(prefix = ''): DirEntryRecord[] {
    return kvList(this.core.store, prefix);
  }

  /** Deletes a key (leaving a tombstone); true when it existed. */
  kvDelete(key: string): boolean {
    const batch = new KvBatch(this.core.store, this.core.store.allocate());
    const removed = batch.delete(key);
    batch.commit();
    return removed;
  }

  /** A deep copy of every replicated table (what a snapshot carries). */
  exportState(): StoreTables {
    return this.core.store.tables();
  }

  /** Replaces the replicated state, as a restore would. */
  importState(state: StoreTables): void {
    this.core.store.replaceWith(state);
    this.core.ca.clearLeafCache();
  }

  private requireToken(accessorId: string): AclTokenRecord {
    const token = this.core.store.tokens.get(accessorId);
    if (!token) throw new Error(`no token with AccessorID ${accessorId}`);
    return token;
  }
}
