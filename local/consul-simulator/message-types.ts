/**
 * Consul's raft message types as they appear as the type byte of `state.bin` records (`agent/structs/structs.go`,
 * state-bin.md §4), and which of them a CE server restores (`agent/consul/fsm/snapshot_ce.go` `init`, `fsm.go`
 * `Restore`).
 */

/** The type bytes the simulator writes or reads. */
export const MESSAGE_TYPES = {
  Register: 0,
  KVS: 2,
  Session: 3,
  Tombstone: 5,
  CoordinateBatchUpdate: 6,
  PreparedQuery: 7,
  Autopilot: 9,
  Intention: 12,
  ConnectCA: 13,
  ConnectCAProviderState: 14,
  ConnectCAConfig: 15,
  Index: 16,
  ACLToken: 17,
  ACLPolicy: 19,
  ConfigEntry: 22,
  ACLRole: 23,
  ACLBindingRule: 25,
  ACLAuthMethod: 27,
  ChunkingState: 29,
  FederationState: 30,
  SystemMetadata: 31,
  ServiceVirtualIP: 32,
  FreeVirtualIP: 33,
  Peering: 35,
  PeeringTrustBundle: 38,
  PeeringSecret: 40,
  Resource: 42,
} as const;

/** Types CE restores through a registered restorer, plus 29 (chunking) and 42 (resources) handled by `Restore` itself. */
export const CE_RESTORABLE_TYPES: ReadonlySet<number> = new Set(Object.values(MESSAGE_TYPES));

/**
 * Types the simulator does not model but keeps verbatim (msgpack value bytes) so that the next snapshot writes them
 * again, in their persist position: coordinates, prepared queries, legacy intentions, peerings, resources.
 */
export const OPAQUE_TYPES: ReadonlySet<number> = new Set([6, 7, 12, 35, 38, 40, 42]);

/** Consul Enterprise types start here; CE refuses them (`fsm.go` `Restore`). */
export const FIRST_ENTERPRISE_TYPE = 64;
