/**
 * Public option types of the Consul API simulator and the internal "core" every handler receives.
 */
import type { AclReplication } from './acl-replication';
import type { ConnectCa } from './ca';
import type { FaultInjector } from './faults';
import type { SimulatorStore } from './store';
import type { Compressibility } from './synthetic-state';
import type { ConsulProfile } from './version-profiles';

/** TLS settings: with them the simulator listens on HTTPS like Consul's `ports.https`. */
export interface SimulatorTlsOptions {
  /** Server certificate (PEM). */
  readonly certPem: string;
  /** Server private key (PEM). */
  readonly keyPem: string;
  /**
   * CA bundle used to verify client certificates.
   * @default - client certificates are not verified
   */
  readonly caPem?: string;
  /**
   * Ask for and require a client certificate signed by `caPem`, like `verify_incoming = true`.
   * @default false
   */
  readonly requestClientCert?: boolean;
}

/** A real gRPC-TLS listener (Consul's `ports.grpc_tls`): the simulator serves TLS with this certificate. */
export interface SimulatorGrpcTlsOptions {
  /** Certificate chain (PEM), leaf first. */
  readonly certPem: string;
  /** Private key (PEM). */
  readonly keyPem: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
}

/** Options of `startConsulSimulator`. */
export interface ConsulSimulatorOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** @default 'dc1' */
  readonly datacenter?: string;
  /**
   * The Consul version to behave as (`1.15.11`); every per-version difference comes from `VERSION_TABLE`
   * (version-profiles.ts), a version between rows behaving as the nearest lower row.
   * @default - the newest profile (`DEFAULT_CONSUL_VERSION`)
   */
  readonly consulVersion?: string;
  /**
   * The ACL primary datacenter. When it differs from `datacenter`, the simulator is a secondary: global tokens written
   * through it are stored in the primary and become visible here after `aclReplicationLagMs`.
   * @default - the simulator's own datacenter
   */
  readonly primaryDatacenter?: string;
  /** ACL replication lag of a secondary, in ms (see `primaryDatacenter`). @default 0 */
  readonly aclReplicationLagMs?: number;
  /** The plaintext gRPC port `/v1/agent/self` advertises (`xDS.Ports.Plaintext`); -1 for off. @default 8502 */
  readonly grpcPort?: number;
  /** Serve a real gRPC-TLS port with this certificate and advertise it as `xDS.Ports.TLS`. @default - TLS port off (-1) */
  readonly grpcTls?: SimulatorGrpcTlsOptions;
  /** @default - `consul-sim-<random>` */
  readonly nodeName?: string;
  /** @default true */
  readonly aclsEnabled?: boolean;
  /**
   * ACL `default_policy`.
   * @default 'deny' (with ACLs disabled: 'allow', Consul's own default)
   */
  readonly defaultPolicy?: 'allow' | 'deny';
  /**
   * Agent option `default_intention_policy` (profile flag `defaultIntentionPolicy`, Consul ≥ 1.18: older versions refuse
   * to start with it). Shown in `DebugConfig.DefaultIntentionPolicy` only when set; `/v1/connect/intentions/check`
   * ignores it, reproducing the PR #23868 bug.
   * @default - unset (the field is absent)
   */
  readonly defaultIntentionPolicy?: '' | 'allow' | 'deny';
  /** `client` prefixes server-RPC errors with `rpc error making call: `. @default 'server' */
  readonly agentKind?: 'server' | 'client';
  /** @default - plain HTTP */
  readonly tls?: SimulatorTlsOptions;
  /** Whether the cluster has a leader. @default true */
  readonly leader?: boolean;
  /**
   * Fill state.bin of every saved snapshot up to exactly this many bytes with synthetic KVS records under
   * `_synthetic/` (streamed, never buffered; restores skip those keys).
   * @default - state.bin holds only the real state
   */
  readonly snapshotStateBytes?: number;
  /** Values of the synthetic records: JSON config text (gzip ≈ 35–42 %) or random bytes. @default 'realistic' */
  readonly snapshotCompressibility?: Compressibility;
  /** gzip level of saved snapshots. @default - the archive writer's default */
  readonly gzipLevel?: number;
  /** SecretID of the initial management token. @default - a random UUID */
  readonly managementSecretId?: string;
  /** The agent's `acl.tokens.default`, used when a request carries no token. @default - the anonymous token */
  readonly agentDefaultToken?: string;
  /** Clock used for token times, certificates and snapshot IDs. @default () => new Date() */
  readonly now?: () => Date;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly datacenter: string;
  readonly nodeName: string;
  readonly aclsEnabled: boolean;
  readonly defaultPolicy: 'allow' | 'deny';
  readonly defaultIntentionPolicy: '' | 'allow' | 'deny' | undefined;
  readonly agentKind: 'server' | 'client';
  readonly tls: SimulatorTlsOptions | undefined;
  readonly snapshotStateBytes: number | undefined;
  readonly snapshotCompressibility: Compressibility;
  readonly gzipLevel: number | undefined;
  readonly agentDefaultToken: string | undefined;
  readonly primaryDatacenter: string;
  readonly aclReplicationLagMs: number;
  readonly grpcPort: number;
  readonly grpcTls: SimulatorGrpcTlsOptions | undefined;
}

/** One restore the simulator accepted. */
export interface RestoreRecord {
  /** sha256 (hex) of the archive bytes as received. */
  readonly archiveSha256: string;
  readonly archiveBytes: number;
  /** `Index` from the archive's meta.json. */
  readonly index: number;
  /** True when state.bin was restored and replaced the whole state. */
  readonly stateReplaced: boolean;
  /** Why raft or the FSM refused the archive after it verified (`unsupported snapshot version 2`, `failed to restore snapshot: …`). */
  readonly error?: string;
  readonly at: Date;
}

/** One snapshot the simulator served. */
export interface SnapshotRecord {
  readonly id: string;
  readonly index: number;
  readonly stateBytes: number;
  readonly at: Date;
}

/** Runtime facts that are not part of a snapshot. */
export interface SimulatorRuntime {
  leader: boolean;
  /** When leadership was last lost (ms since epoch); drives `X-Consul-LastContact` for stale reads. */
  leaderLostAt: number;
  /** Fixed `X-Consul-LastContact` value for stale reads without a leader. */
  lastContactOverrideMs: number | undefined;
  /** The reported Consul version: always `profile.version` (set both with `applyConsulVersion`). */
  version: string;
  /** The bound gRPC-TLS port, when `grpcTls` is served. */
  grpcTlsPort: number | undefined;
  readonly restores: RestoreRecord[];
  readonly snapshots: SnapshotRecord[];
  /** Listeners started through the state API (sidecars): closed with the simulator. */
  readonly listeners: { close(): Promise<void> }[];
}

/** What every handler can reach. */
export interface SimulatorCore {
  readonly options: ResolvedOptions;
  /** The active Consul version profile: read `profile.features.<flag>`, never compare versions. */
  profile: ConsulProfile;
  readonly store: SimulatorStore;
  /** ACL replication from the primary (a no-op in the primary datacenter). */
  readonly replication: AclReplication;
  readonly runtime: SimulatorRuntime;
  readonly ca: ConnectCa;
  readonly faults: FaultInjector;
  /** The node's ID (also the raft server ID). */
  readonly nodeId: string;
  /** `127.0.0.1:8300`: the server RPC address reported by status/raft endpoints and meta.json. */
  readonly serverAddress: string;
  now(): Date;
}
