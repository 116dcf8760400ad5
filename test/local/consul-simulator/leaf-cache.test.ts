import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { call } from './http';

interface Leaf {
  SerialNumber: string;
  ValidBefore: string;
}

const HOUR = 3_600_000;
/** consul-api.md correction 5: 1.15 keys the agent leaf cache by datacenter/token/service, 1.16+ by service. */
const perToken = (v: string): boolean => v.startsWith('1.15.');

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: agent leaf certificates (correction 5)', (consulVersion) => {
  let sim: ConsulSimulator;
  let opsSecret: string;
  const leafWith = async (secret: string, service = 'web') =>
    (await call(sim.url, 'GET', `/v1/agent/connect/ca/leaf/${service}`, { token: secret })).json<Leaf>();

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    const policy = sim.state.createPolicy({ Name: 'certs', Rules: 'service_prefix "" { policy = "write" }' });
    opsSecret = sim.state.createToken({ Policies: [{ ID: policy.ID }] }).SecretID;
  });
  afterAll(() => sim.stop());

  it(`a caller with its own token gets ${perToken(consulVersion) ? 'a different leaf than' : 'the same leaf as'} the sidecar`, async () => {
    // Prepare: the sidecar fetched its leaf first (state.ca.leaf acts as the sidecar).
    const sidecar = (await sim.state.ca.leaf('web', true)).leaf;
    // Act
    const ops = await leafWith(opsSecret);
    const again = await leafWith(opsSecret);
    const mgmt = await leafWith(sim.managementToken.secretId);
    // Assess
    expect(again.SerialNumber).toBe(ops.SerialNumber);
    if (perToken(consulVersion)) {
      expect(ops.SerialNumber).not.toBe(sidecar.SerialNumber);
      expect(mgmt.SerialNumber).not.toBe(ops.SerialNumber);
    } else {
      expect(ops.SerialNumber).toBe(sidecar.SerialNumber);
      expect(mgmt.SerialNumber).toBe(sidecar.SerialNumber);
    }
  });

  it(`a pinned (expired) sidecar leaf is ${perToken(consulVersion) ? 'not' : 'also'} what other callers get`, async () => {
    // Prepare
    const now = Date.now();
    const expired = await sim.state.ca.pinLeaf('api', { notBefore: new Date(now - 73 * HOUR), notAfter: new Date(now - HOUR) });
    // Act
    const ops = await leafWith(opsSecret, 'api');
    // Assess
    expect(ops.SerialNumber === expired.SerialNumber).toBe(!perToken(consulVersion));
    sim.state.ca.clearLeafCache('api');
    expect((await leafWith(opsSecret, 'api')).SerialNumber).not.toBe(ops.SerialNumber);
  });
});
