/**
 * Snapshot → change → restore brings every table back (reference correction 8: a restore replaces the whole state,
 * ACLs included), and records the simulator does not model come back out of the next snapshot byte for byte.
 */
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { GoMsgpackWriter } from '../../../local/consul-simulator/go-msgpack';
import { CHUNKING_STATE_RECORD } from '../../../local/consul-simulator/state-bin-writer';
import { call } from './http';
import { archiveAround, decodeStateBin, stateBinOf } from './state-bin';

describe('consul simulator: snapshot round trip', () => {
  let sim: ConsulSimulator;
  let mgmt: string;

  beforeEach(async () => {
    sim = await startConsulSimulator({ nodeName: 'server-1' });
    mgmt = sim.managementToken.secretId;
  });
  afterEach(() => sim.stop());

  it('snapshot → change KV, tokens, intentions, catalog, sessions → restore: every table is back as it was', async () => {
    // Prepare: one of everything.
    const policy = sim.state.createPolicy({ Name: 'ops', Rules: 'key_prefix "config/" { policy = "write" }', Datacenters: ['dc1'] });
    const role = sim.state.createRole({ Name: 'ops-role', Policies: [{ ID: policy.ID }], ServiceIdentities: [{ ServiceName: 'web', Datacenters: ['dc1'] }] });
    const kept = sim.state.createToken({
      Description: 'kept',
      Roles: [{ ID: role.ID }],
      NodeIdentities: [{ NodeName: 'node-a', Datacenter: 'dc1' }],
      TemplatedPolicies: [{ TemplateName: 'builtin/dns', Datacenters: ['dc1'] }],
      ExpirationTTL: '2h',
    });
    sim.state.setAuthMethod({ Name: 'k8s', Type: 'kubernetes', DisplayName: 'K8s', Description: '', MaxTokenTTL: 3_600_000_000_000, TokenLocality: 'local', Config: { Host: 'https://k8s', Nested: { a: [1, 'b'] } } });
    sim.state.setBindingRule({ Description: 'all', AuthMethod: 'k8s', Selector: '', BindType: 'service', BindName: '${serviceaccount.name}' });
    sim.state.kvPut('config/app', Buffer.from([0, 1, 2, 255]), 2n ** 60n);
    sim.state.kvPut('config/empty', '');
    sim.state.kvPut('config/old', 'x');
    sim.state.kvDelete('config/old');
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow' }, { Name: '*', Action: 'deny', Description: 'default deny' }] });
    sim.state.setConfigEntry({ Kind: 'service-defaults', Name: 'web', Protocol: 'http', Meta: { team: 'a' } });
    sim.state.registerNode({ node: 'node-a', address: '10.0.0.7', meta: { rack: 'r1' } });
    sim.state.registerService({ name: 'web', node: 'node-a', port: 80, tags: ['blue'], meta: { v: '1' } });
    sim.state.registerService({ name: 'web-sidecar-proxy', node: 'node-a', port: 21000, proxyFor: { service: 'web', localPort: 80 } });
    sim.state.registerCheck({ id: 'web-ok', node: 'node-a', serviceId: 'web', status: 'warning', type: 'tcp', definition: { TCP: '10.0.0.7:80', Interval: 5_000_000_000, Timeout: 1_000_000_000 } });
    sim.state.createSession({ node: 'node-a', name: 'lock' });
    const before = sim.state.exportState();
    const saved = await call(sim.url, 'GET', '/v1/snapshot', { token: mgmt });
    const kvIndexBefore = (await call(sim.url, 'GET', '/v1/kv/config/app', { token: mgmt })).headers['x-consul-index'];

    // Act: change every table, then restore.
    const later = sim.state.createToken({ Description: 'created after the snapshot' });
    sim.state.deleteToken(kept.AccessorID);
    sim.state.kvPut('config/app', 'changed');
    sim.state.kvDelete('config/empty');
    sim.state.kvPut('config/new', 'new');
    sim.state.deleteConfigEntry('service-intentions', 'db');
    sim.state.deregisterService('web', 'node-a');
    sim.state.createSession({ name: 'another' });
    sim.state.createPolicy({ Name: 'extra' });
    const res = await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: saved.bytes });

    // Assess
    expect([res.status, res.text]).toEqual([200, '']);
    expect(sim.state.exportState()).toEqual(before);
    expect(sim.state.getToken(later.AccessorID)).toBeUndefined();
    expect(sim.state.getToken(kept.AccessorID)?.TemplatedPolicies).toEqual([{ TemplateID: '00000000-0000-0000-0000-000000000005', TemplateName: 'builtin/dns', Datacenters: ['dc1'] }]);
    expect((await call(sim.url, 'GET', '/v1/acl/token/self', { token: kept.SecretID })).status).toBe(200);
    expect((await call(sim.url, 'GET', '/v1/kv/config/app', { token: later.SecretID })).text).toBe('ACL not found');
    const kv = await call(sim.url, 'GET', '/v1/kv/config/app', { token: mgmt });
    expect(kv.headers['x-consul-index']).toBe(kvIndexBefore);
    expect(kv.json<{ Value: string; Flags: number }[]>()[0].Value).toBe(Buffer.from([0, 1, 2, 255]).toString('base64'));
    expect(kv.text).toContain(`"Flags":${2n ** 60n}`);
    // The CA still signs: its key came back from the provider-state record.
    const leaf = await call(sim.url, 'GET', '/v1/agent/connect/ca/leaf/web', { token: mgmt });
    expect(leaf.status).toBe(200);
  });

  it('keeps records it does not model (coordinates, prepared queries, peerings) and writes them again unchanged', async () => {
    // Prepare: a state.bin from another cluster (no ACLs in it), with a PreparedQuery (7) and a Peering (35) record.
    await sim.stop();
    sim = await startConsulSimulator({ aclsEnabled: false });
    const query = Buffer.from(new GoMsgpackWriter().mapHeader(2).str('ID').str('5e1e24e5-1329-f86f-18c6-3d3734edb2cd').str('Name').str('geo-db').bytes());
    const peering = Buffer.from(new GoMsgpackWriter().str(Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63])).bytes());
    const header = Buffer.from(new GoMsgpackWriter().mapHeader(1).str('LastIndex').int(40).bytes());
    const foreign = Buffer.concat([header, Buffer.from([7]), query, Buffer.from([35]), peering, CHUNKING_STATE_RECORD]);
    expect((await call(sim.url, 'PUT', '/v1/snapshot', { body: await archiveAround(foreign, { Index: 40 }) })).status).toBe(200);

    // Act
    const again = decodeStateBin(await stateBinOf((await call(sim.url, 'GET', '/v1/snapshot')).bytes));

    // Assess
    expect(again.records.map((r) => r.type)).toEqual([7, 35, 29]);
    expect(again.records[0].bytes).toEqual(Buffer.concat([Buffer.from([7]), query]));
    expect(again.records[1].bytes).toEqual(Buffer.concat([Buffer.from([35]), peering]));
    expect(sim.state.listTokens()).toEqual([]);
  });
});
