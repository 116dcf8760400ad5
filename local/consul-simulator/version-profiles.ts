/**
 * Consul version profiles: EVERY per-version difference the simulator models lives in {@link VERSION_TABLE}, one row
 * per version where something changed, each citing where the fact comes from. Code never compares version strings:
 * it reads `core.profile.features.<flag>`.
 *
 * A version resolves to the state after the nearest lower row (rows apply cumulatively, oldest first). `1.17.0` gets the
 * 1.17.0 row; `1.20.6` gets everything up to the 1.18.0 row; backports are rows of their own (`1.15.8` switches
 * `configEntryHash` on, `1.16.0` off again until `1.16.4`).
 *
 * @example
 * const profile = resolveConsulProfile('1.15.11');
 * profile.features.leafCachePerToken; // true: 1.15 keys the agent leaf cache by token
 */

/** Built-in ACL templated policy names (`api/acl.go` `ACLTemplatedPolicy*Name`). */
export type TemplatedPolicyName =
  | 'builtin/service'
  | 'builtin/node'
  | 'builtin/dns'
  | 'builtin/nomad-server'
  | 'builtin/api-gateway'
  | 'builtin/nomad-client';

/** What a Consul version does, as flags the simulator reads. */
export interface ProfileFeatures {
  /** The agent leaf-certificate cache key includes the request token (`datacenter/token/service`). */
  readonly leafCachePerToken: boolean;
  /** Tokens and roles carry `TemplatedPolicies` (the field exists; before, it is an unknown field). */
  readonly templatedPolicies: boolean;
  /** Built-in templates the server knows (empty without {@link templatedPolicies}). */
  readonly templatedPolicyNames: readonly TemplatedPolicyName[];
  /** `GET /v1/acl/tokens?servicename=X` also matches tokens with a `builtin/service` templated policy for X. */
  readonly tokenListServiceNameMatchesTemplates: boolean;
  /** The agent option `default_intention_policy` exists. */
  readonly defaultIntentionPolicy: boolean;
  /** state.bin: `Locality` on Register/Node/Service records. */
  readonly locality: boolean;
  /** state.bin: `ServiceVirtualIP.ManualIPs` and the UpdateVirtualIP request type (43). */
  readonly manualVirtualIps: boolean;
  /** state.bin: config entries carry `Hash` (uint64). */
  readonly configEntryHash: boolean;
}

/** One row of {@link VERSION_TABLE}: what changes from `since` on, and the source of that fact. */
export interface VersionRow {
  /** First version (major.minor.patch) with these values. */
  readonly since: string;
  /** The flags this row sets; the first row sets all of them. */
  readonly set: Partial<ProfileFeatures>;
  /** Where the fact comes from (reference section, Consul source or changelog). */
  readonly source: string;
}

const CORE_TEMPLATES: readonly TemplatedPolicyName[] = ['builtin/service', 'builtin/node', 'builtin/dns'];

/** Every per-version difference, oldest first. */
export const VERSION_TABLE: readonly VersionRow[] = [
  {
    since: '1.15.0',
    set: {
      leafCachePerToken: true,
      templatedPolicies: false,
      templatedPolicyNames: [],
      tokenListServiceNameMatchesTemplates: false,
      defaultIntentionPolicy: false,
      locality: false,
      manualVirtualIps: false,
      configEntryHash: false,
    },
    source:
      'consul-api.md correction 5 (1.15 leaf cache keyed datacenter/token/service); correction 3 (no TemplatedPolicies before 1.17); ' +
      'ops-contracts.md §4.1 (default_intention_policy from 1.18); state-bin.md §7 (locality, manual VIPs from 1.16)',
  },
  { since: '1.15.8', set: { configEntryHash: true }, source: 'state-bin.md §7: PR #19795 (config-entry Hash) backported to 1.15 (Dec 2023 patch)' },
  {
    since: '1.16.0',
    set: { leafCachePerToken: false, locality: true, manualVirtualIps: true, configEntryHash: false },
    source: 'consul-api.md correction 5 (leafcert.Manager, PR #17075: one leaf per service); state-bin.md §7 (Locality, ManualIPs in 1.16.0)',
  },
  { since: '1.16.4', set: { configEntryHash: true }, source: 'state-bin.md §7: PR #19795 backported to 1.16 (Dec 2023 patch)' },
  {
    since: '1.17.0',
    set: { templatedPolicies: true, templatedPolicyNames: CORE_TEMPLATES, configEntryHash: false },
    source: 'consul-api.md correction 3; hashicorp/consul agent/structs/acl_templated_policy.go at 1.17.0 (service, node, dns); CHANGELOG 1.17.0 (GH-18708)',
  },
  {
    since: '1.17.1',
    set: {
      templatedPolicyNames: [...CORE_TEMPLATES, 'builtin/nomad-server', 'builtin/api-gateway', 'builtin/nomad-client'],
      tokenListServiceNameMatchesTemplates: true,
      configEntryHash: true,
    },
    source:
      'CHANGELOG 1.17.1: api-gateway (GH-19728) and nomad-client (GH-19827) templates, token list by service name through templated ' +
      'policies (GH-19666), config-entry hash (GH-19795); nomad-server template release unverified (present in the 1.18+ registry)',
  },
  {
    since: '1.18.0',
    set: { defaultIntentionPolicy: true },
    source: 'ops-contracts.md §4.1: agent option default_intention_policy, PR #20544 (Feb 2024), in 1.18.x',
  },
];

/** The versions contract tests run against: the last CE patch of each profiled line (Go module tags), oldest first. */
export const CONSUL_PROFILE_VERSIONS = ['1.15.11', '1.16.7', '1.17.4', '1.18.2', '1.21.2'] as const;

/** The newest profiled version: the simulator's default. */
export const DEFAULT_CONSUL_VERSION: string = CONSUL_PROFILE_VERSIONS[CONSUL_PROFILE_VERSIONS.length - 1];

/** A resolved profile. */
export interface ConsulProfile {
  /** The version the simulator reports (as requested). */
  readonly version: string;
  /** `since` of the nearest lower row of {@link VERSION_TABLE}. */
  readonly row: string;
  readonly features: ProfileFeatures;
}

type Triple = readonly [number, number, number];

function parseVersion(version: string, what: string): Triple {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`${what} must look like ${DEFAULT_CONSUL_VERSION} (major.minor.patch); got "${version}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compare(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Resolves a Consul version (`1.15.11`) to its profile; throws a one-line error for a malformed or too old version. */
export function resolveConsulProfile(version: string): ConsulProfile {
  const wanted = parseVersion(version, 'consulVersion');
  const oldest = VERSION_TABLE[0].since;
  if (compare(wanted, parseVersion(oldest, 'row')) < 0) {
    throw new Error(`consulVersion ${version} is older than the oldest simulated Consul (${oldest}); use ${oldest} or newer`);
  }
  let features = {} as ProfileFeatures;
  let row = oldest;
  for (const r of VERSION_TABLE) {
    if (compare(parseVersion(r.since, 'row'), wanted) > 0) break;
    features = { ...features, ...r.set };
    row = r.since;
  }
  return { version, row, features };
}

/** Switches a running simulator's Consul version: profile and reported version together. */
export function applyConsulVersion(core: { profile: ConsulProfile; runtime: { version: string } }, version: string): void {
  core.profile = resolveConsulProfile(version);
  core.runtime.version = version;
}
