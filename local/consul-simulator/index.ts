/**
 * Public entry point of the Consul API simulator package (`local/consul-simulator`).
 */
export { startConsulSimulator } from './consul-simulator';
export type { ConsulSimulator } from './consul-simulator';
export type { ConsulSimulatorOptions, SimulatorTlsOptions, RestoreRecord, SnapshotRecord } from './types';
export { FAULT_KINDS, FaultInjector } from './faults';
export type { FaultKind, FaultSpec, InjectedFault } from './faults';
export { SimulatorState } from './state-api';
export type { RecordedRequest } from './server';
export type { IssuedLeaf, Validity, RotateRootOptions } from './ca';
export type { Sidecar, SidecarOptions } from './sidecar';
export { startTlsListener, type TlsListener, type TlsListenerOptions } from './tls-listener';
export { syntheticStateStream, SYNTHETIC_KEY_PREFIX } from './synthetic-state';
export type { Compressibility, SyntheticStateOptions } from './synthetic-state';
export type { StateBinFeatures } from './state-schemas';
export type { StoreTables } from './store';
