import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call } from './http';

interface Token {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies?: { ID: string; Name: string }[];
  ServiceIdentities?: { ServiceName: string }[];
  Local: boolean;
  ExpirationTime?: string;
  ExpirationTTL?: unknown;
  CreateTime: string;
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

const ACCESSOR = '6a1253d2-1785-24fd-91c2-f8e78c745511';
const SECRET = '45a3bd52-07c7-47a4-52fd-0745e0cfe967';

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: ACL tokens (consul-api.md §2)', (consulVersion) => {
  let sim: ConsulSimulator;
  let mgmt: string;
  let readerSecret: string;

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    mgmt = sim.managementToken.secretId;
    sim.state.createPolicy({ Name: 'node1-write', Rules: 'node "node1" { policy = "write" }' });
    const reader = sim.state.createPolicy({ Name: 'acl-read', Rules: 'acl = "read"' });
    readerSecret = sim.state.createToken({ Policies: [{ ID: reader.ID }] }).SecretID;
  });
  afterAll(() => sim.stop());

  it('creates a token with caller-chosen IDs, resolves policy names and returns Consul field shapes', async () => {
    // Act
    const res = await call(sim.url, 'PUT', '/v1/acl/token', {
      token: mgmt,
      body: { AccessorID: ACCESSOR, SecretID: SECRET, Description: "Agent token for 'node1'", Policies: [{ Name: 'node1-write' }] },
    });
    // Assess
    expect(res.status).toBe(200);
    const token = res.json<Token>();
    expect(Object.keys(token)).toEqual(['AccessorID', 'SecretID', 'Description', 'Policies', 'Local', 'CreateTime', 'Hash', 'CreateIndex', 'ModifyIndex']);
    expect(token).toMatchObject({ AccessorID: ACCESSOR, SecretID: SECRET, Local: false, Policies: [{ Name: 'node1-write' }] });
    expect(Buffer.from(token.Hash, 'base64')).toHaveLength(32);
    expect(token.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(token.CreateIndex).toBe(token.ModifyIndex);
  });

  it('reads a token with acl:read and hides the SecretID; acl:write reveals it', async () => {
    const asReader = await call(sim.url, 'GET', `/v1/acl/token/${ACCESSOR}`, { token: readerSecret });
    expect(asReader.json<Token>().SecretID).toBe('<hidden>');
    const asMgmt = await call(sim.url, 'GET', `/v1/acl/token/${ACCESSOR}`, { token: mgmt });
    expect(asMgmt.json<Token>().SecretID).toBe(SECRET);
    expect(Number(asMgmt.headers['x-consul-index'])).toBeGreaterThanOrEqual(asMgmt.json<Token>().ModifyIndex);
  });

  it('token/self returns the caller token with its secret', async () => {
    const res = await call(sim.url, 'GET', '/v1/acl/token/self', { token: SECRET });
    expect(res.json<Token>()).toMatchObject({ AccessorID: ACCESSOR, SecretID: SECRET });
  });

  it('omits ExpirationTTL after create and sets ExpirationTime from it', async () => {
    const res = await call(sim.url, 'PUT', '/v1/acl/token', { token: mgmt, body: { Description: 'ttl', ExpirationTTL: '5m' } });
    const token = res.json<Token>();
    expect(token.ExpirationTTL).toBeUndefined();
    expect(Date.parse(token.ExpirationTime ?? '') - Date.parse(token.CreateTime)).toBeGreaterThan(299_000);
  });

  it('stores a TTL-derived ExpirationTime as Go renders it (RFC 3339, trailing zeros trimmed), through a snapshot too', async () => {
    // Prepare: a clock on a whole second, so JavaScript's toISOString would write ".000Z".
    const clock = await startConsulSimulator({ consulVersion, now: () => new Date('2026-03-01T10:00:00.000Z') });
    try {
      // Act
      const created = await call(clock.url, 'PUT', '/v1/acl/token', { token: clock.managementToken.secretId, body: { ExpirationTTL: '90m' } });
      const saved = await call(clock.url, 'GET', '/v1/snapshot', { token: clock.managementToken.secretId });
      const restored = await call(clock.url, 'PUT', '/v1/snapshot', { token: clock.managementToken.secretId, body: saved.bytes });
      // Assess
      const { AccessorID, ExpirationTime } = created.json<Token>();
      expect(ExpirationTime).toBe('2026-03-01T11:30:00Z');
      expect(restored.status).toBe(200);
      expect(clock.state.getToken(AccessorID)?.ExpirationTime).toBe('2026-03-01T11:30:00Z');
    } finally {
      await clock.stop();
    }
  });

  const validation: [string, object, string][] = [
    ['bad accessor', { AccessorID: 'nope' }, 'Invalid Token: AccessorID - not a valid UUID'],
    ['accessor in use', { AccessorID: ACCESSOR }, 'Invalid Token: AccessorID is already in use'],
    ['bad secret', { SecretID: 'nope' }, 'Invalid Token: SecretID - not a valid UUID'],
    ['secret in use', { SecretID: SECRET }, 'Invalid Token: SecretID is already in use'],
    ['reserved accessor', { AccessorID: '00000000-0000-0000-0000-000000000042' }, 'Invalid Token: AccessorID - UUIDs with the prefix "00000000-0000-0000-0000-0000000000" are reserved'],
    ['unknown policy name', { Policies: [{ Name: 'ghost' }] }, 'No such ACL policy with name "ghost"'],
    ['unknown policy ID', { Policies: [{ ID: '5e4b8c2a-0000-4000-8000-000000000009' }] }, 'No such ACL policy with ID "5e4b8c2a-0000-4000-8000-000000000009"'],
    ['unknown role', { Roles: [{ Name: 'ghost' }] }, 'No such ACL role with name "ghost"'],
    ['service identity without name', { ServiceIdentities: [{}] }, 'Service identity is missing the service name field on this token'],
    ['service identity bad name', { ServiceIdentities: [{ ServiceName: 'Web!' }] }, `Service identity "Web!" has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed`],
    ['node identity without dc', { NodeIdentities: [{ NodeName: 'n1' }] }, 'Node identity is missing the datacenter field on this token'],
    ['TTL and time', { ExpirationTTL: '5m', ExpirationTime: new Date(Date.now() + 600_000).toISOString() }, 'Token Expiration TTL and Expiration Time cannot both be set'],
    ['TTL too long', { ExpirationTTL: '25h' }, 'ExpirationTime cannot be more than 24h0m0s in the future (was 25h0m0s)'],
    ['TTL too short', { ExpirationTTL: '30s' }, 'ExpirationTime cannot be less than 1m0s in the future (was 30s)'],
    ['negative TTL', { ExpirationTTL: '-5m' }, "Token Expiration TTL '-5m0s' should be > 0"],
    ['auth method', { AuthMethod: 'k8s' }, 'AuthMethod field is disallowed outside of login'],
  ];

  it.each(validation)('create with %s → 500 with the exact text', async (_name, body, text) => {
    const res = await call(sim.url, 'PUT', '/v1/acl/token', { token: mgmt, body });
    expect([res.status, res.text]).toEqual([500, text]);
  });

  it('rejects writes without acl:write before validating (403 with the accessor)', async () => {
    const res = await call(sim.url, 'PUT', '/v1/acl/token', { token: readerSecret, body: { AccessorID: 'nope' } });
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/^Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission 'acl:write'$/);
  });

  describe('update', () => {
    const update = (body: object, id = ACCESSOR) => call(sim.url, 'PUT', `/v1/acl/token/${id}`, { token: mgmt, body });

    it('replaces Description and links, keeps SecretID and CreateTime, moves ModifyIndex', async () => {
      const before = (await call(sim.url, 'GET', `/v1/acl/token/${ACCESSOR}`, { token: mgmt })).json<Token>();
      const res = await update({ Description: 'renamed', ServiceIdentities: [{ ServiceName: 'web' }] });
      const after = res.json<Token>();
      expect(after).toMatchObject({ SecretID: SECRET, CreateTime: before.CreateTime, Description: 'renamed', CreateIndex: before.CreateIndex });
      expect(after.Policies).toBeUndefined();
      expect(after.ModifyIndex).toBeGreaterThan(before.ModifyIndex);
      expect(after.Hash).not.toBe(before.Hash);
    });

    const immutables: [string, object, number, string][] = [
      ['URL/body mismatch', { AccessorID: '5e4b8c2a-0000-4000-8000-000000000001' }, 400, 'Token Accessor ID in URL and payload do not match'],
      ['SecretID change', { SecretID: '5e4b8c2a-0000-4000-8000-000000000001' }, 500, "Changing a token's SecretID is not permitted"],
      ['Local toggle', { Local: true }, 500, `Cannot toggle local mode of ${ACCESSOR}`],
      ['expiration change', { ExpirationTTL: '10m' }, 500, `Cannot change expiration time of ${ACCESSOR}`],
    ];
    it.each(immutables)('%s is refused with the exact text', async (_name, body, status, text) => {
      const res = await update(body);
      expect([res.status, res.text]).toEqual([status, text]);
    });

    it('of a missing token → 500 Cannot find token', async () => {
      const res = await update({}, '5e4b8c2a-0000-4000-8000-00000000000f');
      expect([res.status, res.text]).toEqual([500, 'Cannot find token "5e4b8c2a-0000-4000-8000-00000000000f"']);
    });
  });

  it('clones a token under new IDs with the same links; unknown accessor → 403 ACL not found', async () => {
    const res = await call(sim.url, 'PUT', `/v1/acl/token/${ACCESSOR}/clone`, { token: mgmt, body: { Description: 'copy' } });
    const clone = res.json<Token>();
    expect(clone.AccessorID).not.toBe(ACCESSOR);
    expect(clone.SecretID).not.toBe(SECRET);
    expect(clone).toMatchObject({ Description: 'copy', ServiceIdentities: [{ ServiceName: 'web' }] });
    const missing = await call(sim.url, 'PUT', '/v1/acl/token/5e4b8c2a-0000-4000-8000-00000000000f/clone', { token: mgmt, body: {} });
    expect([missing.status, missing.text]).toEqual([403, 'ACL not found']);
    // ACLTokenClone decodes its body with lib.DecodeJSON: an empty body is io.EOF.
    const empty = await call(sim.url, 'PUT', `/v1/acl/token/${ACCESSOR}/clone`, { token: mgmt });
    expect([empty.status, empty.text]).toEqual([400, 'Token decoding failed: EOF']);
  });

  it('lists stubs sorted by AccessorID, redacted for acl:read, filterable by policy', async () => {
    const list = (await call(sim.url, 'GET', '/v1/acl/tokens', { token: readerSecret })).json<Token[]>();
    expect(list.map((t) => t.AccessorID)).toEqual([...list.map((t) => t.AccessorID)].sort());
    expect(new Set(list.map((t) => t.SecretID))).toEqual(new Set(['<hidden>']));
    const gm = (await call(sim.url, 'GET', '/v1/acl/tokens?policy=00000000-0000-0000-0000-000000000001', { token: mgmt })).json<Token[]>();
    expect(gm.map((t) => t.AccessorID)).toEqual([sim.managementToken.accessorId]);
  });

  it('deletes with JSON true, then reads 404; the deleted secret becomes 403 ACL not found', async () => {
    const victim = sim.state.createToken({ Description: 'victim' });
    const del = await call(sim.url, 'DELETE', `/v1/acl/token/${victim.AccessorID}`, { token: mgmt });
    expect([del.status, del.text, del.headers['content-type']]).toEqual([200, 'true', 'application/json']);
    expect((await call(sim.url, 'GET', `/v1/acl/token/${victim.AccessorID}`, { token: mgmt })).status).toBe(404);
    const used = await call(sim.url, 'GET', '/v1/acl/tokens', { token: victim.SecretID });
    expect([used.status, used.text]).toEqual([403, 'ACL not found']);
  });

  it('treats expired tokens as not found', async () => {
    const t = sim.state.createToken({ Description: 'short', ExpirationTTL: '2m' });
    sim.state.setTokenExpiration(t.AccessorID, new Date(Date.now() - 1000));
    expect((await call(sim.url, 'GET', '/v1/acl/token/self', { token: t.SecretID })).text).toBe('Supplied token does not exist');
    expect((await call(sim.url, 'GET', `/v1/acl/token/${t.AccessorID}`, { token: mgmt })).status).toBe(404);
  });

  it('grants service:write through service identities and roles', async () => {
    const svc = sim.state.createToken({ ServiceIdentities: [{ ServiceName: 'api' }] });
    expect((await call(sim.url, 'GET', '/v1/agent/connect/ca/leaf/api', { token: svc.SecretID })).status).toBe(200);
    const denied = await call(sim.url, 'GET', '/v1/agent/connect/ca/leaf/db', { token: svc.SecretID });
    expect(denied.text).toBe(`Permission denied: token with AccessorID '${svc.AccessorID}' lacks permission 'service:write' on "db"`);
    const opsPolicy = sim.state.createPolicy({ Name: 'ops', Rules: '{"operator": "write"}' });
    const role = sim.state.createRole({ Name: 'operators', Policies: [{ ID: opsPolicy.ID }] });
    const viaRole = sim.state.createToken({ Roles: [{ ID: role.ID }] });
    expect((await call(sim.url, 'GET', '/v1/connect/ca/configuration', { token: viaRole.SecretID })).status).toBe(200);
  });

  it('policy and role endpoints: create, read by name, 404 and delete texts', async () => {
    const created = await call(sim.url, 'PUT', '/v1/acl/policy', { token: mgmt, body: { Name: 'kv-read', Rules: 'key_prefix "" { policy = "read" }' } });
    expect(created.status).toBe(200);
    const byName = await call(sim.url, 'GET', '/v1/acl/policy/name/kv-read', { token: mgmt });
    expect(byName.json()).toMatchObject({ Name: 'kv-read', Rules: 'key_prefix "" { policy = "read" }' });
    const dup = await call(sim.url, 'PUT', '/v1/acl/policy', { token: mgmt, body: { Name: 'kv-read' } });
    expect([dup.status, dup.text]).toEqual([500, 'Invalid Policy: A Policy with Name "kv-read" already exists']);
    const missing = await call(sim.url, 'GET', '/v1/acl/policy/5e4b8c2a-0000-4000-8000-000000000001', { token: mgmt });
    expect([missing.status, missing.text]).toEqual([404, 'Requested policy does not exist: ACL not found']);
    const delMissing = await call(sim.url, 'DELETE', '/v1/acl/role/5e4b8c2a-0000-4000-8000-000000000001', { token: mgmt });
    expect([delMissing.status, delMissing.text]).toEqual([404, 'Cannot find role to delete']);
  });
});
