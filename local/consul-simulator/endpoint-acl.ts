/**
 * The ONE table of what permission each simulated endpoint checks, with its source. Handlers never name a
 * permission: they call `ctx.enforceAcl()` (refuse with Consul's 403) or `ctx.aclFilter()` (drop what the token may
 * not see) at the point where Consul checks it, and the server refuses to answer a request whose row was not enforced.
 * The contract test walks every row and every registered route.
 */
import { AccessLevel, AclResource } from './http-errors';

/** One permission (`resource:level`, on `name` for named resources). */
export interface AclRule {
  readonly resource: AclResource;
  readonly level: AccessLevel;
  readonly name?: string;
  /**
   * `KeyWritePrefix`: the level on `name` as a prefix AND on every more specific rule under it (a recursive KV
   * delete must not remove a key the token may not write).
   * @default false
   */
  readonly prefix?: boolean;
}

/** What a check can see of the request; handlers add what they learn (config-entry kind/name, list items). */
export interface AclSubject {
  /** The path after the route pattern (an AccessorID, `kind/name`, a service name). */
  readonly suffix: string;
  readonly query: URLSearchParams;
  /** The agent's node name. */
  readonly nodeName: string;
  readonly kind?: string;
  /** The object checked: service, config-entry or node name, KV key (default for KV rows: the path's key). */
  readonly name?: string;
  readonly node?: string;
  /** The operation of a transaction (`set`, `get`, `delete-tree`, …). */
  readonly verb?: string;
}

/**
 * How an endpoint checks: not at all, the presented secret itself, refuse (403), filter results, or each operation
 * of the request on its own (`/v1/txn`: a denied operation is that operation's error in a 409, not a 403).
 */
export type AclMode = 'none' | 'token-self' | 'require' | 'filter' | 'per-operation';

/**
 * Distinguishes several checks on one pattern and method: `list` (`GET /v1/config/:kind`, `GET /v1/kv/?recurse`),
 * `keys` (`?keys`), `tree` (`DELETE /v1/kv/?recurse`), `results` (the results of `/v1/txn`).
 */
export type AclVariant = 'list' | 'keys' | 'tree' | 'results';

/** One row of {@link ENDPOINT_ACL}. */
export interface EndpointAclRow {
  /** As documented, e.g. `GET /v1/acl/token/:AccessorID`. */
  readonly endpoint: string;
  /** The router pattern serving it. */
  readonly pattern: string;
  readonly method: string;
  /** Distinguishes several checks on one pattern and method. */
  readonly variant?: AclVariant;
  readonly mode: AclMode;
  /** The permissions (all must hold); empty for `none` and `token-self`. */
  readonly rules: (s: AclSubject) => AclRule[];
  readonly source: string;
}

const rule = (resource: AclResource, level: AccessLevel, name?: string): AclRule => ({ resource, level, ...(name === undefined ? {} : { name }) });
const keyRule = (level: AccessLevel, prefix = false) => (s: AclSubject): AclRule[] => [{ ...rule('key', level, s.name ?? s.suffix), ...(prefix ? { prefix } : {}) }];
const nothing = (): AclRule[] => [];
const decoded = (s: AclSubject): string => decodeURIComponent(s.suffix);
const destination = (s: AclSubject): string => s.query.get('destination') ?? '';

/** `CanRead`/`CanWrite` of each config-entry kind (`agent/structs/config_entry*.go`), by kind. */
export const CONFIG_ENTRY_ACL: Readonly<Record<string, { read: (name: string) => AclRule[]; write: (name: string) => AclRule[] }>> = {
  'service-intentions': { read: (n) => [rule('intention', 'read', n)], write: (n) => [rule('intention', 'write', n)] },
  'service-defaults': { read: (n) => [rule('service', 'read', n)], write: (n) => [rule('service', 'write', n)] },
  'service-router': { read: (n) => [rule('service', 'read', n)], write: (n) => [rule('service', 'write', n)] },
  'service-splitter': { read: (n) => [rule('service', 'read', n)], write: (n) => [rule('service', 'write', n)] },
  'service-resolver': { read: (n) => [rule('service', 'read', n)], write: (n) => [rule('service', 'write', n)] },
  'proxy-defaults': { read: nothing, write: () => [rule('mesh', 'write')] },
  mesh: { read: nothing, write: () => [rule('mesh', 'write')] },
  'ingress-gateway': { read: (n) => [rule('service', 'read', n)], write: () => [rule('mesh', 'write')] },
  'terminating-gateway': { read: (n) => [rule('service', 'read', n)], write: () => [rule('mesh', 'write')] },
};

