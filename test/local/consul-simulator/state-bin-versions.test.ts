/**
 * Contract tests: the record fields that differ between Consul versions (state-bin.md §7), over every profile. The
 * snapshot writer takes them from the active version profile, and a restore decodes with the restoring version's
 * structs (Go's codec drops fields its struct lacks). Snapshots are decoded with an independent msgpack library.
 */
import { decodeMulti } from '@msgpack/msgpack';
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES, NEWEST_CONSUL } from '../../helpers/consul-versions';
import { call } from './http';
import { decodeStateBin, DecodedRecord, stateBinOf, text } from './state-bin';

type Obj = Record<string, unknown>;

/** state-bin.md §7, stated here independently of VERSION_TABLE: which fields a CE version writes. */
function expectedFields(version: string) {
  const [, minor, patch] = version.split('.').map(Number);
  const since = (m: number, p = 0) => minor > m || (minor === m && patch >= p);
  return {
    Locality: since(16),
    ManualIPs: since(16),
    TemplatedPolicies: since(17),
    // PR #19795: 1.15.8, 1.16.4, 1.17.1 and every later release; 1.16.0–1.16.3 and 1.17.0 lack it.
    Hash: (minor === 15 && patch >= 8) || (minor === 16 && patch >= 4) || since(17, 1),
  };
}

const VIP = { Service: { ServiceName: { Name: 'web' }, Peer: '' }, IP: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 240, 0, 0, 1]) };

/** A simulator holding every version-dependent field: a node Locality, a VIP with manual IPs, templated policies. */
async function richSimulator(consulVersion: string): Promise<ConsulSimulator> {
  const sim = await startConsulSimulator({ consulVersion, nodeName: 'server-1' });
  sim.state.registerService({ name: 'web', port: 8080 });
  sim.state.setConfigEntry({ Kind: 'service-defaults', Name: 'web', Protocol: 'http' });
  sim.state.createRole({ Name: 'reader' });
  sim.state.createToken({ Description: 'plain' });
  if (sim.profile.features.templatedPolicies) sim.state.createToken({ Description: 'templated', TemplatedPolicies: [{ TemplateName: 'builtin/dns' }] });
  const index = sim.state.store.commit('service-virtual-ips', 'nodes');
  const tables = sim.state.exportState();
  sim.state.importState({
    ...tables,
    nodes: tables.nodes.map((n) => ({ ...n, Locality: { Region: 'eu-west-1', Zone: 'a' } })),
    serviceVirtualIps: [{ ...VIP, ManualIPs: ['10.0.0.9'], CreateIndex: index, ModifyIndex: index }],
  });
  return sim;
}

async function snapshotRecords(sim: ConsulSimulator, token = sim.managementToken.secretId): Promise<{ archive: Buffer; records: DecodedRecord[] }> {
  const res = await call(sim.url, 'GET', '/v1/snapshot', { token });
  expect(res.status).toBe(200);
  return { archive: res.bytes, records: decodeStateBin(await stateBinOf(res.bytes)).records };
}

const valuesOf = (records: DecodedRecord[], type: number) => records.filter((r) => r.type === type).map((r) => r.value as Obj);
const has = (value: unknown, key: string) => Object.keys(value as Obj).includes(key);

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: version-dependent state.bin fields', (consulVersion) => {
  const expected = expectedFields(consulVersion);
  let sim: ConsulSimulator;
  let records: DecodedRecord[];

  beforeAll(async () => {
    sim = await richSimulator(consulVersion);
    records = (await snapshotRecords(sim)).records;
  });
  afterAll(() => sim.stop());

  it(`Register records (node and service) ${expected.Locality ? 'carry' : 'have no'} Locality`, () => {
    const registers = valuesOf(records, 0);
    const services = registers.filter((r) => r.Service !== null).map((r) => r.Service);
    expect(services.length).toBeGreaterThan(0);
    expect(registers.map((r) => has(r, 'Locality'))).toEqual(registers.map(() => expected.Locality));
    expect(services.map((s) => has(s, 'Locality'))).toEqual(services.map(() => expected.Locality));
    if (expected.Locality) expect(text((registers[0].Locality as Obj).Region)).toBe('eu-west-1');
  });

  it(`ServiceVirtualIP records ${expected.ManualIPs ? 'carry' : 'have no'} ManualIPs`, () => {
    const [vip] = valuesOf(records, 32);
    expect(Object.keys(vip)).toEqual(expected.ManualIPs ? ['CreateIndex', 'IP', 'ManualIPs', 'ModifyIndex', 'Service'] : ['CreateIndex', 'IP', 'ModifyIndex', 'Service']);
  });

  it(`ACLToken and ACLRole records ${expected.TemplatedPolicies ? 'carry' : 'have no'} TemplatedPolicies`, () => {
    const acl = [...valuesOf(records, 17), ...valuesOf(records, 23)];
    expect(acl.length).toBeGreaterThanOrEqual(4); // anonymous, management, plain tokens; the role
    expect(acl.map((r) => has(r, 'TemplatedPolicies'))).toEqual(acl.map(() => expected.TemplatedPolicies));
  });

  it(`config entries ${expected.Hash ? 'carry' : 'have no'} Hash`, () => {
    const entries = valuesOf(records, 22).map((payload) => [...decodeMulti(payload as unknown as Uint8Array, { rawStrings: true, useBigInt64: true })][1] as Obj);
    expect(entries.map((e) => has(e.Entry, 'Hash'))).toEqual([expected.Hash]);
  });

  it(`restoring a ${NEWEST_CONSUL} snapshot keeps only the fields ${consulVersion} has`, async () => {
    // Prepare
    const source = await richSimulator(NEWEST_CONSUL);
    const { archive } = await snapshotRecords(source);
    const sourceManagement = source.managementToken.secretId; // the restore brings the source's tokens
    await source.stop();
    const target = await startConsulSimulator({ consulVersion });

    try {
      // Act
      const res = await call(target.url, 'PUT', '/v1/snapshot', { token: target.managementToken.secretId, body: archive });
      const restored = target.state.exportState();
      const again = (await snapshotRecords(target, sourceManagement)).records;

      // Assess
      expect([res.status, res.text]).toEqual([200, '']);
      expect(restored.nodes.map((n) => n.Locality)).toEqual(restored.nodes.map(() => (expected.Locality ? { Region: 'eu-west-1', Zone: 'a' } : undefined)));
      expect(restored.serviceVirtualIps.map((v) => v.ManualIPs)).toEqual([expected.ManualIPs ? ['10.0.0.9'] : undefined]);
      const templated = restored.tokens.find((t) => t.Description === 'templated');
      expect(templated?.TemplatedPolicies).toEqual(expected.TemplatedPolicies ? [{ TemplateID: '00000000-0000-0000-0000-000000000005', TemplateName: 'builtin/dns' }] : undefined);
      expect(valuesOf(again, 17).some((t) => has(t, 'TemplatedPolicies'))).toBe(expected.TemplatedPolicies);
    } finally {
      await target.stop();
    }
  });
});
