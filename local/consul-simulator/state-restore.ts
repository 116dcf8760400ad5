/**
 * Turns `state.bin` records into the simulator's tables, as Consul's `FSM.Restore` does (`agent/consul/fsm/fsm.go`,
 * `snapshot_ce.go` restorers): every CE type is accepted, an Enterprise type (≥ 64) or an unknown one fails with
 * Consul's text, and a value the Go codec could not decode fails the whole restore. Nothing is applied until the last
 * record decoded (the caller swaps the tables in only on success).
 */
import { decodeAny, decodeGo, GoStruct } from './go-schema';
import { readMsgpack } from './msgpack-reader';
import { CE_RESTORABLE_TYPES, FIRST_ENTERPRISE_TYPE, MESSAGE_TYPES as T, OPAQUE_TYPES } from './message-types';
import { StateRecord } from './state-bin-reader';
import { StateBinFeatures, stateSchemas, StateSchemas } from './state-schemas';
import { cloneDeep, StoreTables } from './store';
import type { CaConfigRecord, CaRootRecord, ConfigEntryRecord, TemplatedPolicyRecord } from './store-records';

/** `MakeConfigEntry`'s kinds (`agent/structs/config_entry.go`; the kinds of the 1.19 decode golden). */
const CONFIG_ENTRY_KINDS = new Set([
  'api-gateway',
  'bound-api-gateway',
  'exported-services',
  'http-route',
  'ingress-gateway',
  'inline-certificate',
  'jwt-provider',
  'mesh',
  'proxy-defaults',
  'sameness-group',
  'service-defaults',
  'service-intentions',
  'service-resolver',
  'service-router',
  'service-splitter',
  'tcp-route',
  'terminating-gateway',
]);

/** The FSM refused the snapshot (real Consul's leader panics with `failed to restore snapshot: <this>`). */
export class FsmRestoreError extends Error {}

type Obj = Record<string, unknown>;
const num = (v: unknown): number => Number(v);
const nonEmpty = <X>(v: X[] | null | undefined): X[] | undefined => (v && v.length ? v : undefined);

/** Removes zero values (`''`, 0, false, nil, empty lists/maps) recursively: the simulator stores only set fields. */
export function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compact);
  if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    const c = compact(v);
    const empty = c === '' || c === 0 || c === false || c === null || c === undefined || (Array.isArray(c) && c.length === 0) || (typeof c === 'object' && !Buffer.isBuffer(c) && Object.keys(c as Obj).length === 0);
    if (!empty) out[k] = c;
  }
  return out;
}

/** Options of {@link StateRestorer}. */
export interface StateRestorerOptions {
  /**
   * The restoring version's record fields (`core.profile.features`): like Go's codec, the restorer reads the fields
   * its structs have and ignores the others, so a 1.15 server drops a newer snapshot's `Locality`, `ManualIPs` and
   * `TemplatedPolicies`.
   */
  readonly features: StateBinFeatures;
  /** KV keys with this prefix are counted but not kept (the synthetic filler every snapshot regenerates). */
  readonly skipKeyPrefix?: string;
}

/** Accumulates records into fresh tables. */
export class StateRestorer {
  private readonly s: StateSchemas;
  private readonly t: { -readonly [K in keyof StoreTables]: StoreTables[K] };
  private readonly providerKeys = new Map<string, string>();
  /** Records seen, by type. */
  readonly counts = new Map<number, number>();
  skippedKeys = 0;

  constructor(private readonly options: StateRestorerOptions) {
    this.s = stateSchemas(options.features);
    this.t = {
      clusterId: '', nodes: [], services: [], checks: [], kv: [], tombstones: [], sessions: [], tokens: [], policies: [], roles: [],
      bindingRules: [], authMethods: [], configEntries: [], caRoots: [], caConfig: { Provider: 'consul', Config: {}, CreateIndex: 0, ModifyIndex: 0 },
      autopilot: undefined, systemMetadata: [], federationStates: [], serviceVirtualIps: [], freeVirtualIps: [], opaque: [], indexes: [],
    };
  }

  /** Checks the header (`SnapshotHeader{LastIndex}`). */
  header(value: unknown): number {
    return num((this.decode(this.s.header, value, 'SnapshotHeader') as Obj).LastIndex);
  }

