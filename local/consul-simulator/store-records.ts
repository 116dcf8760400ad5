/**
 * The records of the simulator's replicated state, one interface per Consul state-store table, with Go field names.
 * Times are RFC 3339 text, `[]byte` fields are Buffers, uint64 values beyond 2^53 are bigints.
 */

/** A uint64 as JS holds it: a number while it is exact, a bigint beyond 2^53. */
export type GoUint = number | bigint;

/** A policy or role link as stored (the writer fills `Name` from the linked object, as Consul does on write). */
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

/** A token/role templated policy (`structs.ACLTemplatedPolicy`, Consul ≥ 1.17); set fields only. */
export interface TemplatedPolicyRecord {
  readonly TemplateID: string;
  readonly TemplateName: string;
  /** `TemplateVariables.name` on the wire; absent for templates without variables. */
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
  /** Only when the token has some (Consul ≥ 1.17). */
  TemplatedPolicies?: TemplatedPolicyRecord[];
  Local: boolean;
  AuthMethod: string;
  /** RFC 3339; absent when the token never expires. */
  ExpirationTime?: string;
  /** Nanoseconds; Consul turns a TTL into `ExpirationTime` on write, so stored tokens have 0. */
  ExpirationTTL?: number;
  CreateTime: string;
  /** base64 of the 32-byte hash. */
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
  /** Only when the role has some (Consul ≥ 1.17). */
  TemplatedPolicies?: TemplatedPolicyRecord[];
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** An ACL binding rule (`structs.ACLBindingRule`). */
export interface AclBindingRuleRecord {
  ID: string;
  Description: string;
  AuthMethod: string;
  Selector: string;
  BindType: string;
  BindName: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** An ACL auth method (`structs.ACLAuthMethod`). */
export interface AclAuthMethodRecord {
  Name: string;
  Type: string;
  DisplayName: string;
  Description: string;
  /** Nanoseconds. */
  MaxTokenTTL: number;
  TokenLocality: string;
  Config: Record<string, unknown>;
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

/** A catalog node (`structs.Node`). */
export interface NodeRecord {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  PeerName: string;
  Locality?: { Region: string; Zone: string } | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** The proxy part of a service (`structs.ConnectProxyConfig`, only the fields set). */
export interface ServiceProxyRecord {
  DestinationServiceName?: string;
  DestinationServiceID?: string;
  LocalServiceAddress?: string;
  LocalServicePort?: number;
  [field: string]: unknown;
}

/** A service instance on a node (`structs.NodeService`, plus the owning `Node`). */
export interface NodeServiceRecord {
  Node: string;
  /** `''` for a typical service, `connect-proxy` for a sidecar, gateways otherwise. */
  Kind: string;
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  TaggedAddresses: Record<string, { Address: string; Port: number }>;
  Meta: Record<string, string>;
  Port: number;
  SocketPath: string;
  Weights: { Passing: number; Warning: number };
  EnableTagOverride: boolean;
  Proxy: ServiceProxyRecord;
  Connect: { Native: boolean };
  PeerName: string;
  Locality?: { Region: string; Zone: string } | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A health check (`structs.HealthCheck`). */
export interface HealthCheckRecord {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  Interval: string;
  Timeout: string;
  ExposedPort: number;
  PeerName: string;
  /** `structs.HealthCheckDefinition` fields that are set (durations in ns). */
  Definition: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A KV entry (`structs.DirEntry`). */
export interface DirEntryRecord {
  Key: string;
  Flags: GoUint;
  /** `null` is a nil value (never written by the HTTP API, which stores `[]` for an empty body). */
  Value: Buffer | null;
  LockIndex: number;
  Session: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A session (`structs.Session`, minimal). */
export interface SessionRecord {
  ID: string;
  Name: string;
  Node: string;
  /** Nanoseconds. */
  LockDelay: number;
  Behavior: string;
  TTL: string;
  NodeChecks: string[];
  ServiceChecks: { ID: string; Namespace: string }[];
  CreateIndex: number;
  ModifyIndex: number;
}

/** A Connect CA root. The consul provider's private key rides along (snapshots carry it as provider state). */
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

/** Autopilot settings (`structs.AutopilotConfig`; durations in ns). */
export interface AutopilotRecord {
  CleanupDeadServers: boolean;
  LastContactThreshold: number;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: number;
  RedundancyZoneTag: string;
  DisableUpgradeMigration: boolean;
  UpgradeVersionTag: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** One system-metadata entry (`structs.SystemMetadataEntry`). */
export interface SystemMetadataRecord {
  Key: string;
  Value: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A datacenter's federation state (`structs.FederationState`). */
export interface FederationStateRecord {
  Datacenter: string;
  MeshGateways: unknown[] | null;
  UpdatedAt: string;
  PrimaryModifyIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A service's virtual IP (`state.ServiceVirtualIP`); `IP` is the 16-byte `net.IP`. */
export interface ServiceVirtualIpRecord {
  Service: { ServiceName: { Name: string }; Peer: string };
  IP: Buffer;
  /** Consul ≥ 1.16; absent when restored by an older version. */
  ManualIPs?: string[] | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A freed virtual IP or the allocation counter (`state.FreeVirtualIP`). */
export interface FreeVirtualIpRecord {
  IP: Buffer;
  IsCounter: boolean;
}
