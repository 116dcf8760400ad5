import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeGoString } from '../../../../functions/core/snapshot-contents/go-text';
import { buildInspectDocument, formatInspectJson, formatInspectPretty, type InspectDocument } from '../../../../functions/core/snapshot-contents/inspect-format';
import { decodeWhole } from '../../../helpers/state-bin';
import { INSPECT_VARIANTS } from '../../../helpers/state-bin-fixtures';

const DIR = join(__dirname, 'fixtures', 'inspect');

interface GoInput {
  Meta: InspectDocument['Meta'];
  Stats: { Name: string; Sum: number; Count: number }[];
  StatsKV: { Name: string; Sum: number; Count: number }[] | null;
  TotalSize: number;
  TotalSizeKV: number;
}

/** A Go-produced input document (names base64 of their bytes) as the TypeScript document. */
function documentOf(input: GoInput): InspectDocument {
  const rows = (list: GoInput['Stats']) =>
    list.map((r) => {
      const bytes = Buffer.from(r.Name, 'base64');
      return { Name: decodeGoString(bytes, 0, bytes.length), Sum: r.Sum, Count: r.Count };
    });
  return { Meta: input.Meta, Stats: rows(input.Stats), StatsKV: input.StatsKV === null ? null : rows(input.StatsKV), TotalSize: input.TotalSize, TotalSizeKV: input.TotalSizeKV };
}

const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.input.json'))
  .map((f) => f.replace('.input.json', ''));

describe('formatInspectPretty / formatInspectJson', () => {
  it.each(cases)('%s: byte-identical to Go (tabwriter, ByteSize, MarshalIndent)', (name) => {
    // Prepare
    const doc = documentOf(JSON.parse(readFileSync(join(DIR, `${name}.input.json`), 'utf8')) as GoInput);

    // Act
    const pretty = formatInspectPretty(doc);
    const json = formatInspectJson(doc);

    // Assess
    expect(pretty).toBe(readFileSync(join(DIR, `${name}.pretty.golden`), 'utf8'));
    expect(json).toBe(readFileSync(join(DIR, `${name}.json.golden`), 'utf8'));
  });

  it('has the golden cases it is meant to cover', () => {
    expect(cases).toEqual(expect.arrayContaining(['typical.plain', 'typical.kv', 'weird-keys.kv', 'header-only.plain', 'synthetic-units', 'synthetic-empty']));
  });
});

describe('buildInspectDocument', () => {
  it.each(INSPECT_VARIANTS.filter(([v]) => ['plain', 'kv', 'kv-depth0', 'kv-depth5', 'kv-filter-vault-core', 'kv-filter-none'].includes(v)))(
    'decoding typical.bin with %s flags and formatting gives Go\'s output end to end',
    (variant, kvDetails, depth, filter) => {
      // Prepare
      const bytes = readFileSync(join(__dirname, 'fixtures', 'typical.bin'));
      const input = JSON.parse(readFileSync(join(DIR, `typical.${variant}.input.json`), 'utf8')) as GoInput;
      const result = decodeWhole(bytes, kvDetails ? { kvDetails: { depth, filter } } : {});

      // Act
      const doc = buildInspectDocument(input.Meta, result);

      // Assess
      expect(formatInspectPretty(doc)).toBe(readFileSync(join(DIR, `typical.${variant}.pretty.golden`), 'utf8'));
      expect(formatInspectJson(doc)).toBe(readFileSync(join(DIR, `typical.${variant}.json.golden`), 'utf8'));
    },
  );

  it('keeps only the five meta fields inspect prints, in Go declaration order', () => {
    // Prepare
    const meta = { Version: 1, ID: '2-9-1', Index: 9, Term: 2, Size: 24, Peers: 'AA==', ConfigurationIndex: 1 };

    // Act
    const doc = buildInspectDocument(meta, { stats: [], totalSize: 0, totalSizeKv: 0 });

    // Assess
    expect(Object.keys(doc.Meta)).toEqual(['ID', 'Size', 'Index', 'Term', 'Version']);
    expect(doc.StatsKV).toBeNull();
    expect(formatInspectJson(doc)).toContain('"Stats": [],\n   "StatsKV": null,');
  });

  it('prints no KV table and StatsKV null when the filter matched nothing (inspect omits it)', () => {
    // Act
    const doc = buildInspectDocument({ ID: 'x', Size: 1, Index: 1, Term: 1, Version: 1 }, { stats: [{ name: 'KVS', sum: 80, count: 1 }], kvStats: undefined, totalSize: 80, totalSizeKv: 0 });

    // Assess
    expect(formatInspectPretty(doc)).not.toContain('Key Name');
    expect(formatInspectJson(doc)).toContain('"StatsKV": null');
  });
});