const configRules = (level: 'read' | 'write') => (s: AclSubject): AclRule[] => CONFIG_ENTRY_ACL[s.kind ?? '']?.[level](s.name ?? '') ?? [];

const ACL_READ = (): AclRule[] => [rule('acl', 'read')];
const ACL_WRITE = (): AclRule[] => [rule('acl', 'write')];
const ACL_SRC = 'consul-api.md §2 (tokens); policies and roles: same pattern (§2.3), acl:read to read, acl:write to write';

function aclObjectRows(kind: 'token' | 'policy' | 'role'): EndpointAclRow[] {
  const id = kind === 'token' ? ':AccessorID' : ':ID';
  const plural = kind === 'policy' ? 'policies' : `${kind}s`;
  const base = `/v1/acl/${kind}`;
  const row = (endpoint: string, pattern: string, method: string, mode: AclMode, rules: EndpointAclRow['rules']): EndpointAclRow => ({
    endpoint,
    pattern,
    method,
    mode,
    rules,
    source: ACL_SRC,
  });
  return [
    row(`PUT ${base}`, base, 'PUT', 'require', ACL_WRITE),
    row(`GET ${base}/${id}${kind === 'token' ? '' : ' (or /name/:Name)'}`, `${base}/`, 'GET', 'require', ACL_READ),
    row(`PUT ${base}/${id}${kind === 'token' ? ' (and /clone)' : ''}`, `${base}/`, 'PUT', 'require', ACL_WRITE),
    row(`DELETE ${base}/${id}`, `${base}/`, 'DELETE', 'require', ACL_WRITE),
    row(`GET /v1/acl/${plural}`, `/v1/acl/${plural}`, 'GET', 'require', ACL_READ),
  ];
}

const KVS = 'agent/consul/kvs_endpoint.go';

/** `/v1/kv/*`: the key in the path (`:prefix` for the recursive forms), per entry for lists. */
const KV_ROWS: readonly EndpointAclRow[] = [
  { endpoint: 'GET /v1/kv/:key', pattern: '/v1/kv/', method: 'GET', mode: 'require', rules: keyRule('read'), source: `${KVS} KVS.Get: KeyRead after the lookup (a missing key is denied too)` },
  {
    endpoint: 'GET /v1/kv/:prefix?recurse',
    pattern: '/v1/kv/',
    method: 'GET',
    variant: 'list',
    mode: 'filter',
    rules: keyRule('read'),
    source: `${KVS} KVS.List: FilterDirEnt drops entries without key:read (no key:list check: acl_enable_key_list_policy off)`,
  },
  { endpoint: 'GET /v1/kv/:prefix?keys', pattern: '/v1/kv/', method: 'GET', variant: 'keys', mode: 'filter', rules: keyRule('read'), source: `${KVS} KVS.ListKeys: keys filtered by key:read` },
  { endpoint: 'PUT /v1/kv/:key', pattern: '/v1/kv/', method: 'PUT', mode: 'require', rules: keyRule('write'), source: `${KVS} kvsPreApply: KeyWrite on the key` },
  { endpoint: 'DELETE /v1/kv/:key', pattern: '/v1/kv/', method: 'DELETE', mode: 'require', rules: keyRule('write'), source: `${KVS} kvsPreApply: KeyWrite on the key` },
  {
    endpoint: 'DELETE /v1/kv/:prefix?recurse',
    pattern: '/v1/kv/',
    method: 'DELETE',
    variant: 'tree',
    mode: 'require',
    rules: keyRule('write', true),
    source: `${KVS} kvsPreApply (delete-tree): KeyWritePrefixAllowed, write on the prefix and every rule under it`,
  },
];