  /** Applies one record; throws {@link FsmRestoreError} with Consul's text for a type CE cannot restore. */
  apply(r: StateRecord): void {
    if (r.type >= FIRST_ENTERPRISE_TYPE) throw new FsmRestoreError(`msg type <${r.type}> is a Consul Enterprise log entry. Consul CE cannot restore it`);
    if (!CE_RESTORABLE_TYPES.has(r.type)) throw new FsmRestoreError(`Unrecognized msg type ${r.type}`);
    this.counts.set(r.type, (this.counts.get(r.type) ?? 0) + 1);
    if (OPAQUE_TYPES.has(r.type)) return this.keepOpaque(r);
    const s = this.s;
    const t = this.t;
    const v = r.value;
    switch (r.type) {
      case T.Register:
        return this.register(this.decode(s.register, v, 'Register') as Obj);
      case T.KVS: {
        const e = this.decode(s.dirEntry, v, 'KVS') as Obj;
        if (this.options.skipKeyPrefix && String(e.Key).startsWith(this.options.skipKeyPrefix)) return void this.skippedKeys++;
        return void t.kv.push({ Key: String(e.Key), Flags: e.Flags as number, Value: e.Value as Buffer | null, LockIndex: num(e.LockIndex), Session: String(e.Session), CreateIndex: num(e.CreateIndex), ModifyIndex: num(e.ModifyIndex) });
      }
      case T.Tombstone: {
        const e = this.decode(s.dirEntry, v, 'Tombstone') as Obj;
        return void t.tombstones.push([String(e.Key), num(e.ModifyIndex)]);
      }
      case T.Session: {
        const x = this.decode(s.session, v, 'Session') as Obj;
        const { Checks: _legacy, ...rest } = x;
        return void t.sessions.push({ ...rest, NodeChecks: (x.NodeChecks as string[]) ?? [], ServiceChecks: x.ServiceChecks ?? [] } as never);
      }
      case T.ACLToken:
        return void t.tokens.push(this.token(this.decode(s.aclToken, v, 'ACLToken') as Obj));
      case T.ACLPolicy: {
        const p = this.decode(s.aclPolicy, v, 'ACLPolicy') as Obj;
        return void t.policies.push({ ...p, Datacenters: (p.Datacenters as string[]) ?? [], Hash: base64(p.Hash) } as never);
      }
      case T.ACLRole: {
        const x = this.decode(s.aclRole, v, 'ACLRole') as Obj;
        const { TemplatedPolicies: list, ...role } = x;
        const templated = templatedPolicies(list);
        return void t.roles.push({ ...role, ...identities(x), Policies: ids(x.Policies), ...(templated ? { TemplatedPolicies: templated } : {}), Hash: base64(x.Hash) } as never);
      }
      case T.ACLBindingRule:
        return void t.bindingRules.push(this.decode(s.aclBindingRule, v, 'ACLBindingRule') as never);
      case T.ACLAuthMethod: {
        const m = this.decode(s.aclAuthMethod, v, 'ACLAuthMethod') as Obj;
        return void t.authMethods.push({ ...m, Config: (m.Config as Obj) ?? {} } as never);
      }
      case T.Autopilot:
        t.autopilot = this.decode(s.autopilot, v, 'Autopilot') as never;
        return;
      case T.ConnectCA: {
        const root = this.decode(s.caRoot, v, 'ConnectCA') as Obj;
        return void t.caRoots.push(caRoot(root));
      }
      case T.ConnectCAProviderState: {
        const p = this.decode(s.caProviderState, v, 'ConnectCAProviderState') as Obj;
        return void this.providerKeys.set(String(p.RootCert), String(p.PrivateKey));
      }
      case T.ConnectCAConfig: {
        const c = this.decode(s.caConfig, v, 'ConnectCAConfig') as Obj;
        t.clusterId = String(c.ClusterID);
        t.caConfig = { Provider: String(c.Provider), Config: (c.Config as Obj) ?? {}, CreateIndex: num(c.CreateIndex), ModifyIndex: num(c.ModifyIndex) } satisfies CaConfigRecord;
        return;
      }
      case T.ConfigEntry:
        return void t.configEntries.push(this.configEntry(v));
      case T.FederationState: {
        const f = this.decode(s.federationStateRequest, v, 'FederationState') as Obj;
        if (f.State) t.federationStates.push(f.State as never);
        return;
      }
      case T.SystemMetadata:
        return void t.systemMetadata.push(this.decode(s.systemMetadata, v, 'SystemMetadata') as never);
      case T.Index: {
        const e = this.decode(s.indexEntry, v, 'Index') as Obj;
        return void t.indexes.push([String(e.Key), num(e.Value)]);
      }
      case T.ServiceVirtualIP:
        return void t.serviceVirtualIps.push(this.decode(s.serviceVirtualIp, v, 'ServiceVirtualIP') as never);
      case T.FreeVirtualIP:
        return void t.freeVirtualIps.push(this.decode(s.freeVirtualIp, v, 'FreeVirtualIP') as never);
      case T.ChunkingState:
        // In-flight raft chunks are not modelled; the map must still be a map.
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FsmRestoreError('failed to decode msg type ChunkingState');
        return;
    }
  }

