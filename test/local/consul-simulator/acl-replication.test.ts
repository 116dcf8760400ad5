import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call } from './http';

interface Token {
  AccessorID: string;
  SecretID: string;
}

const LAG_MS = 5_000;

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: global tokens written in a secondary (correction 7)', (consulVersion) => {
  let sim: ConsulSimulator;
  let mgmt: string;
  let clock: number;

  beforeAll(async () => {
    clock = Date.parse('2026-03-01T12:00:00Z');
    sim = await startConsulSimulator({ consulVersion, datacenter: 'dc2', primaryDatacenter: 'dc1', aclReplicationLagMs: LAG_MS, now: () => new Date(clock) });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  const self = (secret: string) => call(sim.url, 'GET', '/v1/acl/token/self', { token: secret });
  const create = async (body: object) => (await call(sim.url, 'PUT', '/v1/acl/token', { token: mgmt, body })).json<Token>();

  it('a global token is unknown here until ACL replication catches up; a local token is immediate', async () => {
    // Prepare
    const global = await create({ Description: 'global' });
    const local = await create({ Description: 'local', Local: true });

    // Act
    const early = await self(global.SecretID);
    const earlyUse = await call(sim.url, 'GET', '/v1/catalog/services', { token: global.SecretID });
    const earlyRead = await call(sim.url, 'GET', `/v1/acl/token/${global.AccessorID}`, { token: mgmt });
    const localSelf = await self(local.SecretID);
    clock += LAG_MS;
    const late = await self(global.SecretID);

    // Assess
    expect([early.status, early.text]).toEqual([404, 'Supplied token does not exist']);
    expect([earlyUse.status, earlyUse.text]).toEqual([403, 'ACL not found']);
    expect([earlyRead.status, earlyRead.text]).toEqual([404, 'Requested token does not exist: ACL not found']);
    expect(localSelf.status).toBe(200);
    expect(late.status).toBe(200);
    expect(late.json<Token>().AccessorID).toBe(global.AccessorID);
  });

  it('the primary knows the token at once: its IDs are taken, and it can be updated before it replicates', async () => {
    // Prepare
    const global = await create({ Description: 'v1' });
    // Act
    const duplicate = await call(sim.url, 'PUT', '/v1/acl/token', { token: mgmt, body: { AccessorID: global.AccessorID } });
    const update = await call(sim.url, 'PUT', `/v1/acl/token/${global.AccessorID}`, { token: mgmt, body: { Description: 'v2' } });
    // Assess
    expect([duplicate.status, duplicate.text]).toEqual([500, 'Invalid Token: AccessorID is already in use']);
    expect(update.status).toBe(200);
    expect(sim.state.replicationBacklog).toBeGreaterThan(0);
    sim.state.replicateNow();
    expect(sim.state.getToken(global.AccessorID)?.Description).toBe('v2');
  });

  it('a deleted global token keeps working here until the delete replicates', async () => {
    // Prepare
    const global = await create({ Description: 'doomed' });
    clock += LAG_MS;
    // Act
    const del = await call(sim.url, 'DELETE', `/v1/acl/token/${global.AccessorID}`, { token: mgmt });
    const stillHere = await self(global.SecretID);
    clock += LAG_MS;
    const gone = await self(global.SecretID);
    // Assess
    expect([del.status, del.text]).toEqual([200, 'true']);
    expect(stillHere.status).toBe(200);
    expect(gone.status).toBe(404);
  });
});

describe('consul simulator: in the primary datacenter', () => {
  it('global tokens are visible at once', async () => {
    const sim = await startConsulSimulator({ aclReplicationLagMs: 60_000 });
    try {
      const created = (await call(sim.url, 'PUT', '/v1/acl/token', { token: sim.managementToken.secretId, body: { Description: 'g' } })).json<Token>();
      expect((await call(sim.url, 'GET', '/v1/acl/token/self', { token: created.SecretID })).status).toBe(200);
    } finally {
      await sim.stop();
    }
  });
});
