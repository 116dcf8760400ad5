/**
 * What a freshly bootstrapped single-server CE cluster holds (state-bin.md §8.2 item 5): the server's node with the
 * `consul` service and `serfHealth` check, autopilot defaults, system metadata, the datacenter's federation state,
 * the builtin `global-management` policy and the anonymous and initial-management tokens.
 */
import { createHash } from 'node:crypto';
import { ANONYMOUS_ACCESSOR_ID, GLOBAL_MANAGEMENT_POLICY_ID, GLOBAL_MANAGEMENT_RULES } from './acl-resolver';
import { tokenHash } from './acl-token-writer';
import { registerCheck, registerNode, registerService } from './catalog';
import { newUuid, nowRfc3339Nano, rfc3339Nano } from './go-format';
import { SimulatorCore } from './types';

/** Consul's autopilot defaults (`agent/config/default.go`): 200ms, 250 logs, 10s; 199 bytes in a snapshot. */
const AUTOPILOT_DEFAULTS = {
  CleanupDeadServers: true,
  LastContactThreshold: 200_000_000,
  MaxTrailingLogs: 250,
  MinQuorum: 0,
  ServerStabilizationTime: 10_000_000_000,
  RedundancyZoneTag: '',
  DisableUpgradeMigration: false,
  UpgradeVersionTag: '',
};

/** System metadata a current CE leader writes (state-bin.md §5.12; no secret-bearing keys are simulated). */
const SYSTEM_METADATA: Record<string, string> = { 'intention-format': 'config-entry', 'virtual-ips': 'true', 'virtual-ips-term-gateway': 'true' };

/** The server node's meta: segment and version (kept current by `setVersion`). */
export function serverNodeMeta(version: string): Record<string, string> {
  return { 'consul-network-segment': '', 'consul-version': version };
}

/** Writes the cluster's initial state; returns the initial management token (empty strings with ACLs off). */
export function bootstrapCluster(core: SimulatorCore, managementSecret: string): { accessorId: string; secretId: string } {
  const store = core.store;
  registerNode(core, { node: core.options.nodeName, id: core.nodeId, meta: serverNodeMeta(core.runtime.version) });
  registerService(core, { name: 'consul', id: 'consul', port: 8300 });
  registerCheck(core, { id: 'serfHealth', name: 'Serf Health Status', output: 'Agent alive and reachable' });
  const apIndex = store.commit('autopilot-config');
  store.autopilot = { ...AUTOPILOT_DEFAULTS, CreateIndex: apIndex, ModifyIndex: apIndex };
  for (const [Key, Value] of Object.entries(SYSTEM_METADATA)) {
    const index = store.commit('system-metadata');
    store.systemMetadata.set(Key, { Key, Value, CreateIndex: index, ModifyIndex: index });
  }
  const fedIndex = store.commit('federation-states');
  const dc = core.options.datacenter;
  store.federationStates.set(dc, { Datacenter: dc, MeshGateways: null, UpdatedAt: rfc3339Nano(core.now()), PrimaryModifyIndex: fedIndex, CreateIndex: fedIndex, ModifyIndex: fedIndex });
  if (!core.options.aclsEnabled) return { accessorId: '', secretId: '' };
  const policyIndex = store.commit('acl-policies');
  store.policies.set(GLOBAL_MANAGEMENT_POLICY_ID, {
    ID: GLOBAL_MANAGEMENT_POLICY_ID,
    Name: 'global-management',
    Description: 'Builtin Policy that grants unlimited access',
    Rules: GLOBAL_MANAGEMENT_RULES,
    Datacenters: [],
    Hash: createHash('sha256').update(GLOBAL_MANAGEMENT_RULES).digest('base64'),
    CreateIndex: policyIndex,
    ModifyIndex: policyIndex,
  });
  const seed = (accessor: string, secret: string, description: string, policies: string[]): void => {
    const index = store.commit('acl-tokens');
    const token = {
      AccessorID: accessor,
      SecretID: secret,
      Description: description,
      Policies: policies.map((ID) => ({ ID })),
      Roles: [],
      ServiceIdentities: [],
      NodeIdentities: [],
      Local: false,
      AuthMethod: '',
      CreateTime: nowRfc3339Nano(core.now()),
      Hash: '',
      CreateIndex: index,
      ModifyIndex: index,
    };
    token.Hash = tokenHash(token);
    store.tokens.set(accessor, token);
  };
  seed(ANONYMOUS_ACCESSOR_ID, 'anonymous', 'Anonymous Token', []);
  const accessorId = newUuid();
  seed(accessorId, managementSecret, 'Initial Management Token', [GLOBAL_MANAGEMENT_POLICY_ID]);
  return { accessorId, secretId: managementSecret };
}