  /** The restored tables (CA keys matched to their roots by certificate). */
  result(): StoreTables {
    const t = cloneDeep(this.t);
    t.caRoots = t.caRoots.map((r) => ({ ...r, PrivateKeyPem: this.providerKeys.get(r.RootCert) ?? '' }));
    t.indexes.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return t;
  }

  private decode(schema: GoStruct, value: unknown, what: string): unknown {
    try {
      return decodeGo(schema, value, what);
    } catch (err) {
      throw new FsmRestoreError(`failed to decode msg type ${what}: ${(err as Error).message}`);
    }
  }

  private keepOpaque(r: StateRecord): void {
    if (r.type === T.Resource && !(r.value instanceof Uint8Array)) throw new FsmRestoreError('failed to decode msg type Resource: expected a byte string');
    const entry = this.t.opaque.find(([k]) => k === r.type);
    if (entry) entry[1].push(Buffer.from(r.raw));
    else this.t.opaque.push([r.type, [Buffer.from(r.raw)]]);
  }

  private register(req: Obj): void {
    const node = {
      ID: String(req.ID), Node: String(req.Node), Address: String(req.Address), Datacenter: String(req.Datacenter),
      TaggedAddresses: (req.TaggedAddresses as Record<string, string>) ?? {}, Meta: (req.NodeMeta as Record<string, string>) ?? {},
      PeerName: String(req.PeerName), ...(req.Locality ? { Locality: req.Locality as never } : {}), CreateIndex: num(req.CreateIndex), ModifyIndex: num(req.ModifyIndex),
    };
    const known = this.t.nodes.findIndex((n) => n.Node === node.Node);
    if (known < 0) this.t.nodes.push(node);
    else this.t.nodes[known] = node;
    const svc = req.Service as Obj | null;
    if (svc) {
      const { LocallyRegisteredAsSidecar: _local, Locality, ...rest } = svc;
      this.t.services.push({
        ...rest, Node: node.Node, Tags: (svc.Tags as string[]) ?? [], TaggedAddresses: (svc.TaggedAddresses as never) ?? {}, Meta: (svc.Meta as never) ?? {},
        Weights: (svc.Weights as never) ?? { Passing: 1, Warning: 1 }, Proxy: compact(svc.Proxy) as never, Connect: { Native: (svc.Connect as Obj).Native === true },
        ...(Locality ? { Locality: Locality as never } : {}),
      } as never);
    }
    const check = req.Check as Obj | null;
    if (check) this.t.checks.push({ ...check, ServiceTags: (check.ServiceTags as string[]) ?? [], Definition: compact(check.Definition) as Obj } as never);
  }

  private token(x: Obj): StoreTables['tokens'][number] {
    const templated = templatedPolicies(x.TemplatedPolicies);
    const ttl = num(x.ExpirationTTL);
    return {
      AccessorID: String(x.AccessorID), SecretID: String(x.SecretID), Description: String(x.Description),
      Policies: ids(x.Policies), Roles: ids(x.Roles), ...identities(x), ...(templated ? { TemplatedPolicies: templated } : {}),
      Local: x.Local === true, AuthMethod: String(x.AuthMethod), ...(x.ExpirationTime ? { ExpirationTime: String(x.ExpirationTime) } : {}),
      ...(ttl ? { ExpirationTTL: ttl } : {}), CreateTime: String(x.CreateTime), Hash: base64(x.Hash), CreateIndex: num(x.CreateIndex), ModifyIndex: num(x.ModifyIndex),
    };
  }

