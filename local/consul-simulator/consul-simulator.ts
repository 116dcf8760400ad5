/**
 * `startConsulSimulator`: a Consul HTTP API simulator that follows shared/reference/consul-api.md — exact status
 * codes, plain-text error bodies, Go field names and headers — for the endpoints consul-ops uses, with a state API
 * and fault injection.
 *
 * @example
 * const sim = await startConsulSimulator({ defaultPolicy: 'deny' });
 * const res = await request(`${sim.url}/v1/snapshot`, { headers: { 'X-Consul-Token': sim.managementToken.secretId } });
 * sim.faults.inject({ path: '/v1/snapshot', kind: 'reset-mid-stream', afterBytes: 4096, times: 1 });
 * await sim.stop();
 */
import { randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { aclPolicyRoutes } from './acl-policies';
import { aclTokenRoutes } from './acl-tokens';
import { agentRoutes } from './agent-routes';
import { ConnectCa, DEFAULT_CA_CONFIG } from './ca';
import { caRoutes } from './ca-routes';
import { bootstrapCluster } from './bootstrap';
import { catalogRoutes } from './catalog';
import { configEntryRoutes } from './config-entries';
import { FaultInjector } from './faults';
import { isUuid, newUuid } from './go-format';
import { intentionRoutes } from './intention-routes';
import { kvRoutes } from './kv-routes';
import { Router } from './router';
import { createRequestHandler, listen, RecordedRequest } from './server';
import { snapshotRoutes } from './snapshot';
import { NEWEST_STATE_BIN_FEATURES } from './state-schemas';
import { txnRoutes } from './txn-routes';
import { SimulatorState } from './state-api';
import { SimulatorStore } from './store';
import { ConsulSimulatorOptions, ResolvedOptions, SimulatorCore, SimulatorRuntime } from './types';

/** A running simulator. */
export interface ConsulSimulator {
  /** Base URL, e.g. `http://127.0.0.1:53411` (`https://` with `tls`). */
  readonly url: string;
  /** The initial management token (global-management). Empty strings when ACLs are disabled. */
  readonly managementToken: { readonly accessorId: string; readonly secretId: string };
  /** Seed and inspect state: tokens, policies, roles, config entries, services, CA, leader, version. */
  readonly state: SimulatorState;
  /** Inject and clear faults. */
  readonly faults: FaultInjector;
  /** Every request served, in arrival order (token values redacted). */
  readonly requests: RecordedRequest[];
  /** The resolved options. */
  readonly options: ResolvedOptions;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

function resolveOptions(o: ConsulSimulatorOptions): ResolvedOptions {
  const aclsEnabled = o.aclsEnabled ?? true;
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    datacenter: o.datacenter ?? 'dc1',
    nodeName: o.nodeName ?? `consul-sim-${randomBytes(3).toString('hex')}`,
    aclsEnabled,
    defaultPolicy: o.defaultPolicy ?? (aclsEnabled ? 'deny' : 'allow'),
    defaultIntentionPolicy: o.defaultIntentionPolicy,
    agentKind: o.agentKind ?? 'server',
    tls: o.tls,
    snapshotStateBytes: o.snapshotStateBytes,
    snapshotCompressibility: o.snapshotCompressibility ?? 'realistic',
    stateBinFeatures: o.stateBinFeatures ?? NEWEST_STATE_BIN_FEATURES,
    gzipLevel: o.gzipLevel,
    agentDefaultToken: o.agentDefaultToken,
  };
}

/** Builds every route. */
function buildRouter(): Router {
  return new Router().add(
    ...snapshotRoutes,
    ...aclTokenRoutes,
    ...aclPolicyRoutes,
    ...configEntryRoutes,
    ...intentionRoutes,
    ...caRoutes,
    ...catalogRoutes,
    ...kvRoutes,
    ...txnRoutes,
    ...agentRoutes,
  );
}

/** Starts a simulator; stop it with `stop()`. */
export async function startConsulSimulator(options: ConsulSimulatorOptions = {}): Promise<ConsulSimulator> {
  const resolved = resolveOptions(options);
  if (options.managementSecretId !== undefined && !isUuid(options.managementSecretId)) {
    throw new Error(`managementSecretId must be a UUID, e.g. ${newUuid()}`);
  }
  const now = options.now ?? (() => new Date());
  const store = new SimulatorStore(newUuid(), { Provider: 'consul', Config: { ...DEFAULT_CA_CONFIG }, CreateIndex: 0, ModifyIndex: 0 });
  const caConfigIndex = store.commit('connect-ca-config');
  store.caConfig = { ...store.caConfig, CreateIndex: caConfigIndex, ModifyIndex: caConfigIndex };
  const runtime: SimulatorRuntime = {
    leader: options.leader ?? true,
    leaderLostAt: now().getTime(),
    lastContactOverrideMs: undefined,
    version: options.version ?? '1.17.0',
    restores: [],
    snapshots: [],
  };
  const ca = new ConnectCa(store, resolved.datacenter, now);
  const core: SimulatorCore = {
    options: resolved,
    store,
    runtime,
    ca,
    faults: new FaultInjector(),
    nodeId: newUuid(),
    serverAddress: '127.0.0.1:8300',
    now,
  };
  await ca.init();
  const managementToken = bootstrapCluster(core, options.managementSecretId ?? newUuid());
  const requests: RecordedRequest[] = [];
  const { server, url } = await listen(core, createRequestHandler(core, buildRouter(), requests));
  return {
    url,
    managementToken,
    state: new SimulatorState(core),
    faults: core.faults,
    requests,
    options: resolved,
    stop: () => stopServer(server),
  };
}

function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
