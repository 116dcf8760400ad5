/**
 * Go struct schemas of the records in `state.bin` (state-bin.md §5; CE field sets, `acl.EnterpriseMeta` empty), with
 * the fields that differ between Consul versions switched by the version profile's {@link StateBinFeatures}.
 */
import { connectProxyConfig, healthCheck } from './catalog-schemas';
import { GoStruct, GoType, localTime, map, ptr, slice, stringMap, strings, struct, timePtr, utcTime } from './go-schema';
import type { ProfileFeatures } from './version-profiles';

/**
 * The version-dependent record fields: the state.bin flags of a Consul version profile (`core.profile.features`,
 * `VERSION_TABLE` in version-profiles.ts), the one source of truth for what each version writes and reads.
 * `locality`: `Locality` on RegisterRequest and NodeService (1.16+); `manualVirtualIps`: `ManualIPs` on
 * ServiceVirtualIP (1.16+); `templatedPolicies`: `TemplatedPolicies` on ACLToken and ACLRole (1.17+);
 * `configEntryHash`: `Hash` (uint64) on config entries (PR #19795, 1.18+ and late 1.15–1.17 patches).
 */
export type StateBinFeatures = Pick<ProfileFeatures, 'locality' | 'manualVirtualIps' | 'templatedPolicies' | 'configEntryHash'>;

/** The record schemas for one feature set. */
export interface StateSchemas {
  readonly header: GoStruct;
  readonly register: GoStruct;
  readonly dirEntry: GoStruct;
  readonly session: GoStruct;
  readonly aclToken: GoStruct;
  readonly aclPolicy: GoStruct;
  readonly aclRole: GoStruct;
  readonly aclBindingRule: GoStruct;
  readonly aclAuthMethod: GoStruct;
  readonly autopilot: GoStruct;
  readonly caRoot: GoStruct;
  readonly caProviderState: GoStruct;
  readonly caConfig: GoStruct;
  readonly configEntryRequest: GoStruct;
  readonly serviceIntentions: GoStruct;
  readonly federationStateRequest: GoStruct;
  readonly systemMetadata: GoStruct;
  readonly indexEntry: GoStruct;
  readonly serviceVirtualIp: GoStruct;
  readonly freeVirtualIp: GoStruct;
}

const locality = struct('structs.Locality', { Region: 'string', Zone: 'string' });
const link = (name: string) => struct(name, { ID: 'string', Name: 'string' });
const serviceIdentity = struct('structs.ACLServiceIdentity', { ServiceName: 'string', Datacenters: strings });
const nodeIdentity = struct('structs.ACLNodeIdentity', { NodeName: 'string', Datacenter: 'string' });
/** `acl_templated_policy.go` `ACLTemplatedPolicy` (state-bin.md §5.5). */
const templatedPolicy = struct('structs.ACLTemplatedPolicy', {
  TemplateName: 'string',
  TemplateID: 'string',
  TemplateVariables: ptr(struct('structs.ACLTemplatedPolicyVariables', { Name: 'string' })),
  Datacenters: strings,
});

const raftIndex = { CreateIndex: 'int', ModifyIndex: 'int' } as const;
const jwtRequirement = struct('structs.IntentionJWTRequirement', {
  Providers: slice(
    ptr(
      struct('structs.IntentionJWTProvider', {
        Name: 'string',
        VerifyClaims: slice(ptr(struct('structs.IntentionJWTClaimVerification', { Path: strings, Value: 'string' }))),
      }),
    ),
  ),
});

