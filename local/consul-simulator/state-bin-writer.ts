/**
 * Writes the simulator's state as Consul's `state.bin` (state-bin.md §2, checklist §8.2): the msgpack
 * `SnapshotHeader{LastIndex}`, then one `type byte + msgpack value` record per row in CE persist order
 * (`agent/consul/fsm/snapshot_ce.go` `persistCE`), and `ChunkingState` last (`fsm/snapshot.go` `Persist`).
 */
import { createHash } from 'node:crypto';
import { encodeAny, encodeGo, GoStruct } from './go-schema';
import { GoMsgpackWriter } from './go-msgpack';
import { MESSAGE_TYPES as T } from './message-types';
import { StateBinFeatures, StateSchemas, stateSchemas } from './state-schemas';
import type { ConfigEntryRecord, NodeServiceRecord, StoreTables } from './store';

/** `1d 81 a8"ChunkMap" 80`: an empty go-raftchunking state, the last record of every snapshot. */
export const CHUNKING_STATE_RECORD = Buffer.from([T.ChunkingState, 0x81, 0xa8, ...Buffer.from('ChunkMap'), 0x80]);

/** The encoded records, split where synthetic KVS records may be inserted (between real keys, in key order). */
export interface EncodedState {
  /** Header through the real KVS records whose keys sort before the insertion point. */
  readonly head: Buffer;
  /** The remaining real KVS records, tombstones, … and ChunkingState. */
  readonly tail: Buffer;
  /** The header's `LastIndex`. */
  readonly lastIndex: number;
}

/** Options of {@link encodeState}. */
export interface EncodeStateOptions {
  /** The version's record fields: the active profile's `core.profile.features`. */
  readonly features: StateBinFeatures;
  /** Split `head`/`tail` before the first KV key ≥ this (where synthetic keys go). @default - tail holds no KVS */
  readonly splitBeforeKey?: string;
}

const bytesOf = (s: string): Buffer => Buffer.from(s, 'utf8');
const byKey = <X>(key: (x: X) => string) => (a: X, b: X) => Buffer.compare(bytesOf(key(a)), bytesOf(key(b)));

