import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call } from './http';

const ANON = '00000000-0000-0000-0000-000000000002';
const TEXT = 'text/plain; charset=utf-8';

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: common HTTP behaviour (consul-api.md §0)', (consulVersion) => {
  let sim: ConsulSimulator;
  let mgmt: string;

  beforeAll(async () => {
    sim = await startConsulSimulator({ nodeName: 'node1', consulVersion });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  const errorTable: [string, string, string, { token?: string; body?: string }, number, string][] = [
    ['unknown secret', 'GET', '/v1/acl/tokens', { token: '11111111-2222-3333-4444-555555555555' }, 403, 'ACL not found'],
    ['anonymous lacks acl:read', 'GET', '/v1/acl/tokens', {}, 403, `Permission denied: token with AccessorID '${ANON}' lacks permission 'acl:read'`],
    ['snapshot without acl:write', 'GET', '/v1/snapshot', {}, 403, `Permission denied: token with AccessorID '${ANON}' lacks permission 'acl:write'`],
    ['agent:read on the node', 'GET', '/v1/agent/self', {}, 403, `Permission denied: token with AccessorID '${ANON}' lacks permission 'agent:read' on "node1"`],
    ['operator:write for CA config', 'GET', '/v1/connect/ca/configuration', {}, 403, `Permission denied: token with AccessorID '${ANON}' lacks permission 'operator:write'`],
    ['unknown path', 'GET', '/v1/does/not/exist', {}, 404, 'Invalid URL path: not a recognized HTTP API endpoint\n'],
    ['405', 'PATCH', '/v1/snapshot', {}, 405, 'method PATCH not allowed'],
    ['token read 404', 'GET', '/v1/acl/token/5e4b8c2a-0000-4000-8000-000000000001', { token: 'MGMT' }, 404, 'Requested token does not exist: ACL not found'],
    ['self with unknown secret', 'GET', '/v1/acl/token/self', { token: '11111111-2222-3333-4444-555555555555' }, 404, 'Supplied token does not exist'],
    ['delete missing', 'DELETE', '/v1/acl/token/5e4b8c2a-0000-4000-8000-000000000001', { token: 'MGMT' }, 404, 'Cannot find token to delete'],
    ['missing accessor', 'GET', '/v1/acl/token/', { token: 'MGMT' }, 400, 'Missing token AccessorID'],
    ['bad JSON', 'PUT', '/v1/acl/token', { token: 'MGMT', body: '{nope' }, 400, "Token decoding failed: invalid character 'n' looking for beginning of object key string"],
    ['empty body', 'PUT', '/v1/acl/token', { token: 'MGMT', body: '' }, 400, 'Token decoding failed: EOF'],
    ['restore with stale', 'PUT', '/v1/snapshot?stale', { token: 'MGMT', body: 'x' }, 500, 'stale not allowed for restore'],
    ['bad wait', 'GET', '/v1/catalog/services?wait=abc', { token: 'MGMT' }, 400, 'Invalid wait time'],
    ['stale + consistent', 'GET', '/v1/catalog/services?stale&consistent', { token: 'MGMT' }, 400, 'Cannot specify ?stale with ?consistent, conflicting semantics.'],
    ['foreign dc', 'GET', '/v1/catalog/services?dc=dc9', { token: 'MGMT' }, 500, 'No path to datacenter'],
    ['config entry 404', 'GET', '/v1/config/service-intentions/nope', { token: 'MGMT' }, 404, 'Config entry not found for "service-intentions" / "nope"'],
  ];

  it.each(errorTable)('%s → %s %s is %i with the exact plain-text body', async (_name, method, path, opts, status, body) => {
    // Prepare
    const token = opts.token === 'MGMT' ? mgmt : opts.token;
    // Act
    const res = await call(sim.url, method, path, { token, body: opts.body });
    // Assess
    expect(res.status).toBe(status);
    expect(res.text).toBe(body);
    expect(res.headers['content-type']).toBe(TEXT);
  });

  it('bad JSON text follows Go for a value that does not start a JSON value', async () => {
    const res = await call(sim.url, 'PUT', '/v1/acl/token', { token: mgmt, body: 'xyz' });
    expect(res.text).toBe("Token decoding failed: invalid character 'x' looking for beginning of value");
  });

  it('sends X-Consul-Default-ACL-Policy and Vary on every wrapped endpoint, errors included', async () => {
    for (const path of ['/v1/status/leader', '/v1/acl/tokens', '/v1/snapshot']) {
      const res = await call(sim.url, 'GET', path);
      expect(res.headers['x-consul-default-acl-policy']).toBe('deny');
      expect(res.headers.vary).toBe('Accept-Encoding');
    }
  });

  it('the unwrapped index handler (unknown paths) has no Consul headers', async () => {
    const res = await call(sim.url, 'GET', '/v1/nope');
    expect(res.headers['x-consul-default-acl-policy']).toBeUndefined();
  });

  it('query endpoints send X-Consul-Index ≥ 1, X-Consul-KnownLeader and X-Consul-LastContact', async () => {
    const res = await call(sim.url, 'GET', '/v1/catalog/services', { token: mgmt });
    expect(Number(res.headers['x-consul-index'])).toBeGreaterThanOrEqual(1);
    expect(res.headers['x-consul-knownleader']).toBe('true');
    expect(res.headers['x-consul-lastcontact']).toBe('0');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('405 carries Allow: OPTIONS,<registered methods>; OPTIONS answers 200 with Allow and no body', async () => {
    const res = await call(sim.url, 'POST', '/v1/acl/token/self');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('OPTIONS,GET');
    const opt = await call(sim.url, 'OPTIONS', '/v1/snapshot');
    expect(opt.status).toBe(200);
    expect(opt.headers.allow).toBe('OPTIONS,GET,PUT');
    expect(opt.text).toBe('');
  });

  it('redirects a subtree root without its trailing slash like Go ServeMux', async () => {
    const res = await call(sim.url, 'GET', '/v1/catalog/service');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/v1/catalog/service/');
  });

  describe('token lookup order', () => {
    const self = async (opts: { query?: string; header?: string; auth?: string }) => {
      const headers: Record<string, string> = {};
      if (opts.header) headers['X-Consul-Token'] = opts.header;
      if (opts.auth) headers.Authorization = opts.auth;
      const res = await call(sim.url, 'GET', `/v1/acl/token/self${opts.query ? `?token=${opts.query}` : ''}`, { headers });
      return res.status === 200 ? res.json<{ AccessorID: string }>().AccessorID : res.text;
    };

    it('?token= wins over X-Consul-Token, which wins over Authorization: Bearer', async () => {
      const other = sim.state.createToken({ Description: 'other' });
      expect(await self({ query: mgmt, header: other.SecretID, auth: `Bearer ${other.SecretID}` })).toBe(sim.managementToken.accessorId);
      expect(await self({ header: other.SecretID, auth: `Bearer ${mgmt}` })).toBe(other.AccessorID);
      expect(await self({ auth: `bEaReR ${other.SecretID} trailing words` })).toBe(other.AccessorID);
    });

    it('ignores non-bearer schemes and one-word Authorization headers (anonymous applies)', async () => {
      expect(await self({ auth: `Basic ${mgmt}` })).toBe(ANON);
      expect(await self({ auth: 'Bearer' })).toBe(ANON);
    });

    it('records requests without token values', async () => {
      await call(sim.url, 'GET', `/v1/status/leader?token=${mgmt}&stale`);
      const rec = sim.requests[sim.requests.length - 1];
      expect(rec.query).toEqual({ token: '<redacted>', stale: '' });
      expect(rec.tokenSource).toBe('query');
      expect(rec.accessorId).toBe(sim.managementToken.accessorId);
      expect(JSON.stringify(sim.requests)).not.toContain(mgmt);
    });
  });

  it('gzips bodies of 1400+ bytes for clients that accept gzip', async () => {
    const res = await call(sim.url, 'GET', '/v1/agent/self', { token: mgmt, headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    const small = await call(sim.url, 'GET', '/v1/status/leader', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('writes JSON like Go: compact, <> escaped; ?pretty indents 4 spaces with a trailing newline', async () => {
    const reader = sim.state.createPolicy({ Name: 'acl-reader', Rules: 'acl = "read"' });
    const tok = sim.state.createToken({ Policies: [{ ID: reader.ID }] });
    const res = await call(sim.url, 'GET', `/v1/acl/token/${tok.AccessorID}`, { token: tok.SecretID });
    expect(res.text).toContain('"SecretID":"\\u003chidden\\u003e"');
    const pretty = await call(sim.url, 'GET', '/v1/status/peers?pretty');
    expect(pretty.text).toBe('[\n    "127.0.0.1:8300"\n]\n');
  });

  it('answers 401 ACL support disabled on ACL endpoints when ACLs are off, and allows everything else', async () => {
    const open = await startConsulSimulator({ aclsEnabled: false });
    try {
      const res = await call(open.url, 'GET', '/v1/acl/tokens');
      expect([res.status, res.text]).toEqual([401, 'ACL support disabled']);
      expect(res.headers['x-consul-default-acl-policy']).toBe('allow');
      expect((await call(open.url, 'GET', '/v1/connect/ca/configuration')).status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('a client agent prefixes server-RPC errors with "rpc error making call: " but not agent-local ones', async () => {
    const client = await startConsulSimulator({ agentKind: 'client', nodeName: 'c1' });
    try {
      const rpc = await call(client.url, 'GET', '/v1/acl/tokens');
      expect([rpc.status, rpc.text]).toEqual([403, `rpc error making call: Permission denied: token with AccessorID '${ANON}' lacks permission 'acl:read'`]);
      const local = await call(client.url, 'GET', '/v1/agent/self');
      expect(local.text).toBe(`Permission denied: token with AccessorID '${ANON}' lacks permission 'agent:read' on "c1"`);
    } finally {
      await client.stop();
    }
  });

  it('status/leader is "" without a leader; server reads need ?stale and then report KnownLeader false', async () => {
    sim.state.setLeader(false);
    sim.state.setLastContact(1234);
    try {
      expect((await call(sim.url, 'GET', '/v1/status/leader')).text).toBe('""');
      const noLeader = await call(sim.url, 'GET', '/v1/catalog/services', { token: mgmt });
      expect([noLeader.status, noLeader.text]).toEqual([500, 'No cluster leader']);
      const stale = await call(sim.url, 'GET', '/v1/catalog/services?stale', { token: mgmt });
      expect(stale.status).toBe(200);
      expect(stale.headers['x-consul-knownleader']).toBe('false');
      expect(stale.headers['x-consul-lastcontact']).toBe('1234');
    } finally {
      sim.state.setLeader(true);
      sim.state.setLastContact(undefined);
    }
  });
});