/** Builds the schemas for a feature set. */
export function stateSchemas(f: StateBinFeatures): StateSchemas {
  const loc: Record<string, GoType> = f.locality ? { Locality: ptr(locality) } : {};
  const templated: Record<string, GoType> = f.templatedPolicies ? { TemplatedPolicies: slice(ptr(templatedPolicy)) } : {};
  const hash: Record<string, GoType> = f.configEntryHash ? { Hash: 'int' } : {};
  const nodeService = struct('structs.NodeService', {
    Kind: 'string',
    ID: 'string',
    Service: 'string',
    Tags: strings,
    Address: 'string',
    TaggedAddresses: map(struct('structs.ServiceAddress', { Address: 'string', Port: 'int' })),
    Meta: stringMap,
    Port: 'int',
    SocketPath: 'string',
    Weights: ptr(struct('structs.Weights', { Passing: 'int', Warning: 'int' })),
    EnableTagOverride: 'bool',
    Proxy: connectProxyConfig,
    Connect: struct('structs.ServiceConnect', {
      Native: 'bool',
      SidecarService: ptr(struct('structs.ServiceDefinition', {})),
      PeerMeta: ptr(struct('structs.PeeringServiceMeta', { SNI: strings, SpiffeID: strings, Protocol: 'string' })),
    }),
    ...loc,
    LocallyRegisteredAsSidecar: 'bool',
    PeerName: 'string',
    ...raftIndex,
  });
  const permission = struct('structs.IntentionPermission', {
    Action: 'string',
    HTTP: ptr(
      struct('structs.IntentionHTTPPermission', {
        PathExact: 'string',
        PathPrefix: 'string',
        PathRegex: 'string',
        Header: slice(
          struct('structs.IntentionHTTPHeaderPermission', {
            Name: 'string',
            Present: 'bool',
            Exact: 'string',
            Prefix: 'string',
            Suffix: 'string',
            Regex: 'string',
            Invert: 'bool',
          }),
        ),
        Methods: strings,
      }),
    ),
    JWT: ptr(jwtRequirement),
  });
  return {
    header: struct('fsm.SnapshotHeader', { LastIndex: 'int' }),
    register: struct('structs.RegisterRequest', {
      Datacenter: 'string',
      ID: 'string',
      Node: 'string',
      Address: 'string',
      TaggedAddresses: stringMap,
      NodeMeta: stringMap,
      Service: ptr(nodeService),
      Check: ptr(healthCheck),
      Checks: slice(ptr(healthCheck)),
      ...loc,
      SkipNodeUpdate: 'bool',
      PeerName: 'string',
      Token: 'string',
      ...raftIndex,
    }),
    dirEntry: struct('structs.DirEntry', { LockIndex: 'int', Key: 'string', Flags: 'int', Value: 'bytes', Session: 'string', ...raftIndex }),
    session: struct('structs.Session', {
      ID: 'string',
      Name: 'string',
      Node: 'string',
      LockDelay: 'duration',
      Behavior: 'string',
      TTL: 'string',
      NodeChecks: strings,
      ServiceChecks: slice(struct('structs.ServiceCheck', { ID: 'string', Namespace: 'string' })),
      Checks: strings,
      ...raftIndex,
    }),
    aclToken: struct('structs.ACLToken', {
      AccessorID: 'string',
      SecretID: 'string',
      Description: 'string',
      Policies: slice(link('structs.ACLTokenPolicyLink')),
      Roles: slice(link('structs.ACLTokenRoleLink')),
      ServiceIdentities: slice(ptr(serviceIdentity)),
      NodeIdentities: slice(ptr(nodeIdentity)),
      ...templated,
      Local: 'bool',
      AuthMethod: 'string',
      ExpirationTime: timePtr,
      ExpirationTTL: 'duration',
      CreateTime: localTime,
      Hash: 'bytes',
      ...raftIndex,
    }),
    aclPolicy: struct('structs.ACLPolicy', {
      ID: 'string',
      Name: 'string',
      Description: 'string',
      Rules: 'string',
      Datacenters: strings,
      Hash: 'bytes',
      ...raftIndex,
    }),
    aclRole: struct('structs.ACLRole', {
      ID: 'string',
      Name: 'string',
      Description: 'string',
      Policies: slice(link('structs.ACLRolePolicyLink')),
      ServiceIdentities: slice(ptr(serviceIdentity)),
      NodeIdentities: slice(ptr(nodeIdentity)),
      ...templated,
      Hash: 'bytes',
      ...raftIndex,
    }),
    aclBindingRule: struct('structs.ACLBindingRule', {
      ID: 'string',
      Description: 'string',
      AuthMethod: 'string',
      Selector: 'string',
      BindType: 'string',
      BindName: 'string',
      ...raftIndex,
    }),
    aclAuthMethod: struct('structs.ACLAuthMethod', {
      Name: 'string',
      Type: 'string',
      DisplayName: 'string',
      Description: 'string',
      MaxTokenTTL: 'duration',
      TokenLocality: 'string',
      Config: map('any'),
      ...raftIndex,
    }),
    autopilot: struct('structs.AutopilotConfig', {
      CleanupDeadServers: 'bool',
      LastContactThreshold: 'duration',
      MaxTrailingLogs: 'int',
      MinQuorum: 'int',
      ServerStabilizationTime: 'duration',
      RedundancyZoneTag: 'string',
      DisableUpgradeMigration: 'bool',
      UpgradeVersionTag: 'string',
      ...raftIndex,
    }),
    caRoot: struct('structs.CARoot', {
      ID: 'string',
      Name: 'string',
      SerialNumber: 'int',
      SigningKeyID: 'string',
      ExternalTrustDomain: 'string',
      NotBefore: utcTime,
      NotAfter: utcTime,
      RootCert: 'string',
      IntermediateCerts: strings,
      SigningCert: 'string',
      SigningKey: 'string',
      Active: 'bool',
      RotatedOutAt: utcTime,
      PrivateKeyType: 'string',
      PrivateKeyBits: 'int',
      ...raftIndex,
    }),
    caProviderState: struct('structs.CAConsulProviderState', { ID: 'string', PrivateKey: 'string', RootCert: 'string', IntermediateCert: 'string', ...raftIndex }),
    caConfig: struct('structs.CAConfiguration', {
      ClusterID: 'string',
      Provider: 'string',
      State: stringMap,
      Config: map('any'),
      ForceWithoutCrossSigning: 'bool',
      ...raftIndex,
    }),
    // Entry is written by the config-entry encoder (per kind); the request schema lists the wrapper's keys.
    configEntryRequest: struct('structs.ConfigEntryRequest', { Op: 'string', Datacenter: 'string', Entry: 'any', Token: 'string' }),
    serviceIntentions: struct('structs.ServiceIntentionsConfigEntry', {
      Kind: 'string',
      Name: 'string',
      Sources: slice(
        ptr(
          struct('structs.SourceIntention', {
            Name: 'string',
            Peer: 'string',
            SamenessGroup: 'string',
            Action: 'string',
            Permissions: slice(ptr(permission)),
            Precedence: 'int',
            LegacyID: 'string',
            Type: 'string',
            Description: 'string',
            LegacyMeta: stringMap,
            LegacyCreateTime: timePtr,
            LegacyUpdateTime: timePtr,
          }),
        ),
      ),
      JWT: ptr(jwtRequirement),
      Meta: stringMap,
      ...hash,
      ...raftIndex,
    }),
    federationStateRequest: struct('structs.FederationStateRequest', {
      Datacenter: 'string',
      Op: 'string',
      State: ptr(
        struct('structs.FederationState', {
          Datacenter: 'string',
          MeshGateways: slice('any'),
          UpdatedAt: utcTime,
          PrimaryModifyIndex: 'int',
          ...raftIndex,
        }),
      ),
      Token: 'string',
    }),
    systemMetadata: struct('structs.SystemMetadataEntry', { Key: 'string', Value: 'string', ...raftIndex }),
    indexEntry: struct('state.IndexEntry', { Key: 'string', Value: 'int' }),
    serviceVirtualIp: struct('state.ServiceVirtualIP', {
      Service: struct('structs.PeeredServiceName', { ServiceName: struct('structs.ServiceName', { Name: 'string' }), Peer: 'string' }),
      IP: 'bytes',
      ...(f.manualVirtualIps ? { ManualIPs: strings } : {}),
      ...raftIndex,
    }),
    freeVirtualIp: struct('state.FreeVirtualIP', { IP: 'bytes', IsCounter: 'bool' }),
  };
}
