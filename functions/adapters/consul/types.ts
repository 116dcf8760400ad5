/**
 * Response and request shapes of the Consul endpoints consul-ops uses. Field names are the Go struct field names
 * (consul-api.md); `[]byte` is base64, times are RFC 3339 strings, indexes are numbers. Only CE fields are listed;
 * unknown fields are kept at run time but not typed.
 */

/** `GET /v1/agent/self` → `Config` (newer `AgentSelf`). */
export interface AgentSelfConfig {
  readonly Datacenter: string;
  readonly PrimaryDatacenter?: string;
  readonly NodeName: string;
  readonly NodeID: string;
  readonly Revision: string;
  readonly Server: boolean;
  /** e.g. `1.17.0`, `1.17.0+ent` on Enterprise. */
  readonly Version: string;
  readonly BuildDate?: string;
}

/** `GET /v1/agent/self`. `DebugConfig` is the sanitised runtime config (e.g. `ACLResolverSettings.ACLDefaultPolicy`). */
export interface AgentSelf {
  readonly Config: AgentSelfConfig;
  readonly DebugConfig?: Readonly<Record<string, unknown>>;
  readonly Coord?: Readonly<Record<string, unknown>>;
  readonly Member?: Readonly<Record<string, unknown>>;
  readonly Stats?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly Meta?: Readonly<Record<string, string>>;
  readonly XDS?: Readonly<Record<string, unknown>>;
}

/** A policy or role link on a token: `{ID, Name}`. */
export interface ACLLink {
  readonly ID?: string;
  readonly Name?: string;
}

/** `ServiceIdentities[]` entry. */
export interface ACLServiceIdentity {
  readonly ServiceName: string;
  readonly Datacenters?: readonly string[];
}

/** `NodeIdentities[]` entry. */
export interface ACLNodeIdentity {
  readonly NodeName: string;
  readonly Datacenter: string;
}

/**
 * `TemplatedPolicies[]` entry (Consul ≥ 1.17, `structs.ACLTemplatedPolicy`). The variable's JSON key is lower-case
 * `name` (Go tag `json:"name,omitempty"`); Consul fills `TemplateID` itself.
 */
export interface ACLTemplatedPolicy {
  readonly TemplateID?: string;
  readonly TemplateName: string;
  readonly TemplateVariables?: { readonly name?: string };
  readonly Datacenters?: readonly string[];
}