/** Encodes every table in persist order. */
export function encodeState(t: StoreTables, options: EncodeStateOptions): EncodedState {
  const s = stateSchemas(options.features);
  const w = new GoMsgpackWriter(64 * 1024);
  const rec = (type: number, schema: GoStruct, value: unknown): void => encodeGo(w.byte(type), schema, value);
  const opaque = (type: number): void => (t.opaque.find(([k]) => k === type)?.[1] ?? []).forEach((v) => w.byte(type).raw(v));
  const lastIndex = Math.max(0, ...t.indexes.map(([, v]) => v));
  encodeGo(w, s.header, { LastIndex: lastIndex });
  // 1. persistVirtualIPs
  [...t.serviceVirtualIps].sort(byKey((v) => v.Service.ServiceName.Name)).forEach((v) => rec(T.ServiceVirtualIP, s.serviceVirtualIp, v));
  t.freeVirtualIps.forEach((v) => rec(T.FreeVirtualIP, s.freeVirtualIp, v));
  // 2. persistNodes: per node the node, its services, its checks (all with the node's RaftIndex); then coordinates.
  for (const node of [...t.nodes].sort(byKey((n) => n.Node.toLowerCase()))) {
    const req = { ...node, NodeMeta: node.Meta, Service: null as unknown, Check: null as unknown };
    rec(T.Register, s.register, req);
    for (const svc of t.services.filter((x) => x.Node === node.Node).sort(byKey((x) => x.ID))) rec(T.Register, s.register, { ...req, Service: nodeService(svc) });
    for (const check of t.checks.filter((x) => x.Node === node.Node).sort(byKey((x) => x.CheckID))) {
      rec(T.Register, s.register, { ...req, Check: { ...check, ServiceTags: nilIfEmpty(check.ServiceTags) } });
    }
  }
  opaque(T.CoordinateBatchUpdate);
  // 3. persistSessions, 4. persistACLs
  [...t.sessions].sort(byKey((x) => x.ID)).forEach((x) => rec(T.Session, s.session, x));
  const policyName = new Map(t.policies.map((p) => [p.ID, p.Name]));
  const roleName = new Map(t.roles.map((r) => [r.ID, r.Name]));
  const links = (ids: { ID: string }[], names: Map<string, string>) => nilIfEmpty(ids.map((l) => ({ ID: l.ID, Name: names.get(l.ID) ?? '' })));
  const identities = (x: { ServiceIdentities: unknown[]; NodeIdentities: unknown[] }) => ({ ServiceIdentities: nilIfEmpty(x.ServiceIdentities), NodeIdentities: nilIfEmpty(x.NodeIdentities) });
  [...t.tokens].sort(byKey((x) => x.AccessorID)).forEach((x) =>
    rec(T.ACLToken, s.aclToken, { ...x, ...identities(x), Policies: links(x.Policies, policyName), Roles: links(x.Roles, roleName), Hash: hashBytes(x.Hash) }),
  );
  [...t.policies].sort(byKey((x) => x.ID)).forEach((x) => rec(T.ACLPolicy, s.aclPolicy, { ...x, Datacenters: nilIfEmpty(x.Datacenters), Hash: hashBytes(x.Hash) }));
  [...t.roles].sort(byKey((x) => x.ID)).forEach((x) => rec(T.ACLRole, s.aclRole, { ...x, ...identities(x), Policies: links(x.Policies, policyName), Hash: hashBytes(x.Hash) }));
  [...t.bindingRules].sort(byKey((x) => x.ID)).forEach((x) => rec(T.ACLBindingRule, s.aclBindingRule, x));
  [...t.authMethods].sort(byKey((x) => x.Name)).forEach((x) => rec(T.ACLAuthMethod, s.aclAuthMethod, x));
  // 5. persistKVs (split for synthetic records), 6. persistTombstones
  const kv = [...t.kv].sort(byKey((e) => e.Key));
  const split = options.splitBeforeKey === undefined ? kv.length : kv.findIndex((e) => Buffer.compare(bytesOf(e.Key), bytesOf(options.splitBeforeKey!)) >= 0);
  const cut = split < 0 ? kv.length : split;
  kv.slice(0, cut).forEach((e) => rec(T.KVS, s.dirEntry, e));
  const head = Buffer.from(w.bytes());
  w.reset();
  kv.slice(cut).forEach((e) => rec(T.KVS, s.dirEntry, e));
  [...t.tombstones].sort(byKey(([k]) => k)).forEach(([Key, ModifyIndex]) => rec(T.Tombstone, s.dirEntry, { Key, ModifyIndex }));
  // 7–12: prepared queries, autopilot, legacy intentions, CA roots, provider state, CA config
  opaque(T.PreparedQuery);
  if (t.autopilot) rec(T.Autopilot, s.autopilot, t.autopilot);
  opaque(T.Intention);
  const roots = [...t.caRoots].sort(byKey((r) => r.ID));
  roots.forEach((r) => rec(T.ConnectCA, s.caRoot, { ...r, SerialNumber: BigInt(r.SerialNumber), PrivateKeyPem: undefined }));
  // The consul provider keeps its key in provider state (one row for the active root), never in CARoot.SigningKey.
  roots
    .filter((r) => r.Active && r.PrivateKeyPem)
    .forEach((r) => rec(T.ConnectCAProviderState, s.caProviderState, { ID: providerStateId(t.clusterId, r.ID), PrivateKey: r.PrivateKeyPem, RootCert: r.RootCert, CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex }));
  // At most one, and only once written (`persistConnectCAConfig` skips a nil config).
  if (t.caConfig.ModifyIndex > 0) rec(T.ConnectCAConfig, s.caConfig, { ...t.caConfig, ClusterID: t.clusterId });
  // 13. persistConfigEntries: kind, then name
  [...t.configEntries].sort(byKey((e) => `${e.Kind}\u0000${e.Name}`)).forEach((e) => w.byte(T.ConfigEntry).str(configEntryPayload(e, s, options.features)));
  // 14–16: federation states, system metadata, the index table
  [...t.federationStates].sort(byKey((f) => f.Datacenter)).forEach((f) => rec(T.FederationState, s.federationStateRequest, { Op: 'upsert', State: f }));
  [...t.systemMetadata].sort(byKey((m) => m.Key)).forEach((m) => rec(T.SystemMetadata, s.systemMetadata, m));
  t.indexes.forEach(([Key, Value]) => rec(T.Index, s.indexEntry, { Key, Value }));
  // 17–20: peerings, trust bundles, peering secrets, resources (kept verbatim)
  [T.Peering, T.PeeringTrustBundle, T.PeeringSecret, T.Resource].forEach(opaque);
  w.raw(CHUNKING_STATE_RECORD);
  return { head, tail: Buffer.from(w.bytes()), lastIndex };
}

