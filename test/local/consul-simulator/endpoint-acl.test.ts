import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { AclRule, ENDPOINT_ACL, EndpointAclRow } from '../../../local/consul-simulator/endpoint-acl';
import { simulatorRoutes } from '../../../local/consul-simulator/routes';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call, RawResponse } from './http';

const NODE = 'node1';
const ANON = '00000000-0000-0000-0000-000000000002';
/** `[resource, level, name, 'prefix']`: the last element marks a KeyWritePrefix check (a `key_prefix` rule grants it). */
type Rule = readonly [AclRule['resource'], AclRule['level'], string?, 'prefix'?];

/** One request that reaches the endpoint's ACL check, and what Consul checks there (written from the reference). */
interface Sample {
  /** The permissions Consul checks, independently of ENDPOINT_ACL. */
  readonly expect: readonly Rule[];
  /** Path (and body) of a request that succeeds with exactly those permissions; may create fixtures first. */
  readonly request: (sim: ConsulSimulator) => Promise<{ path: string; body?: unknown }>;
  /** For filtered endpoints: is the fixture in the answer? */
  readonly shows?: (res: RawResponse) => boolean;
  /** Status of a filtered answer that lost the fixture (KV lists answer 404 when nothing is left). @default 200 */
  readonly filteredStatus?: number;
}

let counter = 0;
const unique = (p: string): string => `${p}-${++counter}`;
const victimToken = (sim: ConsulSimulator) => sim.state.createToken({ Description: unique('victim') }).AccessorID;
const intentionFor = (sim: ConsulSimulator, name: string) =>
  sim.state.setConfigEntry({ Kind: 'service-intentions', Name: name, Sources: [{ Name: 'web', Action: 'allow' }] });
const fixed = (path: string, body?: unknown) => () => Promise.resolve({ path, body });
const b64 = (text: string) => Buffer.from(text).toString('base64');
const withKey = (path: string, key: string, body?: unknown) => async (sim: ConsulSimulator) => {
  sim.state.kvPut(key, 'v');
  return { path, body };
};
const listed = (key: string) => (res: RawResponse) => res.status === 200 && res.json<(string | { Key: string })[]>().some((e) => (typeof e === 'string' ? e : e.Key) === key);

