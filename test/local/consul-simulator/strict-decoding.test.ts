import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call } from './http';

const hasTemplatedPolicies = (v: string): boolean => !/^1\.1[56]\./.test(v);

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: request bodies are decoded like lib.DecodeJSON', (consulVersion) => {
  let sim: ConsulSimulator;
  let mgmt: string;
  const put = (path: string, body: unknown) => call(sim.url, 'PUT', path, { token: mgmt, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  // [what, path, body, status, text]
  const refused: [string, string, unknown, number, string][] = [
    ['token: misspelled top-level field', '/v1/acl/token', { Description: 'x', Polices: [] }, 400, 'Token decoding failed: json: unknown field "Polices"'],
    ['token: unknown nested field', '/v1/acl/token', { Policies: [{ Nmae: 'x' }] }, 400, 'Token decoding failed: json: unknown field "Nmae"'],
    ['token: the first unknown field in document order', '/v1/acl/token', { Zeta: 1, Alpha: 2 }, 400, 'Token decoding failed: json: unknown field "Zeta"'],
    [
      'token: Namespace gets the CE hint',
      '/v1/acl/token',
      { Namespace: 'team' },
      400,
      'Token decoding failed: json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature',
    ],
    ['token: Partition is just unknown', '/v1/acl/token', { Partition: 'p' }, 400, 'Token decoding failed: json: unknown field "Partition"'],
    ['policy: unknown field', '/v1/acl/policy', { Name: 'p', Rule: 'acl = "read"' }, 400, 'Policy decoding failed: json: unknown field "Rule"'],
    ['role: unknown field', '/v1/acl/role', { Name: 'r', ServiceIdentity: [] }, 400, 'Role decoding failed: json: unknown field "ServiceIdentity"'],
    ['policy create with an ID', '/v1/acl/policy', { ID: '5e4b8c2a-0000-4000-8000-000000000001', Name: 'p' }, 400, 'Cannot specify the ID when creating a new policy'],
    [
      'config entry: unknown top-level key',
      '/v1/config',
      { Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow' }], Sauces: [] },
      400,
      'Request decoding failed: 1 error occurred:\n\t* invalid config key "Sauces"\n\n',
    ],
    [
      'config entry: unknown nested keys, sorted, with their path',
      '/v1/config',
      { Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow', Namespace: 'x', Acton: 'deny' }] },
      400,
      'Request decoding failed: 2 errors occurred:\n\t* invalid config key "Sources[0].Acton"\n\t* invalid config key "Sources[0].Namespace", namespaces are a consul enterprise feature\n\n',
    ],
    [
      'config entry: unknown key of another kind',
      '/v1/config',
      { Kind: 'service-defaults', Name: 'web', Protocl: 'http' },
      400,
      'Request decoding failed: 1 error occurred:\n\t* invalid config key "Protocl"\n\n',
    ],
    [
      'intention exact PUT: unknown field',
      '/v1/connect/intentions/exact?source=web&destination=db',
      { Action: 'allow', Actoin: 'deny' },
      400,
      'Request decode failed: json: unknown field "Actoin"',
    ],
    [
      'CA configuration: json:"-" ClusterID is unknown',
      '/v1/connect/ca/configuration',
      { Provider: 'consul', Config: { LeafCertTTL: '72h' }, ClusterID: 'x' },
      400,
      'Request decode failed: json: unknown field "ClusterID"',
    ],
  ];

  it.each(refused)('%s → %i with the exact text', async (_what, path, body, status, text) => {
    const res = await put(path, body);
    expect([res.status, res.text]).toEqual([status, text]);
  });

  it('matches field names case-insensitively (Go) and accepts snake_case config keys (mapstructure)', async () => {
    // Act
    const token = await put('/v1/acl/token', { description: 'lower', LOCAL: true, serviceidentities: [{ servicename: 'web' }] });
    const entry = await put('/v1/config', { kind: 'service-defaults', name: 'api', protocol: 'http', mesh_gateway: {} });
    // Assess
    expect(token.status).toBe(200);
    expect(token.json()).toMatchObject({ Description: 'lower', Local: true, ServiceIdentities: [{ ServiceName: 'web' }] });
    expect([entry.status, entry.text]).toEqual([200, 'true']);
  });

  it('accepts a token read back and written again (CreateTime, Hash and indexes are fields of structs.ACLToken)', async () => {
    // Prepare
    const created = (await put('/v1/acl/token', { Description: 'rmw' })).json<Record<string, unknown>>();
    // Act
    const res = await put(`/v1/acl/token/${String(created.AccessorID)}`, { ...created, Description: 'rmw2' });
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ Description: 'rmw2' });
  });

  it(`TemplatedPolicies is ${hasTemplatedPolicies(consulVersion) ? 'a field' : 'an unknown field'} on tokens and roles`, async () => {
    // Prepare
    const templated = { TemplatedPolicies: [{ TemplateName: 'builtin/service', TemplateVariables: { Name: 'web' } }] };
    // Act
    const token = await put('/v1/acl/token', templated);
    const role = await put('/v1/acl/role', { Name: `r-${consulVersion.replace(/\./g, '-')}`, ...templated });
    // Assess
    if (hasTemplatedPolicies(consulVersion)) {
      expect([token.status, role.status]).toEqual([200, 200]);
    } else {
      expect([token.status, token.text]).toEqual([400, 'Token decoding failed: json: unknown field "TemplatedPolicies"']);
      expect([role.status, role.text]).toEqual([400, 'Role decoding failed: json: unknown field "TemplatedPolicies"']);
    }
  });

  it('a bad time aborts at once and wins over an earlier unknown field (time.Time.UnmarshalJSON)', async () => {
    const res = await put('/v1/acl/token', { Bogus: 1, ExpirationTime: 'soon' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Token decoding failed: parsing time "\\"soon\\"" as /);
  });
});
