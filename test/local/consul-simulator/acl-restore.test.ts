import { startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call } from './http';

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: a restore replaces ACLs too (correction 8)', (consulVersion) => {
  it('tokens created after the snapshot disappear, tokens deleted since come back', async () => {
    // Prepare
    const sim = await startConsulSimulator({ consulVersion });
    const mgmt = sim.managementToken.secretId;
    try {
      const old = sim.state.createToken({ Description: 'before the backup' });
      const archive = (await call(sim.url, 'GET', '/v1/snapshot', { token: mgmt })).bytes;
      const rotated = sim.state.createToken({ Description: 'after the backup' });
      sim.state.deleteToken(old.AccessorID);

      // Act
      const restore = await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: archive });

      // Assess
      expect(restore.status).toBe(200);
      expect((await call(sim.url, 'GET', '/v1/acl/token/self', { token: rotated.SecretID })).text).toBe('Supplied token does not exist');
      expect((await call(sim.url, 'GET', '/v1/acl/tokens', { token: rotated.SecretID })).text).toBe('ACL not found');
      expect((await call(sim.url, 'GET', '/v1/acl/token/self', { token: old.SecretID })).status).toBe(200);
    } finally {
      await sim.stop();
    }
  });
});
