/**
 * The product's state.bin decoder against what the Consul simulator writes for every version profile: the simulator
 * and the decoder were written independently from the reference (state-bin.md), and a third, independent msgpack
 * decoder (`@msgpack/msgpack`, in the simulator's test helpers) settles the record boundaries. A disagreement here
 * means one of the two misreads the format.
 */
import { request } from 'undici';
import { createStateBinDecoder, messageTypeName } from '../../../../functions/core/snapshot-contents';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../../helpers/consul-versions';
import { decodeStateBin, stateBinOf } from '../../../local/consul-simulator/state-bin';

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function snapshotStateBin(sim: ConsulSimulator): Promise<Buffer> {
  const res = await request(`${sim.url}/v1/snapshot`, { headers: { 'X-Consul-Token': sim.managementToken.secretId } });
  expect(res.statusCode).toBe(200);
  return stateBinOf(Buffer.from(await res.body.arrayBuffer()));
}

/** Feeds the bytes in uneven chunks, as inflate delivers them. */
function decode(state: Buffer) {
  const decoder = createStateBinDecoder({ summary: true, kvDetails: { depth: 1 } });
  for (let at = 0, step = 1; at < state.length; at += step, step = (step * 7 + 3) % 4093 || 1) decoder.write(state.subarray(at, at + step));
  return decoder.end();
}

describe.each(ALL_CONSUL_PROFILES)('the snapshot-contents decoder reads what the simulator writes for Consul %s', (consulVersion) => {
  let sim: ConsulSimulator;
  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    for (let i = 0; i < 25; i++) sim.state.kvPut(`config/app-${i % 5}/key-${i}`, `value ${i}`);
    sim.state.kvPut('feature-flags/new-ui', 'on');
    sim.state.registerService({ name: 'web', port: 8080 });
    sim.state.registerService({ name: 'web-sidecar-proxy', port: 21000, proxyFor: { service: 'web' } });
    sim.state.createToken({ Description: 'web', ServiceIdentities: [{ ServiceName: 'web' }] });
    sim.state.setConfigEntry({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow' }, { Name: 'api', Action: 'allow' }] });
  });
  afterAll(() => sim.stop());

  it('counts every record and byte exactly as the independent decoder delimits them', async () => {
    // Prepare
    const state = await snapshotStateBin(sim);
    const independent = decodeStateBin(state);

    // Act
    const result = decode(state);

    // Assess
    expect(result.totalSize).toBe(state.length);
    expect(result.records).toBe(independent.records.length);
    const perType = new Map<number, { count: number; sum: number }>();
    independent.records.forEach((r, i) => {
      const t = perType.get(r.type) ?? { count: 0, sum: 0 };
      perType.set(r.type, { count: t.count + 1, sum: t.sum + r.bytes.length + (i === 0 ? independent.headerBytes.length : 0) });
    });
    const expected = [...perType].map(([type, t]) => ({ name: messageTypeName(type), count: t.count, sum: t.sum }));
    expect(result.stats.map((s) => ({ name: s.name, count: s.count, sum: s.sum })).sort(byName)).toEqual(expected.sort(byName));
    expect(result.stats.find((s) => s.name === 'ChunkingState')).toMatchObject({ count: 1 });
    expect(result.warnings).toEqual([]);
  });

  it('summarises the content the simulator holds', async () => {
    // Act
    const summary = decode(await snapshotStateBin(sim)).summary!;

    // Assess
    const tables = sim.state.exportState();
    expect(summary.kv.entries).toBe(tables.kv.length);
    expect(summary.kv.topPrefixes).toEqual(expect.arrayContaining([{ prefix: 'config/', entries: 25 }, { prefix: 'feature-flags/', entries: 1 }]));
    expect(summary.acl).toMatchObject({ tokens: tables.tokens.length, policies: tables.policies.length, roles: tables.roles.length });
    expect(summary.catalog).toMatchObject({ nodes: tables.nodes.length, serviceInstances: tables.services.length, checks: tables.checks.length });
    expect(summary.catalog.services).toBe(new Set(tables.services.map((s) => s.Service)).size);
    expect(summary.caRoots).toBe(tables.caRoots.length);
    expect(summary.intentions).toMatchObject({ entries: 1, sources: 2, destinations: ['db'] });
  });
});