  private configEntry(value: unknown): ConfigEntryRecord {
    if (!(value instanceof Uint8Array)) throw new FsmRestoreError('failed to decode msg type ConfigEntry: expected a byte string');
    const payload = Buffer.from(value);
    let kind: string;
    let request: Obj;
    try {
      const first = readMsgpack(payload, 0);
      kind = Buffer.from(first.value as Uint8Array).toString('utf8');
      request = readMsgpack(payload, first.end).value as Obj;
    } catch (err) {
      throw new FsmRestoreError(`failed to decode msg type ConfigEntry: ${(err as Error).message ?? 'unexpected EOF'}`);
    }
    if (!CONFIG_ENTRY_KINDS.has(kind)) throw new FsmRestoreError(`invalid config entry kind: ${kind}`);
    if (kind === 'service-intentions') {
      const e = this.decode(this.s.serviceIntentions, request.Entry, 'ConfigEntry') as Obj;
      return {
        Kind: kind, Name: String(e.Name), Sources: ((e.Sources as Obj[]) ?? []).map(sourceIntention),
        ...(e.Meta && Object.keys(e.Meta as Obj).length ? { Meta: e.Meta } : {}), CreateIndex: num(e.CreateIndex), ModifyIndex: num(e.ModifyIndex),
      };
    }
    const entry = decodeAny(request.Entry) as Obj;
    const { Hash: _hash, ...rest } = Object.fromEntries(Object.entries(entry ?? {}).filter(([, v]) => v !== null)) as Obj;
    return { ...rest, Kind: kind, Name: kind === 'mesh' ? 'mesh' : String(rest.Name ?? ''), CreateIndex: num(rest.CreateIndex), ModifyIndex: num(rest.ModifyIndex) } as ConfigEntryRecord;
  }
}

/** `SourceIntention` in the field order the simulator stores (`intentions.ts` `normalizeSource`), set fields only. */
const SOURCE_ORDER = ['Name', 'Peer', 'SamenessGroup', 'Action', 'Permissions', 'Precedence', 'Type', 'Description', 'LegacyID', 'LegacyMeta', 'LegacyCreateTime', 'LegacyUpdateTime'];

function sourceIntention(src: Obj): Obj {
  const c = compact(src) as Obj;
  c.Precedence = num(src.Precedence);
  c.Type = String(src.Type);
  return Object.fromEntries(SOURCE_ORDER.filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));
}

/** `TemplatedPolicies` as the simulator stores them: only when there are some, set fields only (a non-nil variables pointer stays). */
function templatedPolicies(list: unknown): TemplatedPolicyRecord[] | undefined {
  return nonEmpty(list as Obj[] | null)?.map((p) => {
    const vars = p.TemplateVariables as Obj | null;
    const dcs = nonEmpty(p.Datacenters as string[] | null);
    return {
      TemplateID: String(p.TemplateID),
      TemplateName: String(p.TemplateName),
      ...(vars ? { TemplateVariables: { Name: String(vars.Name) } } : {}),
      ...(dcs ? { Datacenters: dcs } : {}),
    };
  });
}

function base64(v: unknown): string {
  return v instanceof Uint8Array ? Buffer.from(v).toString('base64') : '';
}

function ids(links: unknown): { ID: string }[] {
  return ((links as Obj[] | null) ?? []).map((l) => ({ ID: String(l.ID) }));
}

function identities(x: Obj) {
  const services = ((x.ServiceIdentities as Obj[] | null) ?? []).map((s) => {
    const dcs = nonEmpty(s.Datacenters as string[] | null);
    return dcs ? { ServiceName: String(s.ServiceName), Datacenters: dcs } : { ServiceName: String(s.ServiceName) };
  });
  const nodes = ((x.NodeIdentities as Obj[] | null) ?? []).map((n) => ({ NodeName: String(n.NodeName), Datacenter: String(n.Datacenter) }));
  return { ServiceIdentities: services, NodeIdentities: nodes };
}

function caRoot(r: Obj): CaRootRecord {
  return {
    ID: String(r.ID), Name: String(r.Name), SerialNumber: BigInt(r.SerialNumber as number | bigint).toString(), SigningKeyID: String(r.SigningKeyID),
    NotBefore: String(r.NotBefore), NotAfter: String(r.NotAfter), RootCert: String(r.RootCert), PrivateKeyPem: '', Active: r.Active === true,
    PrivateKeyType: r.PrivateKeyType as 'ec', PrivateKeyBits: r.PrivateKeyBits as 256, CreateIndex: num(r.CreateIndex), ModifyIndex: num(r.ModifyIndex),
  };
}

/** Reads one ConfigEntry payload's kind (for tests and tools). */
export function configEntryKind(payload: Buffer): string {
  return Buffer.from(readMsgpack(payload, 0).value as Uint8Array).toString('utf8');
}
