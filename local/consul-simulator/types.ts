/**
 * Public option types of the Consul API simulator and the internal "core" every handler receives.
 */
import type { ConnectCa } from './ca';
import type { FaultInjector } from './faults';
import type { StateBinFeatures } from './state-schemas';
import type { SimulatorStore } from './store';
import type { Compressibility } from './synthetic-state';

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

/** Options of `startConsulSimulator`. */
export interface ConsulSimulatorOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** @default 'dc1' */
  readonly datacenter?: string;
  /** The Consul version `/v1/agent/self` reports. @default '1.17.0' */
  readonly version?: string;
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
   * Agent option `default_intention_policy` (Consul ≥ 1.18). Shown in `DebugConfig.DefaultIntentionPolicy` only when
   * set; `/v1/connect/intentions/check` ignores it, reproducing the PR #23868 bug.
   * @default - unset (the field is absent, as on 1.17)
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
  /** Version-dependent state.bin record fields. @default NEWEST_STATE_BIN_FEATURES (Consul 1.21) */
  readonly stateBinFeatures?: StateBinFeatures;
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
  readonly stateBinFeatures: StateBinFeatures;
  readonly gzipLevel: number | undefined;
  readonly agentDefaultToken: string | undefined;
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
  version: string;
  readonly restores: RestoreRecord[];
  readonly snapshots: SnapshotRecord[];
}

/** What every handler can reach. */
export interface SimulatorCore {
  readonly options: ResolvedOptions;
  readonly store: SimulatorStore;
  readonly runtime: SimulatorRuntime;
  readonly ca: ConnectCa;
  readonly faults: FaultInjector;
  /** The node's ID (also the raft server ID). */
  readonly nodeId: string;
  /** `127.0.0.1:8300`: the server RPC address reported by status/raft endpoints and meta.json. */
  readonly serverAddress: string;
  now(): Date;
}
