import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SUMMARY_DESTINATIONS, MAX_SUMMARY_PREFIXES, type ContentSummary } from '../../../../functions/core/snapshot-contents/content-summary';
import { chunksOf, decodeChunks, decodeWhole, kvs, registerNode, registerService, serviceIntentions, stateBin } from '../../../helpers/state-bin';

function summaryOf(bytes: Buffer): ContentSummary {
  const summary = decodeWhole(bytes, { summary: true }).summary;
  if (summary === undefined) throw new Error('no summary');
  return summary;
}

describe('content summary', () => {
  const typical = readFileSync(join(__dirname, 'fixtures', 'typical.bin'));

  it('counts what a realistic CE snapshot holds', () => {
    // Act
    const s = summaryOf(typical);

    // Assess
    expect(s).toMatchObject({
      version: 1,
      lastIndex: 431,
      stateBytes: typical.length,
      records: 60,
      catalog: { nodes: 2, serviceInstances: 4, services: 3, checks: 3 },
      acl: { tokens: 2, policies: 2, roles: 1, bindingRules: 0, authMethods: 0 },
      intentions: { entries: 2, sources: 4, destinations: ['db', 'web'] },
      configEntries: { total: 4, byKind: { 'proxy-defaults': 1, 'service-defaults': 1, 'service-intentions': 2 } },
      sessions: 1,
      preparedQueries: 1,
      caRoots: 1,
    });
    expect(s.kv).toMatchObject({ entries: 23, tombstones: 2, otherPrefixes: { prefixes: 0, entries: 0 } });
    expect(s.kv.topPrefixes.slice(0, 5)).toEqual([
      { prefix: 'vault/', entries: 5 },
      { prefix: 'a/', entries: 4 },
      { prefix: '', entries: 3 },
      { prefix: 'app/', entries: 3 },
      { prefix: '/', entries: 2 },
    ]);
    expect(s.kv.topPrefixes.reduce((n, p) => n + p.entries, 0)).toBe(23);
    expect(s.recordTypes).toMatchObject({ KVS: 23, Register: 9, Tombstone: 2, 'Unknown(37)': 1, 'Unknown(65)': 1, ChunkingState: 1 });
    expect(s.kv.bytes).toBe(decodeWhole(typical).stats.find((t) => t.name === 'KVS')?.sum);
  });

  it('is a small JSON-serialisable object that survives a round trip', () => {
    // Act
    const s = summaryOf(typical);
    const json = JSON.stringify(s);

    // Assess
    expect(JSON.parse(json)).toEqual(s);
    expect(json.length).toBeLessThan(2000);
  });

  it('is the same whatever the chunking', () => {
    expect(decodeChunks(chunksOf(typical, 1), { summary: true }).summary).toEqual(summaryOf(typical));
  });

  it(`lists the ${MAX_SUMMARY_PREFIXES} largest top-level prefixes and sums up the others`, () => {
    // Prepare: prefix p<i> holds i + 1 keys.
    const keys = Array.from({ length: 60 }, (_, i) => Array.from({ length: i + 1 }, (_, k) => `p${String(i).padStart(2, '0')}/k${k}`)).flat();
    const bin = stateBin(1, keys.sort().map((k) => kvs(k, 'v')));

    // Act
    const { kv } = summaryOf(bin);

    // Assess
    expect(kv.topPrefixes).toHaveLength(MAX_SUMMARY_PREFIXES);
    expect(kv.topPrefixes[0]).toEqual({ prefix: 'p59/', entries: 60 });
    expect(kv.otherPrefixes).toEqual({ prefixes: 10, entries: (10 * 11) / 2 });
  });

  it(`names intention destinations up to ${MAX_SUMMARY_DESTINATIONS}, then only counts them`, () => {
    // Prepare
    const few = stateBin(1, [serviceIntentions('b', [{ name: 'x', action: 'allow' }]), serviceIntentions('a', [])]);
    const many = stateBin(1, Array.from({ length: MAX_SUMMARY_DESTINATIONS + 1 }, (_, i) => serviceIntentions(`d${i}`, [{ name: 'x', action: 'allow' }])));

    // Act
    const small = summaryOf(few).intentions;
    const large = summaryOf(many).intentions;

    // Assess
    expect(small).toEqual({ entries: 2, sources: 1, destinations: ['a', 'b'] });
    expect(large).toEqual({ entries: MAX_SUMMARY_DESTINATIONS + 1, sources: MAX_SUMMARY_DESTINATIONS + 1 });
  });

  it('counts a service name once however many instances it has', () => {
    // Prepare
    const bin = stateBin(1, [registerNode('a'), registerService('a', 'web', 'web-1'), registerService('a', 'web', 'web-2'), registerNode('b'), registerService('b', 'web', 'web-3')]);

    // Act / Assess
    expect(summaryOf(bin).catalog).toEqual({ nodes: 2, serviceInstances: 3, services: 1, checks: 0 });
  });
});
