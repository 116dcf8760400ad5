/**
 * The programmatic state API of the simulator (`simulator.state`): seed and inspect ACL objects, config entries,
 * catalog services, KV data, the CA, leadership and version, without going through HTTP or permissions.
 */
import { GLOBAL_MANAGEMENT_POLICY_ID } from './acl-resolver';
import { PolicyInput, RoleInput, writePolicy, writeRole } from './acl-policies';
import { createToken, TokenInput } from './acl-token-writer';
import { ConnectCa } from './ca';
import { deregisterService, registerService, ServiceRegistration } from './catalog';
import { normalizeConfigEntry, renderConfigEntry, upsertConfigEntry } from './config-entries';
import { AclPolicyRecord, AclRoleRecord, AclTokenRecord, CatalogServiceRecord, ConfigEntryRecord, PersistedState, SimulatorStore } from './store';
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
   * Changes the simulated Consul version (e.g. `1.15.1` for known-bad-version checks): the reported version and the
   * behaviour profile together, as after an upgrade or downgrade of the cluster.
   */
  setVersion(version: string): void {
    applyConsulVersion(this.core, version);
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
    else token.ExpirationTime = expiration.toISOString();
    token.ModifyIndex = this.core.store.commit('acl-tokens');
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

  /** Registers a service instance (or a `connect-proxy` sidecar with `proxyFor`). */
  registerService(reg: ServiceRegistration): CatalogServiceRecord {
    return registerService(this.core, reg);
  }

  /** Deregisters a service instance. */
  deregisterService(id: string, node?: string): boolean {
    return deregisterService(this.core, id, node);
  }

  /** Sets a KV pair (snapshot content only; no KV HTTP endpoint is simulated). */
  kvPut(key: string, value: string): void {
    this.core.store.kv.set(key, value);
    this.core.store.commit('kv');
  }

  /** Reads a KV pair. */
  kvGet(key: string): string | undefined {
    return this.core.store.kv.get(key);
  }

  /** A deep copy of the replicated state (what a snapshot carries). */
  exportState(): PersistedState {
    return this.core.store.toPersisted();
  }

  /** Replaces the replicated state, as a restore would. */
  importState(state: PersistedState): void {
    this.core.store.replaceWith(state);
    this.core.ca.clearLeafCache();
  }

  private requireToken(accessorId: string): AclTokenRecord {
    const token = this.core.store.tokens.get(accessorId);
    if (!token) throw new Error(`no token with AccessorID ${accessorId}`);
    return token;
  }
}
