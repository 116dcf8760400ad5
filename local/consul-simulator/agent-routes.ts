/**
 * Agent, status and operator endpoints: `/v1/agent/self` (`agent:read` on the node; `xDS` with the gRPC ports),
 * `/v1/status/leader|peers`, `/v1/operator/raft/configuration` (`operator:read`).
 */
import { formatGoDuration } from './go-format';
import { checkDatacenter, jsonReply, parseQueryOptions, requireLeader } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { SimulatorCore } from './types';

/** Raft configuration index of the single-server cluster (also meta.json's ConfigurationIndex). */
export const RAFT_CONFIGURATION_INDEX = 1;
const REVISION = 'a1b2c3d4';

/** The sanitized runtime config subset that `DebugConfig` shows (`RuntimeConfig.Sanitized()`). */
function debugConfig(core: SimulatorCore): Record<string, unknown> {
  const o = core.options;
  return {
    ACLEnableKeyListPolicy: false,
    ACLInitialManagementToken: 'hidden',
    ACLResolverSettings: {
      ACLDefaultPolicy: o.defaultPolicy,
      ACLDownPolicy: 'extend-cache',
      ACLPolicyTTL: formatGoDuration(30_000),
      ACLRoleTTL: formatGoDuration(0),
      ACLTokenTTL: formatGoDuration(30_000),
      ACLsEnabled: o.aclsEnabled,
      Datacenter: o.datacenter,
      EnterpriseMeta: {},
      NodeName: o.nodeName,
    },
    ACLTokenReplication: o.primaryDatacenter !== o.datacenter,
    ACLTokens: {
      ACLAgentRecoveryToken: 'hidden',
      ACLAgentToken: 'hidden',
      ACLConfigFileRegistrationToken: 'hidden',
      ACLDefaultToken: 'hidden',
      ACLReplicationToken: 'hidden',
      DataDir: '/consul/data',
      EnablePersistence: false,
      EnterpriseConfig: {},
    },
    ACLsEnabled: o.aclsEnabled,
    ConnectCAProvider: 'consul',
    ConnectEnabled: true,
    Datacenter: o.datacenter,
    ...(o.defaultIntentionPolicy === undefined || !core.profile.features.defaultIntentionPolicy
      ? {}
      : { DefaultIntentionPolicy: o.defaultIntentionPolicy }),
    NodeID: core.nodeId,
    NodeName: o.nodeName,
    PrimaryDatacenter: o.primaryDatacenter,
    Revision: REVISION,
    ServerMode: o.agentKind === 'server',
    Version: core.runtime.version,
    VersionMetadata: '',
  };
}

/** Envoy versions `xDS.SupportedProxies.envoy` lists (Consul 1.17.0/1.17.1 CHANGELOG; not modelled per version). */
const ENVOY_VERSIONS = ['1.27.2', '1.26.6', '1.25.11', '1.24.12'];

/**
 * `Self.XDS` (JSON key `xDS`, consul-api.md correction 1): `Ports` has both gRPC ports (−1 when off); the deprecated
 * `Port` prefers the TLS port and falls back to plaintext (`AgentSelf`, agent/agent_endpoint.go).
 */
function xdsSelf(core: SimulatorCore): Record<string, unknown> {
  const plaintext = core.options.grpcPort;
  const tls = core.runtime.grpcTlsPort ?? -1;
  return { SupportedProxies: { envoy: ENVOY_VERSIONS }, Port: tls > 0 ? tls : plaintext, Ports: { Plaintext: plaintext, TLS: tls } };
}

function selfHandler(ctx: RequestContext) {
  const core = ctx.core;
  const o = core.options;
  ctx.enforceAcl();
  const server = o.agentKind === 'server';
  return jsonReply(ctx, {
    Config: {
      Datacenter: o.datacenter,
      PrimaryDatacenter: o.primaryDatacenter,
      NodeName: o.nodeName,
      NodeID: core.nodeId,
      Revision: REVISION,
      Server: server,
      Version: core.runtime.version,
      BuildDate: '2023-10-31T00:00:00Z',
    },
    DebugConfig: debugConfig(core),
    Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 },
    Member: {
      Name: o.nodeName,
      Addr: '127.0.0.1',
      Port: 8301,
      Tags: { build: `${core.runtime.version}:${REVISION}`, dc: o.datacenter, id: core.nodeId, role: server ? 'consul' : 'node', vsn: '2' },
      Status: 1,
      ProtocolMin: 1,
      ProtocolMax: 5,
      ProtocolCur: 2,
      DelegateMin: 2,
      DelegateMax: 5,
      DelegateCur: 4,
    },
    Stats: {
      build: { prerelease: '', revision: REVISION, version: core.runtime.version, version_metadata: '' },
      consul: { acl: o.aclsEnabled ? 'enabled' : 'disabled', known_servers: '1', leader: String(core.runtime.leader && server), server: String(server) },
    },
    Meta: { 'consul-network-segment': '', 'consul-version': core.runtime.version },
    xDS: xdsSelf(core),
  });
}

function leaderHandler(ctx: RequestContext) {
  checkDatacenter(ctx);
  ctx.enforceAcl();
  return jsonReply(ctx, ctx.core.runtime.leader ? ctx.core.serverAddress : '');
}

function peersHandler(ctx: RequestContext) {
  checkDatacenter(ctx);
  ctx.enforceAcl();
  return jsonReply(ctx, [ctx.core.serverAddress]);
}

function raftConfigHandler(ctx: RequestContext) {
  const opts = parseQueryOptions(ctx);
  checkDatacenter(ctx);
  requireLeader(ctx, opts.stale);
  ctx.enforceAcl();
  const core = ctx.core;
  return jsonReply(ctx, {
    Servers: [{ ID: core.nodeId, Node: core.options.nodeName, Address: core.serverAddress, Leader: core.runtime.leader, Voter: true }],
    Index: RAFT_CONFIGURATION_INDEX,
  });
}

/** Agent/status/operator routes. */
export const agentRoutes: Route[] = [
  { pattern: '/v1/agent/self', methods: ['GET'], handler: selfHandler, local: true },
  { pattern: '/v1/status/leader', methods: ['GET'], handler: leaderHandler },
  { pattern: '/v1/status/peers', methods: ['GET'], handler: peersHandler },
  { pattern: '/v1/operator/raft/configuration', methods: ['GET'], handler: raftConfigHandler },
];
