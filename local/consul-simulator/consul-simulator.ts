/**
 * `startConsulSimulator`: a Consul HTTP API simulator that follows shared/reference/consul-api.md — exact status
 * codes, plain-text error bodies, Go field names and headers — for the endpoints consul-ops uses, as strict as the
 * chosen Consul version (`consulVersion`, see version-profiles.ts), with a state API and fault injection.
 *
 * @example
 * const sim = await startConsulSimulator({ consulVersion: '1.15.11', defaultPolicy: 'deny' });
 * const res = await request(`${sim.url}/v1/snapshot`, { headers: { 'X-Consul-Token': sim.managementToken.secretId } });
 * sim.faults.inject({ path: '/v1/snapshot', kind: 'reset-mid-stream', afterBytes: 4096, times: 1 });
 * await sim.stop();
 */
import { randomBytes } from 'node:crypto';
import { Server } from 'node:http';
import { AclReplication } from './acl-replication';
import { bootstrapCluster } from './bootstrap';
import { ConnectCa, DEFAULT_CA_CONFIG } from './ca';
import { FaultInjector } from './faults';
import { isUuid, newUuid } from './go-format';
import { GrpcTlsListener, startGrpcTlsListener } from './grpc-tls';
import { buildRouter } from './routes';
import { createRequestHandler, listen, RecordedRequest } from './server';
import { SimulatorState } from './state-api';
import { SimulatorStore } from './store';
import { ConsulSimulatorOptions, ResolvedOptions, SimulatorCore, SimulatorRuntime } from './types';
import { ConsulProfile, DEFAULT_CONSUL_VERSION, resolveConsulProfile } from './version-profiles';

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
  /** The active Consul version profile (changes with `state.setVersion`). */
  readonly profile: ConsulProfile;
  /** The port of the real gRPC-TLS listener (`grpcTls`), advertised as `xDS.Ports.TLS`. */
  readonly grpcTlsPort: number | undefined;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

function resolveOptions(o: ConsulSimulatorOptions, profile: ConsulProfile): ResolvedOptions {
  const aclsEnabled = o.aclsEnabled ?? true;
  if (o.defaultIntentionPolicy !== undefined && !profile.features.defaultIntentionPolicy) {
    throw new Error(`defaultIntentionPolicy needs Consul 1.18 or newer: Consul ${profile.version} has no default_intention_policy option`);
  }
  const lag = o.aclReplicationLagMs ?? 0;
  if (!(Number.isFinite(lag) && lag >= 0)) throw new Error(`aclReplicationLagMs must be a number of ms ≥ 0, e.g. 2000; got ${lag}`);
  const datacenter = o.datacenter ?? 'dc1';
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    datacenter,
    nodeName: o.nodeName ?? `consul-sim-${randomBytes(3).toString('hex')}`,
    aclsEnabled,
    defaultPolicy: o.defaultPolicy ?? (aclsEnabled ? 'deny' : 'allow'),
    defaultIntentionPolicy: o.defaultIntentionPolicy,
    agentKind: o.agentKind ?? 'server',
    tls: o.tls,
    snapshotStateBytes: o.snapshotStateBytes,
    snapshotCompressibility: o.snapshotCompressibility ?? 'realistic',
    gzipLevel: o.gzipLevel,
    agentDefaultToken: o.agentDefaultToken,
    primaryDatacenter: o.primaryDatacenter ?? datacenter,
    aclReplicationLagMs: lag,
    grpcPort: o.grpcPort ?? 8502,
    grpcTls: o.grpcTls,
  };
}

/** Starts a simulator; stop it with `stop()`. */
export async function startConsulSimulator(options: ConsulSimulatorOptions = {}): Promise<ConsulSimulator> {
  const profile = resolveConsulProfile(options.consulVersion ?? DEFAULT_CONSUL_VERSION);
  const resolved = resolveOptions(options, profile);
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
    version: profile.version,
    grpcTlsPort: undefined,
    restores: [],
    snapshots: [],
    listeners: [],
  };
  // The CA reads the profile lazily: `state.setVersion` can change it later.
  const ca = new ConnectCa(store, resolved.datacenter, now, () => core.profile);
  const core: SimulatorCore = {
    options: resolved,
    profile,
    store,
    replication: new AclReplication(store, resolved.primaryDatacenter !== resolved.datacenter, resolved.aclReplicationLagMs),
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
  const grpcTls: GrpcTlsListener | undefined = resolved.grpcTls ? await startGrpcTlsListener(resolved.host, resolved.grpcTls) : undefined;
  runtime.grpcTlsPort = grpcTls?.port;
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(core, createRequestHandler(core, buildRouter(), requests));
  } catch (err) {
    await grpcTls?.close();
    throw err;
  }
  const { server, url } = listening;
  return {
    url,
    managementToken,
    state: new SimulatorState(core),
    faults: core.faults,
    requests,
    options: resolved,
    get profile() {
      return core.profile;
    },
    grpcTlsPort: grpcTls?.port,
    stop: async () => {
      await Promise.all([stopServer(server), grpcTls?.close(), ...runtime.listeners.map((l) => l.close())]);
    },
  };
}

function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