/** `structs.ACLToken` as returned by create, read, self, update and clone (§2.2). */
export interface ACLToken {
  readonly AccessorID: string;
  /** The secret; `<hidden>` for callers with only `acl:read`. Never log it. */
  readonly SecretID: string;
  readonly Description: string;
  readonly Policies?: readonly ACLLink[] | null;
  readonly Roles?: readonly ACLLink[] | null;
  readonly ServiceIdentities?: readonly ACLServiceIdentity[];
  readonly NodeIdentities?: readonly ACLNodeIdentity[];
  /** Consul ≥ 1.17. */
  readonly TemplatedPolicies?: readonly ACLTemplatedPolicy[];
  readonly Local: boolean;
  readonly AuthMethod?: string;
  readonly ExpirationTime?: string;
  readonly CreateTime: string;
  /** base64 of a 32-byte digest. */
  readonly Hash?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** `GET /v1/acl/tokens` entry (`ACLTokenListStub`). */
export interface ACLTokenListEntry {
  readonly AccessorID: string;
  readonly SecretID?: string;
  readonly Description: string;
  readonly Policies?: readonly ACLLink[] | null;
  readonly Roles?: readonly ACLLink[] | null;
  readonly ServiceIdentities?: readonly ACLServiceIdentity[];
  readonly NodeIdentities?: readonly ACLNodeIdentity[];
  readonly Local: boolean;
  readonly AuthMethod?: string;
  readonly ExpirationTime?: string;
  readonly CreateTime: string;
  readonly Hash?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly Legacy?: boolean;
}

/** Body of `PUT /v1/acl/token` (create) and `PUT /v1/acl/token/:id` (update) (§2.1). */
export interface ACLTokenWrite {
  readonly AccessorID?: string;
  readonly SecretID?: string;
  readonly Description?: string;
  readonly Policies?: readonly ACLLink[];
  readonly Roles?: readonly ACLLink[];
  readonly ServiceIdentities?: readonly ACLServiceIdentity[];
  readonly NodeIdentities?: readonly ACLNodeIdentity[];
  /** Consul ≥ 1.17 only: older servers refuse the field (strict decoding), so leave it out when empty. */
  readonly TemplatedPolicies?: readonly ACLTemplatedPolicy[];
  readonly Local?: boolean;
  readonly ExpirationTime?: string;
  /** Create only: a Go duration such as `"5m"`, or nanoseconds. */
  readonly ExpirationTTL?: string | number;
}

/** Any config entry (`GET /v1/config/:kind[/:name]`); kind-specific fields are untyped. */
export interface ConfigEntry {
  readonly Kind: string;
  readonly Name: string;
  readonly Meta?: Readonly<Record<string, string>>;
  readonly CreateIndex?: number;
  readonly ModifyIndex?: number;
  readonly [field: string]: unknown;
}

/** `IntentionHTTPHeaderPermission`. */
export interface IntentionHTTPHeaderPermission {
  readonly Name: string;
  readonly Present?: boolean;
  readonly Exact?: string;
  readonly Prefix?: string;
  readonly Suffix?: string;
  readonly Regex?: string;
  readonly Invert?: boolean;
}

/** `IntentionPermission` (L7). */
export interface IntentionPermission {
  readonly Action: 'allow' | 'deny';
  readonly HTTP?: {
    readonly PathExact?: string;
    readonly PathPrefix?: string;
    readonly PathRegex?: string;
    readonly Header?: readonly IntentionHTTPHeaderPermission[];
    readonly Methods?: readonly string[];
  };
}

/** `SourceIntention` inside a `service-intentions` config entry. */
export interface SourceIntention {
  readonly Name: string;
  readonly Action?: 'allow' | 'deny';
  readonly Permissions?: readonly IntentionPermission[];
  readonly Precedence: number;
  readonly Type: string;
  readonly Description?: string;
  readonly Peer?: string;
  readonly SamenessGroup?: string;
  readonly LegacyID?: string;
}

/** `service-intentions` config entry (§3.2). */
export interface ServiceIntentionsConfigEntry extends ConfigEntry {
  readonly Kind: 'service-intentions';
  readonly Sources: readonly SourceIntention[];
}

/** Legacy/compat intention object of `GET /v1/connect/intentions` (§3.1). */
export interface Intention {
  readonly ID?: string;
  readonly Description: string;
  readonly SourceNS?: string;
  readonly SourceName: string;
  readonly SourcePeer?: string;
  readonly DestinationNS?: string;
  readonly DestinationName: string;
  readonly SourceType: string;
  readonly Action?: 'allow' | 'deny';
  readonly Permissions?: readonly IntentionPermission[];
  readonly Meta?: Readonly<Record<string, string>>;
  readonly Precedence: number;
  readonly CreatedAt?: string;
  readonly UpdatedAt?: string;
  readonly Hash?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** `CARoot` (§4.1). `SerialNumber` is a number here, unlike the leaf's. */
export interface CARoot {
  readonly ID: string;
  readonly Name: string;
  readonly SerialNumber: number;
  readonly SigningKeyID: string;
  readonly ExternalTrustDomain: string;
  readonly NotBefore: string;
  readonly NotAfter: string;
  readonly RootCert: string;
  readonly IntermediateCerts: readonly string[] | null;
  readonly Active: boolean;
  readonly PrivateKeyType: 'ec' | 'rsa' | string;
  readonly PrivateKeyBits: number;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** `GET /v1/connect/ca/roots` (`IndexedCARoots`). */
export interface CARoots {
  readonly ActiveRootID: string;
  readonly TrustDomain: string;
  readonly Roots: readonly CARoot[];
}

/** `GET /v1/connect/ca/configuration` (§4.2). */
export interface CAConfiguration {
  readonly Provider: string;
  readonly Config: Readonly<Record<string, unknown>> & { readonly LeafCertTTL?: string; readonly IntermediateCertTTL?: string; readonly RootCertTTL?: string };
  readonly State?: Readonly<Record<string, string>> | null;
  readonly ForceWithoutCrossSigning?: boolean;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** `GET /v1/agent/connect/ca/leaf/:service` (`IssuedCert`, §4.3). Holds a private key: never log it. */
export interface IssuedCert {
  /** Colon-hex string (a number in {@link CARoot}). */
  readonly SerialNumber: string;
  readonly CertPEM?: string;
  readonly PrivateKeyPEM?: string;
  readonly Service?: string;
  readonly ServiceURI?: string;
  readonly Kind?: string;
  readonly ValidAfter: string;
  readonly ValidBefore: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** `ServiceKind`: `''` for a typical service. */
export type ServiceKind = '' | 'connect-proxy' | 'mesh-gateway' | 'terminating-gateway' | 'ingress-gateway' | 'api-gateway' | (string & Record<never, never>);

/** `GET /v1/catalog/services`: service name → tags. */
export type CatalogServices = Readonly<Record<string, readonly string[]>>;

/** `GET /v1/catalog/service/:name` entry (`api.CatalogService`). */
export interface CatalogService {
  readonly ID: string;
  readonly Node: string;
  readonly Address: string;
  readonly Datacenter: string;
  readonly TaggedAddresses?: Readonly<Record<string, string>> | null;
  readonly NodeMeta?: Readonly<Record<string, string>> | null;
  readonly ServiceKind?: ServiceKind;
  readonly ServiceID: string;
  readonly ServiceName: string;
  readonly ServiceAddress: string;
  readonly ServiceTags: readonly string[] | null;
  readonly ServiceMeta?: Readonly<Record<string, string>> | null;
  readonly ServicePort: number;
  /** For `connect-proxy`: `{DestinationServiceName, …}`. */
  readonly ServiceProxy?: Readonly<Record<string, unknown>> & { readonly DestinationServiceName?: string };
  readonly ServiceConnect?: Readonly<Record<string, unknown>>;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** `GET /v1/health/connect/:service` entry (`api.ServiceEntry`). */
export interface ServiceEntry {
  readonly Node: { readonly ID: string; readonly Node: string; readonly Address: string; readonly Datacenter: string };
  readonly Service: {
    readonly ID: string;
    readonly Service: string;
    readonly Kind?: ServiceKind;
    readonly Tags: readonly string[] | null;
    readonly Port: number;
    readonly Address: string;
    readonly Proxy?: Readonly<Record<string, unknown>> & { readonly DestinationServiceName?: string };
  };
  readonly Checks: ReadonlyArray<{ readonly CheckID: string; readonly Name: string; readonly Status: 'passing' | 'warning' | 'critical' | string }>;
}
