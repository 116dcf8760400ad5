import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call } from './http';

interface Token {
  AccessorID: string;
  SecretID: string;
  Description: string;
  TemplatedPolicies?: { TemplateID?: string; TemplateName: string; TemplateVariables?: { name?: string }; Datacenters?: string[] }[];
  ExpirationTime?: string;
}

const SERVICE_ID = '00000000-0000-0000-0000-000000000003';
const withTemplates = ALL_CONSUL_PROFILES.filter((v) => !/^1\.1[56]\./.test(v));

describe.each(withTemplates)('consul simulator %s: ACL templated policies (consul-api.md correction 3)', (consulVersion) => {
  let sim: ConsulSimulator;
  let mgmt: string;
  const put = (path: string, body: unknown) => call(sim.url, 'PUT', path, { token: mgmt, body: body as object });
  const svc = (name: string, extra: object = {}) => ({ TemplateName: 'builtin/service', TemplateVariables: { Name: name }, ...extra });

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion, datacenter: 'dc1', nodeName: 'node1' });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  it('stores and renders them with TemplateID and TemplateVariables.name, on create, read, list and self', async () => {
    // Act
    const created = (await put('/v1/acl/token', { Description: 'web', TemplatedPolicies: [svc('web'), svc('web')] })).json<Token>();
    const read = (await call(sim.url, 'GET', `/v1/acl/token/${created.AccessorID}`, { token: mgmt })).json<Token>();
    const self = (await call(sim.url, 'GET', '/v1/acl/token/self', { token: created.SecretID })).json<Token>();
    const listed = (await call(sim.url, 'GET', '/v1/acl/tokens', { token: mgmt })).json<Token[]>().find((t) => t.AccessorID === created.AccessorID);
    // Assess
    const wire = [{ TemplateID: SERVICE_ID, TemplateName: 'builtin/service', TemplateVariables: { name: 'web' } }];
    for (const t of [created, read, self, listed]) expect(t?.TemplatedPolicies).toEqual(wire);
  });

  it('grants what the template renders: builtin/service ≈ service identity, in its datacenters only', async () => {
    // Prepare
    const web = sim.state.createToken({ TemplatedPolicies: [svc('web')] });
    const elsewhere = sim.state.createToken({ TemplatedPolicies: [svc('web', { Datacenters: ['dc2'] })] });
    const leaf = (service: string, secret: string) => call(sim.url, 'GET', `/v1/agent/connect/ca/leaf/${service}`, { token: secret });
    // Act + Assess
    expect((await leaf('web', web.SecretID)).status).toBe(200);
    expect((await leaf('web-sidecar-proxy', web.SecretID)).status).toBe(200);
    expect((await leaf('db', web.SecretID)).text).toBe(`Permission denied: token with AccessorID '${web.AccessorID}' lacks permission 'service:write' on "db"`);
    expect((await leaf('web', elsewhere.SecretID)).status).toBe(403);
    const catalog = await call(sim.url, 'GET', '/v1/catalog/services', { token: web.SecretID });
    expect(Object.keys(catalog.json<object>())).toContain('consul');
  });

  it('builtin/node grants node:write on that node; builtin/dns reads services; both through a role too', async () => {
    // Prepare
    const role = sim.state.createRole({ Name: `dns-${consulVersion.replace(/\./g, '')}`, TemplatedPolicies: [{ TemplateName: 'builtin/dns' }] });
    const viaRole = sim.state.createToken({ Roles: [{ ID: role.ID }] });
    const nodeToken = sim.state.createToken({ TemplatedPolicies: [{ TemplateName: 'builtin/node', TemplateVariables: { name: 'node1' } }] });
    // Act
    const services = await call(sim.url, 'GET', '/v1/catalog/service/consul', { token: viaRole.SecretID });
    const asNode = await call(sim.url, 'GET', '/v1/catalog/service/consul', { token: nodeToken.SecretID });
    const agentSelf = await call(sim.url, 'GET', '/v1/agent/self', { token: nodeToken.SecretID });
    const roleRead = (await call(sim.url, 'GET', `/v1/acl/role/${role.ID}`, { token: mgmt })).json<{ TemplatedPolicies: unknown }>();
    // Assess
    expect(services.json<unknown[]>()).toHaveLength(1);
    expect(asNode.json<unknown[]>()).toHaveLength(1);
    expect(agentSelf.text).toBe(`Permission denied: token with AccessorID '${nodeToken.AccessorID}' lacks permission 'agent:read' on "node1"`);
    expect(roleRead.TemplatedPolicies).toEqual([{ TemplateID: '00000000-0000-0000-0000-000000000005', TemplateName: 'builtin/dns' }]);
  });

  const invalid: [string, object, string][] = [
    ['no template name', { TemplatedPolicies: [{ TemplateVariables: { Name: 'web' } }] }, 'templated policy is missing the template name field on this token'],
    ['an unknown template', { TemplatedPolicies: [{ TemplateName: 'builtin/magic' }] }, 'templated policy with an invalid templated name: builtin/magic for this token'],
    [
      'builtin/service without variables',
      { TemplatedPolicies: [{ TemplateName: 'builtin/service' }] },
      'encountered error validating templated policy: builtin/service, error: 1 error occurred:\n\t* Invalid type. Expected: object, given: null\n\n',
    ],
    [
      'builtin/service without a name',
      { TemplatedPolicies: [{ TemplateName: 'builtin/service', TemplateVariables: {} }] },
      'encountered error validating templated policy: builtin/service, error: 1 error occurred:\n\t* name is required\n\n',
    ],
    [
      'datacenters on a local token',
      { Local: true, TemplatedPolicies: [svc('web', { Datacenters: ['dc1'] })] },
      'templated policy "builtin/service" cannot specify a list of datacenters on a local token',
    ],
  ];
  it.each(invalid)('refuses %s with a 500', async (_what, body, text) => {
    const res = await put('/v1/acl/token', body);
    expect([res.status, res.text]).toEqual([500, text]);
  });

  it('update replaces them; clone copies them and ExpirationTime', async () => {
    // Prepare
    const original = (await put('/v1/acl/token', { TemplatedPolicies: [svc('web')], ExpirationTTL: '1h' })).json<Token>();
    // Act
    const updated = (await put(`/v1/acl/token/${original.AccessorID}`, { TemplatedPolicies: [svc('api')] })).json<Token>();
    const clone = (await put(`/v1/acl/token/${original.AccessorID}/clone`, { Description: 'copy' })).json<Token>();
    // Assess
    expect(updated.TemplatedPolicies?.map((t) => t.TemplateVariables?.name)).toEqual(['api']);
    expect(updated.ExpirationTime).toBe(original.ExpirationTime);
    expect(clone).toMatchObject({ Description: 'copy', ExpirationTime: original.ExpirationTime, TemplatedPolicies: updated.TemplatedPolicies });
    expect(clone.AccessorID).not.toBe(original.AccessorID);
  });

  it('GET /v1/acl/tokens?servicename= also finds builtin/service templated policies (1.17.1+, GH-19666)', async () => {
    // Prepare
    const t = sim.state.createToken({ Description: 'listed', TemplatedPolicies: [svc('billing')] });
    // Act
    const res = (await call(sim.url, 'GET', '/v1/acl/tokens?servicename=billing', { token: mgmt })).json<Token[]>();
    // Assess
    expect(res.map((x) => x.AccessorID)).toEqual([t.AccessorID]);
  });
});

describe('consul simulator: templated policies by version', () => {
  it('1.17.0 knows service, node and dns only; 1.17.1 adds api-gateway, nomad-client and nomad-server', async () => {
    const sim = await startConsulSimulator({ consulVersion: '1.17.0' });
    try {
      const body = { TemplatedPolicies: [{ TemplateName: 'builtin/api-gateway', TemplateVariables: { Name: 'gw' } }] };
      const before = await call(sim.url, 'PUT', '/v1/acl/token', { token: sim.managementToken.secretId, body });
      sim.state.setVersion('1.17.1');
      const after = await call(sim.url, 'PUT', '/v1/acl/token', { token: sim.managementToken.secretId, body });
      expect([before.status, before.text]).toEqual([500, 'templated policy with an invalid templated name: builtin/api-gateway for this token']);
      expect(after.status).toBe(200);
    } finally {
      await sim.stop();
    }
  });
});
