import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { call } from './http';

interface Source {
  Name: string;
  Action?: string;
  Precedence: number;
  Type: string;
  Permissions?: { Action: string; HTTP: { Methods?: string[] } }[];
}

describe('consul simulator: intentions (consul-api.md §3)', () => {
  let sim: ConsulSimulator;
  let mgmt: string;
  const put = (body: object, token = mgmt) => call(sim.url, 'PUT', '/v1/config', { token, body });

  beforeAll(async () => {
    sim = await startConsulSimulator({ defaultPolicy: 'deny', defaultIntentionPolicy: 'allow' });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  it('normalizes a service-intentions entry: Type consul, methods upper-cased, precedence, sorted by precedence', async () => {
    // Act
    const res = await put({
      Kind: 'service-intentions',
      Name: 'db',
      Sources: [
        { Name: '*', Action: 'deny', Description: 'deny rest' },
        { Name: 'api', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v1/', Methods: ['get', 'post'] } }] },
        { Name: 'web', Action: 'allow' },
      ],
      Meta: { k: 'v' },
    });
    // Assess
    expect([res.status, res.text]).toEqual([200, 'true']);
    const entry = (await call(sim.url, 'GET', '/v1/config/service-intentions/db', { token: mgmt })).json<{ Sources: Source[]; Meta: object }>();
    expect(entry.Sources.map((s) => [s.Name, s.Precedence, s.Type])).toEqual([
      ['api', 9, 'consul'],
      ['web', 9, 'consul'],
      ['*', 8, 'consul'],
    ]);
    expect(entry.Sources[0].Permissions?.[0].HTTP.Methods).toEqual(['GET', 'POST']);
    expect(Object.keys(entry.Sources[1])).toEqual(['Name', 'Action', 'Precedence', 'Type']);
    expect(Object.keys(entry)).toEqual(['Kind', 'Name', 'Sources', 'Meta', 'CreateIndex', 'ModifyIndex']);
  });

  it('computes CE precedence 9/8/6/5 for exact/wildcard combinations', async () => {
    await put({ Kind: 'service-intentions', Name: '*', Sources: [{ Name: 'web', Action: 'allow' }, { Name: '*', Action: 'deny' }] });
    const entry = (await call(sim.url, 'GET', '/v1/config/service-intentions/*', { token: mgmt })).json<{ Sources: Source[] }>();
    expect(entry.Sources.map((s) => s.Precedence)).toEqual([6, 5]);
  });

  const invalid: [string, object, string][] = [
    ['no name', { Sources: [{ Name: 'web', Action: 'allow' }] }, 'Name is required'],
    ['no sources', { Name: 'x', Sources: [] }, 'At least one source is required'],
    ['partial wildcard destination', { Name: 'we*', Sources: [{ Name: 'a', Action: 'allow' }] }, "Name: wildcard character '*' cannot be used with partial values"],
    ['partial wildcard source', { Name: 'x', Sources: [{ Name: 'w*', Action: 'allow' }] }, "Sources[0].Name: wildcard character '*' cannot be used with partial values"],
    ['source without name', { Name: 'x', Sources: [{ Action: 'allow' }] }, 'Sources[0].Name is required'],
    ['bad action', { Name: 'x', Sources: [{ Name: 'a', Action: 'maybe' }] }, "Sources[0].Action must be set to 'allow' or 'deny'"],
    ['action with permissions', { Name: 'x', Sources: [{ Name: 'a', Action: 'allow', Permissions: [{ Action: 'allow', HTTP: { PathExact: '/' } }] }] }, 'Sources[0].Action must be omitted if Permissions are specified'],
    ['L7 on wildcard destination', { Name: '*', Sources: [{ Name: 'a', Permissions: [{ Action: 'allow', HTTP: { PathExact: '/' } }] }] }, 'Sources[0].Permissions cannot be specified on intentions with wildcarded destinations'],
    ['bad type', { Name: 'x', Sources: [{ Name: 'a', Action: 'allow', Type: 'external' }] }, "Sources[0].Type must be set to 'consul'"],
    ['missing HTTP', { Name: 'x', Sources: [{ Name: 'a', Permissions: [{ Action: 'allow' }] }] }, 'Sources[0].Permissions[0].HTTP is required'],
    ['relative PathExact', { Name: 'x', Sources: [{ Name: 'a', Permissions: [{ Action: 'allow', HTTP: { PathExact: 'v1' } }] }] }, `Sources[0].Permissions[0].HTTP.PathExact doesn't start with '/': "v1"`],
    ['two paths', { Name: 'x', Sources: [{ Name: 'a', Permissions: [{ Action: 'allow', HTTP: { PathExact: '/a', PathPrefix: '/b' } }] }] }, 'Sources[0].Permissions[0].HTTP should only contain at most one of PathExact, PathPrefix, or PathRegex'],
    ['duplicate source', { Name: 'x', Sources: [{ Name: 'a', Action: 'allow' }, { Name: 'a', Action: 'deny' }] }, 'Sources[1] defines "a" more than once'],
    ['legacy ID', { Name: 'x', Sources: [{ Name: 'a', Action: 'allow', LegacyID: 'abc' }] }, 'Sources[0].LegacyID must be omitted'],
  ];

  it.each(invalid)('rejects %s with 500 and the validation text', async (_name, body, text) => {
    const res = await put({ Kind: 'service-intentions', ...body });
    expect([res.status, res.text]).toEqual([500, text]);
  });

  it('config decoding errors are 400 Request decoding failed', async () => {
    const noKind = await put({ Name: 'x' });
    expect([noKind.status, noKind.text]).toEqual([400, 'Request decoding failed: Payload does not contain a kind/Kind key at the top level']);
    const badKind = await put({ Kind: 'nope', Name: 'x' });
    expect([badKind.status, badKind.text]).toEqual([400, 'Request decoding failed: invalid config entry kind: nope']);
  });

  it('lists entries of a kind (ACL-filtered) and deletes with {}', async () => {
    await put({ Kind: 'service-intentions', Name: 'tmp', Sources: [{ Name: 'a', Action: 'allow' }] });
    const list = (await call(sim.url, 'GET', '/v1/config/service-intentions', { token: mgmt })).json<{ Name: string }[]>();
    expect(list.map((e) => e.Name)).toEqual(['*', 'db', 'tmp']);
    const del = await call(sim.url, 'DELETE', '/v1/config/service-intentions/tmp', { token: mgmt });
    expect([del.status, del.text]).toEqual([200, '{}']);
    const readOnlyDb = sim.state.createPolicy({ Name: 'db-intentions', Rules: 'service "db" { intentions = "read" }' });
    const tok = sim.state.createToken({ Policies: [{ ID: readOnlyDb.ID }] });
    const filtered = (await call(sim.url, 'GET', '/v1/config/service-intentions', { token: tok.SecretID })).json<{ Name: string }[]>();
    expect(filtered.map((e) => e.Name)).toEqual(['db']);
    const denied = await call(sim.url, 'GET', '/v1/config/service-intentions/web', { token: tok.SecretID });
    expect(denied.text).toBe(`Permission denied: token with AccessorID '${tok.AccessorID}' lacks permission 'intention:read' on "web"`);
    const write = await put({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'x', Action: 'allow' }] }, tok.SecretID);
    expect(write.text).toBe(`Permission denied: token with AccessorID '${tok.AccessorID}' lacks permission 'intention:write' on "db"`);
  });

  it('legacy GET /v1/connect/intentions flattens entries with SourceNS/DestinationNS default, in precedence order', async () => {
    const res = await call(sim.url, 'GET', '/v1/connect/intentions', { token: mgmt });
    const list = res.json<Record<string, unknown>[]>();
    expect(list.map((i) => `${i.SourceName}->${i.DestinationName}:${i.Precedence}`)).toEqual(['api->db:9', 'web->db:9', '*->db:8', 'web->*:6', '*->*:5']);
    expect(list[1]).toEqual({
      Description: '',
      SourceNS: 'default',
      SourceName: 'web',
      DestinationNS: 'default',
      DestinationName: 'db',
      SourceType: 'consul',
      Action: 'allow',
      Meta: { k: 'v' },
      Precedence: 9,
      CreateIndex: expect.any(Number),
      ModifyIndex: expect.any(Number),
    });
    expect(list[0].Action).toBeUndefined();
    expect(list[0].Permissions).toBeDefined();
  });

  it('intentions/check: exact allow, L7 counts as deny, wildcard deny, default from the ACL policy (PR #23868)', async () => {
    const check = async (source: string, destination: string) =>
      (await call(sim.url, 'GET', `/v1/connect/intentions/check?source=${source}&destination=${destination}`, { token: mgmt })).json<{ Allowed: boolean }>().Allowed;
    expect(await check('web', 'db')).toBe(true);
    expect(await check('api', 'db')).toBe(false);
    expect(await check('other', 'db')).toBe(false);
    expect(await check('web', 'cache')).toBe(true);
    // No intention matches other → cache except `* → *` deny; drop it to reach the default.
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: '*', Sources: [{ Name: 'web', Action: 'allow' }] });
    // default_intention_policy = allow is ignored by check (server bug): the ACL default (deny) applies.
    expect(await check('other', 'cache')).toBe(false);
  });

  it('intentions/check needs service:read on the destination and both params', async () => {
    const missing = await call(sim.url, 'GET', '/v1/connect/intentions/check?source=web', { token: mgmt });
    expect([missing.status, missing.text]).toEqual([500, "required query parameter 'destination' not set"]);
    const denied = await call(sim.url, 'GET', '/v1/connect/intentions/check?source=web&destination=db');
    expect(denied.text).toBe("Permission denied: token with AccessorID '00000000-0000-0000-0000-000000000002' lacks permission 'service:read' on \"db\"");
  });

  it('default is allow with ACL default_policy allow, and with ACLs disabled', async () => {
    for (const opts of [{ defaultPolicy: 'allow' as const }, { aclsEnabled: false }]) {
      const other = await startConsulSimulator(opts);
      try {
        const res = await call(other.url, 'GET', '/v1/connect/intentions/check?source=a&destination=b', { token: other.managementToken.secretId });
        expect(res.json()).toEqual({ Allowed: true });
      } finally {
        await other.stop();
      }
    }
  });

  it('intentions/exact reads, upserts and deletes one source', async () => {
    const put1 = await call(sim.url, 'PUT', '/v1/connect/intentions/exact?source=billing&destination=payments', { token: mgmt, body: { Action: 'allow' } });
    expect(put1.text).toBe('true');
    const got = await call(sim.url, 'GET', '/v1/connect/intentions/exact?source=billing&destination=payments', { token: mgmt });
    expect(got.json()).toMatchObject({ SourceName: 'billing', DestinationName: 'payments', Action: 'allow', Precedence: 9 });
    await call(sim.url, 'DELETE', '/v1/connect/intentions/exact?source=billing&destination=payments', { token: mgmt });
    const gone = await call(sim.url, 'GET', '/v1/connect/intentions/exact?source=billing&destination=payments', { token: mgmt });
    expect([gone.status, gone.text]).toEqual([404, 'Intention not found']);
  });

  it('mesh / proxy-defaults / service-defaults entries are seedable and read back in Consul shape', async () => {
    sim.state.setConfigEntry({ Kind: 'mesh', AllowEnablingPermissiveMutualTLS: true });
    sim.state.setConfigEntry({ Kind: 'proxy-defaults', Name: 'global', MutualTLSMode: 'permissive', Config: { protocol: 'http' } });
    sim.state.setConfigEntry({ Kind: 'service-defaults', Name: 'web', Protocol: 'http', MutualTLSMode: 'strict' });
    const mesh = (await call(sim.url, 'GET', '/v1/config/mesh/mesh')).json<Record<string, unknown>>();
    expect(mesh).toMatchObject({ Kind: 'mesh', TransparentProxy: { MeshDestinationsOnly: false }, AllowEnablingPermissiveMutualTLS: true });
    expect(mesh.Name).toBeUndefined();
    const proxy = (await call(sim.url, 'GET', '/v1/config/proxy-defaults/global')).json();
    expect(proxy).toMatchObject({ Kind: 'proxy-defaults', Name: 'global', MutualTLSMode: 'permissive' });
    const svc = await call(sim.url, 'GET', '/v1/config/service-defaults/web', { token: mgmt });
    expect(svc.json()).toMatchObject({ Kind: 'service-defaults', Name: 'web', MutualTLSMode: 'strict' });
    const badName = await put({ Kind: 'proxy-defaults', Name: 'other' });
    expect([badName.status, badName.text]).toEqual([500, 'invalid name ("other"), only "global" is supported']);
  });

  it('GET /v1/agent/self exposes ACL and intention defaults in DebugConfig', async () => {
    const self = (await call(sim.url, 'GET', '/v1/agent/self', { token: mgmt })).json<{ DebugConfig: Record<string, unknown> }>();
    expect(self.DebugConfig).toMatchObject({ ACLsEnabled: true, DefaultIntentionPolicy: 'allow', ACLResolverSettings: { ACLDefaultPolicy: 'deny', ACLsEnabled: true } });
  });
});