const SAMPLES: Record<string, Sample> = {
  'GET /v1/snapshot': { expect: [['acl', 'write']], request: fixed('/v1/snapshot') },
  'PUT /v1/snapshot': {
    expect: [['acl', 'write']],
    request: async (sim) => ({ path: '/v1/snapshot', body: (await call(sim.url, 'GET', '/v1/snapshot', { token: sim.managementToken.secretId })).bytes }),
  },
  'GET /v1/agent/self': { expect: [['agent', 'read', NODE]], request: fixed('/v1/agent/self') },
  'GET /v1/status/leader': { expect: [], request: fixed('/v1/status/leader') },
  'GET /v1/status/peers': { expect: [], request: fixed('/v1/status/peers') },
  'GET /v1/operator/raft/configuration': { expect: [['operator', 'read']], request: fixed('/v1/operator/raft/configuration') },
  'PUT /v1/acl/token': { expect: [['acl', 'write']], request: async () => ({ path: '/v1/acl/token', body: { Description: unique('t') } }) },
  'GET /v1/acl/token/:AccessorID': { expect: [['acl', 'read']], request: async (sim) => ({ path: `/v1/acl/token/${victimToken(sim)}` }) },
  'PUT /v1/acl/token/:AccessorID (and /clone)': {
    expect: [['acl', 'write']],
    request: async (sim) => ({ path: `/v1/acl/token/${victimToken(sim)}`, body: { Description: 'updated' } }),
  },
  'DELETE /v1/acl/token/:AccessorID': { expect: [['acl', 'write']], request: async (sim) => ({ path: `/v1/acl/token/${victimToken(sim)}` }) },
  'GET /v1/acl/tokens': { expect: [['acl', 'read']], request: fixed('/v1/acl/tokens') },
  'GET /v1/acl/token/self': { expect: [], request: fixed('/v1/acl/token/self') },
  'PUT /v1/acl/policy': { expect: [['acl', 'write']], request: async () => ({ path: '/v1/acl/policy', body: { Name: unique('p') } }) },
  'GET /v1/acl/policy/:ID (or /name/:Name)': { expect: [['acl', 'read']], request: async (sim) => ({ path: `/v1/acl/policy/${sim.state.createPolicy({ Name: unique('p') }).ID}` }) },
  'PUT /v1/acl/policy/:ID': {
    expect: [['acl', 'write']],
    request: async (sim) => {
      const p = sim.state.createPolicy({ Name: unique('p') });
      return { path: `/v1/acl/policy/${p.ID}`, body: { Name: p.Name, Rules: 'acl = "read"' } };
    },
  },
  'DELETE /v1/acl/policy/:ID': { expect: [['acl', 'write']], request: async (sim) => ({ path: `/v1/acl/policy/${sim.state.createPolicy({ Name: unique('p') }).ID}` }) },
  'GET /v1/acl/policies': { expect: [['acl', 'read']], request: fixed('/v1/acl/policies') },
  'PUT /v1/acl/role': { expect: [['acl', 'write']], request: async () => ({ path: '/v1/acl/role', body: { Name: unique('r') } }) },
  'GET /v1/acl/role/:ID (or /name/:Name)': { expect: [['acl', 'read']], request: async (sim) => ({ path: `/v1/acl/role/${sim.state.createRole({ Name: unique('r') }).ID}` }) },
  'PUT /v1/acl/role/:ID': {
    expect: [['acl', 'write']],
    request: async (sim) => {
      const r = sim.state.createRole({ Name: unique('r') });
      return { path: `/v1/acl/role/${r.ID}`, body: { Name: r.Name, Description: 'd' } };
    },
  },
  'DELETE /v1/acl/role/:ID': { expect: [['acl', 'write']], request: async (sim) => ({ path: `/v1/acl/role/${sim.state.createRole({ Name: unique('r') }).ID}` }) },
  'GET /v1/acl/roles': { expect: [['acl', 'read']], request: fixed('/v1/acl/roles') },
  'GET /v1/connect/ca/roots': { expect: [], request: fixed('/v1/connect/ca/roots') },
  'GET /v1/agent/connect/ca/roots': { expect: [], request: fixed('/v1/agent/connect/ca/roots') },
  'GET /v1/connect/ca/configuration': { expect: [['operator', 'write']], request: fixed('/v1/connect/ca/configuration') },
  'PUT /v1/connect/ca/configuration': {
    expect: [['operator', 'write']],
    request: fixed('/v1/connect/ca/configuration', { Provider: 'consul', Config: { LeafCertTTL: '72h' } }),
  },
  'GET /v1/agent/connect/ca/leaf/:service': { expect: [['service', 'write', 'web']], request: fixed('/v1/agent/connect/ca/leaf/web') },
  'PUT /v1/config': {
    expect: [['intention', 'write', 'db']],
    request: fixed('/v1/config', { Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow' }] }),
  },
  'GET /v1/config/:kind/:name': { expect: [['intention', 'read', 'db']], request: fixed('/v1/config/service-intentions/db') },
  'GET /v1/config/:kind': {
    expect: [['intention', 'read', 'db']],
    request: fixed('/v1/config/service-intentions'),
    shows: (res) => res.json<{ Name: string }[]>().some((e) => e.Name === 'db'),
  },
  'DELETE /v1/config/:kind/:name': {
    expect: [['intention', 'write', 'victim']],
    request: async (sim) => {
      intentionFor(sim, 'victim');
      return { path: '/v1/config/service-intentions/victim' };
    },
  },
  'GET /v1/connect/intentions': {
    expect: [['intention', 'read', 'db']],
    request: fixed('/v1/connect/intentions'),
    shows: (res) => res.json<{ DestinationName: string }[]>().some((i) => i.DestinationName === 'db'),
  },
  'GET /v1/connect/intentions/check': { expect: [['service', 'read', 'db']], request: fixed('/v1/connect/intentions/check?source=web&destination=db') },
  'GET /v1/connect/intentions/exact': { expect: [['intention', 'read', 'db']], request: fixed('/v1/connect/intentions/exact?source=web&destination=db') },
  'PUT /v1/connect/intentions/exact': {
    expect: [['intention', 'write', 'db']],
    request: fixed('/v1/connect/intentions/exact?source=api&destination=db', { Action: 'deny' }),
  },
  'DELETE /v1/connect/intentions/exact': {
    expect: [['intention', 'write', 'victim']],
    request: async (sim) => {
      intentionFor(sim, 'victim');
      return { path: '/v1/connect/intentions/exact?source=web&destination=victim' };
    },
  },
  'GET /v1/catalog/services': {
    expect: [['service', 'read', 'web']],
    request: fixed('/v1/catalog/services'),
    shows: (res) => 'web' in res.json<object>(),
  },
  'GET /v1/catalog/service/:service': {
    expect: [
      ['node', 'read', NODE],
      ['service', 'read', 'web'],
    ],
    request: fixed('/v1/catalog/service/web'),
    shows: (res) => res.json<unknown[]>().length === 1,
  },
  'GET /v1/catalog/connect/:service': {
    expect: [
      ['service', 'read', 'web'],
      ['node', 'read', NODE],
      ['service', 'read', 'web-sidecar-proxy'],
    ],
    request: fixed('/v1/catalog/connect/web'),
    shows: (res) => res.json<unknown[]>().length === 1,
  },  'GET /v1/kv/:key': { expect: [['key', 'read', 'acl/get']], request: withKey('/v1/kv/acl/get', 'acl/get') },
  'GET /v1/kv/:prefix?recurse': {
    expect: [['key', 'read', 'acl/list/a']],
    request: withKey('/v1/kv/acl/list/?recurse', 'acl/list/a'),
    shows: listed('acl/list/a'),
    filteredStatus: 404,
  },
  'GET /v1/kv/:prefix?keys': { expect: [['key', 'read', 'acl/keys/a']], request: withKey('/v1/kv/acl/keys/?keys', 'acl/keys/a'), shows: listed('acl/keys/a'), filteredStatus: 404 },
  'PUT /v1/kv/:key': { expect: [['key', 'write', 'acl/put']], request: fixed('/v1/kv/acl/put', Buffer.from('value')) },
  'DELETE /v1/kv/:key': { expect: [['key', 'write', 'acl/del']], request: withKey('/v1/kv/acl/del', 'acl/del') },
  'DELETE /v1/kv/:prefix?recurse': { expect: [['key', 'write', 'acl/tree/', 'prefix']], request: withKey('/v1/kv/acl/tree/?recurse', 'acl/tree/a') },
  'PUT /v1/txn': {
    expect: [
      ['key', 'write', 'acl/txn/set'],
      ['key', 'read', 'acl/txn/checked'],
      ['key', 'write', 'acl/txn/tree/', 'prefix'],
    ],
    request: async (sim) => {
      const checked = sim.state.kvPut('acl/txn/checked', 'v');
      const ops = [
        { KV: { Verb: 'set', Key: 'acl/txn/set', Value: b64('x') } },
        { KV: { Verb: 'check-index', Key: 'acl/txn/checked', Index: checked.ModifyIndex } },
        { KV: { Verb: 'delete-tree', Key: 'acl/txn/tree/' } },
        { KV: { Verb: 'get-tree', Key: 'acl/txn/' } },
      ];
      return { path: '/v1/txn', body: ops };
    },
  },
  'PUT /v1/txn (results)': {
    expect: [['key', 'read', 'acl/txn/read']],
    request: withKey('/v1/txn', 'acl/txn/read', [{ KV: { Verb: 'get', Key: 'acl/txn/read' } }]),
    shows: (res) => res.json<{ Results: { KV: { Key: string } }[] | null }>().Results?.some((r) => r.KV.Key === 'acl/txn/read') ?? false,
  },
};

/** HCL granting exactly one permission. */
function hcl([resource, level, name, prefix]: Rule): string {
  if (name === undefined) return `${resource} = "${level}"`;
  if (prefix) return `${resource}_prefix "${name}" { policy = "${level}" }`;
  if (resource === 'intention') return `service "${name}" { intentions = "${level}" }`;
  return `${resource} "${name}" { policy = "${level}" }`;
}

function tokenWith(sim: ConsulSimulator, rules: readonly Rule[]): { AccessorID: string; SecretID: string } {
  if (rules.length === 0) return sim.state.createToken({ Description: unique('nothing') });
  const policy = sim.state.createPolicy({ Name: unique('exact'), Rules: rules.map(hcl).join('\n') });
  return sim.state.createToken({ Policies: [{ ID: policy.ID }] });
}

/** `structs.TxnResponse` errors. */
interface TxnErrors {
  readonly Errors: { OpIndex: number; What: string }[] | null;
}

function denial(accessor: string, [resource, level, name]: Rule): string {
  return `Permission denied: token with AccessorID '${accessor}' lacks permission '${resource}:${level}'${name === undefined ? '' : ` on "${name}"`}`;
}

describe('ENDPOINT_ACL covers every simulated endpoint', () => {
  it('every registered route and method has a row, and every row a route', () => {
    const served = simulatorRoutes().flatMap((r) => r.methods.map((m) => `${m} ${r.pattern}`));
    const rows = ENDPOINT_ACL.map((r) => `${r.method} ${r.pattern}`);
    expect([...new Set(rows)].sort()).toEqual([...new Set(served)].sort());
  });

  it('every row has a sample here (the independent statement of what Consul checks) and a source', () => {
    expect(ENDPOINT_ACL.map((r) => r.endpoint).sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const row of ENDPOINT_ACL) expect(row.source).toMatch(/\S{3,}/);
  });
});

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: each endpoint enforces its ENDPOINT_ACL row', (consulVersion) => {
  let sim: ConsulSimulator;

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion, nodeName: NODE, defaultPolicy: 'deny' });
    sim.state.registerService({ name: 'web', port: 8080 });
    sim.state.registerService({ name: 'web-sidecar-proxy', port: 21000, proxyFor: { service: 'web' } });
    intentionFor(sim, 'db');
  });
  afterAll(() => sim.stop());

  const send = async (row: EndpointAclRow, secret: string, sample: Sample) => {
    const { path, body } = await sample.request(sim);
    const encoded = body === undefined || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    return call(sim.url, row.method, path, { token: secret, body: encoded as string | Buffer | undefined });
  };

  it.each(ENDPOINT_ACL.map((r) => [r.endpoint, r] as const))('%s', async (_endpoint, row) => {
    // Prepare
    const sample = SAMPLES[row.endpoint];
    const exact = tokenWith(sim, sample.expect);

    // Act
    const allowed = await send(row, exact.SecretID, sample);
    const unknownSecret = await send(row, '11111111-2222-3333-4444-555555555555', sample);

    // Assess
    expect([allowed.status, allowed.text.slice(0, 200)]).toEqual([200, expect.anything()]);
    if (sample.shows) expect(sample.shows(allowed)).toBe(true);
    if (row.mode === 'none') {
      expect(unknownSecret.status).toBe(200);
      expect((await send(row, '', sample)).status).toBe(200);
    } else if (row.mode === 'token-self') {
      expect([unknownSecret.status, unknownSecret.text]).toEqual([404, 'Supplied token does not exist']);
    } else {
      expect([unknownSecret.status, unknownSecret.text]).toEqual([403, 'ACL not found']);
    }
    // Without each one of the permissions: refused with Consul's text for it (require) or the fixture hidden (filter).
    for (const missing of sample.expect) {
      const rest = tokenWith(sim, sample.expect.filter((r) => r !== missing));
      const res = await send(row, rest.SecretID, sample);
      if (row.mode === 'filter') {
        expect(res.status).toBe(sample.filteredStatus ?? 200);
        expect(sample.shows?.(res)).toBe(false);
      } else if (row.mode === 'per-operation') {
        // The denied operation fails on its own: 409 with Consul's text as that operation's error, nothing applied.
        expect([res.status, res.json<TxnErrors>().Errors?.map((e) => e.What)]).toEqual([409, [denial(rest.AccessorID, missing)]]);
      } else {
        expect([res.status, res.text]).toEqual([403, denial(rest.AccessorID, missing)]);
      }
    }
    if (row.mode === 'require' && sample.expect.length > 0) {
      const anonymous = await send(row, '', sample);
      expect([anonymous.status, anonymous.text]).toEqual([403, denial(ANON, sample.expect[0])]);
    }
    if (row.mode === 'per-operation') {
      const anonymous = await send(row, '', sample);
      expect([anonymous.status, anonymous.json<TxnErrors>().Errors?.map((e) => e.What)]).toEqual([409, sample.expect.map((r) => denial(ANON, r))]);
    }
  });
});
