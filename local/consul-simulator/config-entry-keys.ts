/**
 * Unknown keys in a config-entry write. `PUT /v1/config` decodes with mapstructure (`structs.DecodeConfigEntry`),
 * collects the unused keys and refuses them in `validateUnusedKeys` (agent/structs/config_entry_ce.go):
 * `invalid config key "<key>"`, with an Enterprise hint for keys ending in `namespace`, as a go-multierror list.
 * Keys match case-insensitively and in snake_case (`HookTranslateKeys`); nested keys are reported with their path
 * (`Sources[0].Foo`). `service-intentions` is checked in depth; other kinds at the top level only.
 */
import { multierror } from './go-format';

/** Known keys of a struct: `true` for a leaf (not looked into), a nested struct, or `[struct]` for a list of them. */
type KeyTree = { readonly [key: string]: true | KeyTree | readonly [KeyTree] };

const leaves = (...keys: string[]): Record<string, true> => Object.fromEntries(keys.map((k) => [k, true]));

const HEADER: KeyTree = leaves('Name', 'Present', 'Exact', 'Prefix', 'Suffix', 'Regex', 'Invert');
const PERMISSION: KeyTree = {
  ...leaves('Action', 'JWT'),
  HTTP: { ...leaves('PathExact', 'PathPrefix', 'PathRegex', 'Methods'), Header: [HEADER] },
};
const SOURCE: KeyTree = {
  ...leaves('Name', 'Peer', 'SamenessGroup', 'Action', 'Precedence', 'Type', 'Description'),
  ...leaves('LegacyID', 'LegacyMeta', 'LegacyCreateTime', 'LegacyUpdateTime'),
  Permissions: [PERMISSION],
};

const COMMON = leaves('Kind', 'Name', 'Meta', 'CreateIndex', 'ModifyIndex');

/** Known keys per kind (CE structs of 1.15–1.21; fields of later versions included). */
const KIND_KEYS: Readonly<Record<string, KeyTree>> = {
  'service-intentions': { ...COMMON, JWT: true, Sources: [SOURCE] },
  'service-defaults': {
    ...COMMON,
    ...leaves('Protocol', 'Mode', 'TransparentProxy', 'MutualTLSMode', 'MeshGateway', 'Expose', 'ExternalSNI', 'UpstreamConfig'),
    ...leaves('Destination', 'MaxInboundConnections', 'LocalConnectTimeoutMs', 'LocalRequestTimeoutMs', 'BalanceInboundConnections'),
    ...leaves('RateLimits', 'EnvoyExtensions'),
  },
  'proxy-defaults': {
    ...COMMON,
    ...leaves('Config', 'Mode', 'TransparentProxy', 'MutualTLSMode', 'MeshGateway', 'Expose', 'AccessLogs', 'EnvoyExtensions'),
    ...leaves('FailoverPolicy', 'PrioritizeByLocality'),
  },
  mesh: { ...COMMON, ...leaves('TransparentProxy', 'AllowEnablingPermissiveMutualTLS', 'ValidateClusters', 'TLS', 'HTTP', 'Peering') },
  'service-router': { ...COMMON, Routes: true },
  'service-splitter': { ...COMMON, Splits: true },
  'service-resolver': {
    ...COMMON,
    ...leaves('DefaultSubset', 'Subsets', 'Redirect', 'Failover', 'ConnectTimeout', 'RequestTimeout', 'PrioritizeByLocality', 'LoadBalancer'),
  },
  'ingress-gateway': { ...COMMON, ...leaves('TLS', 'Listeners', 'Defaults') },
  'terminating-gateway': { ...COMMON, Services: true },
};

const norm = (key: string): string => key.replace(/_/g, '').toLowerCase();

function unused(value: unknown, tree: KeyTree, path: string, out: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const known = new Map(Object.keys(tree).map((k) => [norm(k), k]));
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const match = known.get(norm(key));
    const where = path ? `${path}.${key}` : key;
    if (match === undefined) {
      out.push(where);
      continue;
    }
    const sub = tree[match];
    if (sub === true) continue;
    if (Array.isArray(sub)) {
      if (Array.isArray(child)) child.forEach((item, i) => unused(item, sub[0] as KeyTree, `${where}[${i}]`, out));
    } else unused(child, sub as KeyTree, where, out);
  }
}

/**
 * The `Request decoding failed: …` reason for the unknown keys of an entry of `kind`, or `undefined` when every key is
 * known. (Go reports them in map order; the simulator sorts them.)
 */
export function unknownConfigKeys(kind: string, raw: Record<string, unknown>): string | undefined {
  const tree = KIND_KEYS[kind];
  if (!tree) return undefined;
  const keys: string[] = [];
  unused(raw, tree, '', keys);
  if (keys.length === 0) return undefined;
  const messages = keys
    .sort()
    .map((k) => (k.toLowerCase().endsWith('namespace') ? `invalid config key "${k}", namespaces are a consul enterprise feature` : `invalid config key "${k}"`));
  return multierror(messages);
}