/** `ServiceNode.ToNodeService()`: the catalog row as a NodeService (Weights always set). */
function nodeService(svc: NodeServiceRecord): Record<string, unknown> {
  const { Node: _node, ...rest } = svc;
  return { ...rest, Tags: nilIfEmpty(rest.Tags) };
}

/**
 * The simulator keeps "none" as `[]`; Go keeps it as a nil slice (`c0`), which is what a field never set by the
 * client decodes to. Lists a client did send empty are rare enough to write as nil too.
 */
function nilIfEmpty<X>(list: X[] | undefined): X[] | null {
  return list && list.length ? list : null;
}

function hashBytes(base64: string): Buffer | null {
  return base64 ? Buffer.from(base64, 'base64') : null;
}

/** The consul CA provider's state ID (the simulator derives one per cluster and root). */
export function providerStateId(clusterId: string, rootId: string): string {
  return createHash('sha256').update(`${clusterId}/${rootId}`).digest('hex').slice(0, 32);
}

/**
 * `ConfigEntryRequest.MarshalBinary` (`agent/structs/config_entry.go`): the kind as a msgpack string, then the
 * request map {Datacenter:"", Entry, Op:"", Token:""}; the caller writes the bytes as one raw string. The
 * `service-intentions` entry is written with its full Go struct; other kinds with the fields the simulator stores.
 */
export function configEntryPayload(entry: ConfigEntryRecord, s: StateSchemas, features: StateBinFeatures): Buffer {
  const w = new GoMsgpackWriter(512);
  w.str(entry.Kind);
  w.mapHeader(s.configEntryRequest.fields.length);
  for (const [name] of s.configEntryRequest.fields) {
    w.str(name);
    if (name !== 'Entry') w.str('');
    else if (entry.Kind === 'service-intentions') encodeGo(w, s.serviceIntentions, { ...entry, Hash: entryHash(entry) });
    else writeGenericEntry(w, entry, features);
  }
  return Buffer.from(w.bytes());
}

function writeGenericEntry(w: GoMsgpackWriter, entry: ConfigEntryRecord, features: StateBinFeatures): void {
  // MeshConfigEntry has no Name field (its name is implied); every kind has Meta and, with the hash change, Hash.
  const fields: Record<string, unknown> = { Meta: null, ...entry, ...(features.configEntryHash ? { Hash: entryHash(entry) } : {}) };
  if (entry.Kind === 'mesh') delete fields.Name;
  const keys = Object.keys(fields)
    .filter((k) => fields[k] !== undefined)
    .sort((a, b) => Buffer.compare(bytesOf(a), bytesOf(b)));
  w.mapHeader(keys.length);
  for (const k of keys) encodeAny(w.str(k), fields[k]);
}

/** A stable uint64 content hash (Consul hashes the entry with hashstructure; any uint64 reads the same). */
function entryHash(entry: ConfigEntryRecord): bigint {
  const { CreateIndex: _c, ModifyIndex: _m, ...content } = entry;
  const json = JSON.stringify(content, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha256').update(json).digest().readBigUInt64BE(0);
}
