/**
 * Consul's raft message types as `consul snapshot inspect` names them: `structs.MessageType.String()` looks the id up
 * in `requestTypeStrings` (agent/structs/structs.go) and, in Consul CE, falls back to `Unknown(<id>)`
 * (`enterpriseRequestType` in agent/structs/structs_ce.go). Reference: state-bin.md §4.
 *
 * Note the asymmetric names Consul uses: 34 is `KindServiceName` (singular), 40 `PeeringSecret`, 43
 * `UpdateManualVirtualIPRequestType`; 37 (`PeeringTerminateByIDType`) is missing from Consul's table, so it prints as
 * `Unknown(37)`, as does every Enterprise type (≥ 64) and any id a newer Consul adds.
 */
const NAMES: Readonly<Record<number, string>> = {
  0: 'Register',
  1: 'Deregister',
  2: 'KVS',
  3: 'Session',
  4: 'ACL',
  5: 'Tombstone',
  6: 'CoordinateBatchUpdate',
  7: 'PreparedQuery',
  8: 'Txn',
  9: 'Autopilot',
  10: 'Area',
  11: 'ACLBootstrap',
  12: 'Intention',
  13: 'ConnectCA',
  14: 'ConnectCAProviderState',
  15: 'ConnectCAConfig',
  16: 'Index',
  17: 'ACLToken',
  18: 'ACLTokenDelete',
  19: 'ACLPolicy',
  20: 'ACLPolicyDelete',
  21: 'ConnectCALeaf',
  22: 'ConfigEntry',
  23: 'ACLRole',
  24: 'ACLRoleDelete',
  25: 'ACLBindingRule',
  26: 'ACLBindingRuleDelete',
  27: 'ACLAuthMethod',
  28: 'ACLAuthMethodDelete',
  29: 'ChunkingState',
  30: 'FederationState',
  31: 'SystemMetadata',
  32: 'ServiceVirtualIP',
  33: 'FreeVirtualIP',
  34: 'KindServiceName',
  35: 'Peering',
  36: 'PeeringDelete',
  38: 'PeeringTrustBundle',
  39: 'PeeringTrustBundleDelete',
  40: 'PeeringSecret',
  41: 'RaftLogVerifierCheckpoint',
  42: 'Resource',
  43: 'UpdateManualVirtualIPRequestType',
};

/** The ids of the record types this module reads beyond counting them. */
export const MESSAGE_TYPES = {
  register: 0,
  kvs: 2,
  session: 3,
  tombstone: 5,
  preparedQuery: 7,
  connectCA: 13,
  aclToken: 17,
  aclPolicy: 19,
  configEntry: 22,
  aclRole: 23,
  aclBindingRule: 25,
  aclAuthMethod: 27,
  chunkingState: 29,
  peering: 35,
} as const;

/**
 * The name `consul snapshot inspect` prints for a record type byte.
 *
 * @example
 * messageTypeName(2);  // 'KVS'
 * messageTypeName(37); // 'Unknown(37)'
 */
export function messageTypeName(id: number): string {
  return NAMES[id] ?? `Unknown(${id})`;
}