/** `kvsPreApply` per transaction verb: gets are filtered on output instead; check-index/-session read; the rest write. */
function txnOperationRules(s: AclSubject): AclRule[] {
  if (s.verb === 'get' || s.verb === 'get-tree') return [];
  if (s.verb === 'check-index' || s.verb === 'check-session') return [rule('key', 'read', s.name)];
  return [{ ...rule('key', 'write', s.name), ...(s.verb === 'delete-tree' ? { prefix: true } : {}) }];
}

const TXN_ROWS: readonly EndpointAclRow[] = [
  {
    endpoint: 'PUT /v1/txn',
    pattern: '/v1/txn',
    method: 'PUT',
    mode: 'per-operation',
    rules: txnOperationRules,
    source: 'agent/consul/txn_endpoint.go preCheck: kvsPreApply per KV op, a denial becomes that op\'s TxnError (409)',
  },
  {
    endpoint: 'PUT /v1/txn (results)',
    pattern: '/v1/txn',
    method: 'PUT',
    variant: 'results',
    mode: 'filter',
    rules: (s) => [rule('key', 'read', s.name)],
    source: 'agent/consul/txn_endpoint.go Apply/Read: FilterTxnResults drops KV results without key:read',
  },
];

/** Every endpoint the simulator serves, with the permission Consul checks there. */
export const ENDPOINT_ACL: readonly EndpointAclRow[] = [
  { endpoint: 'GET /v1/snapshot', pattern: '/v1/snapshot', method: 'GET', mode: 'require', rules: ACL_WRITE, source: 'consul-api.md §1.2: authz.Snapshot() checks acl:write' },
  { endpoint: 'PUT /v1/snapshot', pattern: '/v1/snapshot', method: 'PUT', mode: 'require', rules: ACL_WRITE, source: 'consul-api.md §1.3: same as save' },
  {
    endpoint: 'GET /v1/agent/self',
    pattern: '/v1/agent/self',
    method: 'GET',
    mode: 'require',
    rules: (s) => [rule('agent', 'read', s.nodeName)],
    source: 'consul-api.md correction 2 and §5: AgentSelf calls AgentReadAllowed(NodeName)',
  },
  { endpoint: 'GET /v1/status/leader', pattern: '/v1/status/leader', method: 'GET', mode: 'none', rules: nothing, source: 'consul-api.md §5: no ACL' },
  { endpoint: 'GET /v1/status/peers', pattern: '/v1/status/peers', method: 'GET', mode: 'none', rules: nothing, source: 'consul-api.md §5: no ACL' },
  {
    endpoint: 'GET /v1/operator/raft/configuration',
    pattern: '/v1/operator/raft/configuration',
    method: 'GET',
    mode: 'require',
    rules: () => [rule('operator', 'read')],
    source: 'consul-api.md §5: operator:read',
  },
  ...aclObjectRows('token'),
  {
    endpoint: 'GET /v1/acl/token/self',
    pattern: '/v1/acl/token/self',
    method: 'GET',
    mode: 'token-self',
    rules: nothing,
    source: 'consul-api.md §2: no permission, the presented secret is read (TokenIDType=Secret); unknown → 404',
  },
  ...aclObjectRows('policy'),
  ...aclObjectRows('role'),
  { endpoint: 'GET /v1/connect/ca/roots', pattern: '/v1/connect/ca/roots', method: 'GET', mode: 'none', rules: nothing, source: 'consul-api.md §4.1: no ACL' },
  { endpoint: 'GET /v1/agent/connect/ca/roots', pattern: '/v1/agent/connect/ca/roots', method: 'GET', mode: 'none', rules: nothing, source: 'consul-api.md §4.1: no ACL' },
  {
    endpoint: 'GET /v1/connect/ca/configuration',
    pattern: '/v1/connect/ca/configuration',
    method: 'GET',
    mode: 'require',
    rules: () => [rule('operator', 'write')],
    source: 'consul-api.md §4.2: operator:write (operator:read before 1.8.6)',
  },
  {
    endpoint: 'PUT /v1/connect/ca/configuration',
    pattern: '/v1/connect/ca/configuration',
    method: 'PUT',
    mode: 'require',
    rules: () => [rule('operator', 'write')],
    source: 'consul-api.md §4.2: operator:write',
  },
  {
    endpoint: 'GET /v1/agent/connect/ca/leaf/:service',
    pattern: '/v1/agent/connect/ca/leaf/',
    method: 'GET',
    mode: 'require',
    rules: (s) => [rule('service', 'write', decoded(s))],
    source: 'consul-api.md §4.3: service:write on :service',
  },
  {
    endpoint: 'PUT /v1/config',
    pattern: '/v1/config',
    method: 'PUT',
    mode: 'require',
    rules: configRules('write'),
    source: "consul-api.md §3.2: the kind's CanWrite (service-intentions: intentions:write on Name)",
  },
  {
    endpoint: 'GET /v1/config/:kind/:name',
    pattern: '/v1/config/',
    method: 'GET',
    mode: 'require',
    rules: configRules('read'),
    source: "consul-api.md §3.2: the kind's CanRead (service-intentions: intentions:read on :name)",
  },
  {
    endpoint: 'GET /v1/config/:kind',
    pattern: '/v1/config/',
    method: 'GET',
    variant: 'list',
    mode: 'filter',
    rules: configRules('read'),
    source: "consul-api.md §3.2: lists are ACL-filtered by each entry's CanRead",
  },
  {
    endpoint: 'DELETE /v1/config/:kind/:name',
    pattern: '/v1/config/',
    method: 'DELETE',
    mode: 'require',
    rules: configRules('write'),
    source: "consul-api.md §3.2: the kind's CanWrite",
  },
  {
    endpoint: 'GET /v1/connect/intentions',
    pattern: '/v1/connect/intentions',
    method: 'GET',
    mode: 'filter',
    rules: (s) => [rule('intention', 'read', s.name)],
    source: 'consul-api.md §3.1: intentions:read, filtered per destination',
  },
  {
    endpoint: 'GET /v1/connect/intentions/check',
    pattern: '/v1/connect/intentions/check',
    method: 'GET',
    mode: 'require',
    rules: (s) => [rule('service', 'read', destination(s))],
    source: 'agent/consul/intention_endpoint.go Check: "only require ServiceRead and NOT IntentionRead" on the destination (consul-api.md §3.1 docs say intentions:read)',
  },
  ...(['GET', 'PUT', 'DELETE'] as const).map(
    (method): EndpointAclRow => ({
      endpoint: `${method} /v1/connect/intentions/exact`,
      pattern: '/v1/connect/intentions/exact',
      method,
      mode: 'require',
      rules: (s) => [rule('intention', method === 'GET' ? 'read' : 'write', destination(s))],
      source: `consul-api.md §3.1: intentions:${method === 'GET' ? 'read' : 'write'} on the destination`,
    }),
  ),
  {
    endpoint: 'GET /v1/catalog/services',
    pattern: '/v1/catalog/services',
    method: 'GET',
    mode: 'filter',
    rules: (s) => [rule('service', 'read', s.name)],
    source: 'consul-api.md §5: service:read, results filtered (aclFilter.filterServices)',
  },
  {
    endpoint: 'GET /v1/catalog/service/:service',
    pattern: '/v1/catalog/service/',
    method: 'GET',
    mode: 'filter',
    rules: (s) => [rule('node', 'read', s.node), rule('service', 'read', s.name)],
    source: 'agent/consul/acl.go aclFilter.filterServiceNodes: node:read on the node AND service:read on the service, per instance',
  },
  {
    endpoint: 'GET /v1/catalog/connect/:service',
    pattern: '/v1/catalog/connect/',
    method: 'GET',
    mode: 'filter',
    rules: (s) => [rule('service', 'read', decoded(s)), rule('node', 'read', s.node), rule('service', 'read', s.name)],
    source:
      'Catalog.ServiceNodes (Connect): service:read on :service or an empty answer; then filterServiceNodes per proxy ' +
      '(node:read and service:read on the proxy)',
  },  ...KV_ROWS,
  ...TXN_ROWS,
];

/** The row of an endpoint, or `undefined` when the table has none (a simulator bug the contract test catches). */
export function endpointAclRow(pattern: string, method: string, variant?: AclVariant): EndpointAclRow | undefined {
  return ENDPOINT_ACL.find((r) => r.pattern === pattern && r.method === method && r.variant === variant);
}
