import { formatByteSize } from './byte-size';
import { goMarshalIndent } from './go-json';
import { displayGoString } from './go-text';
import type { StateBinDecodeResult } from './state-bin-decoder';
import { formatWithTabwriter } from './tabwriter';
import type { TypeStat } from './type-stats';

/**
 * The output of `consul snapshot inspect` (command/snapshot/inspect/formatter.go, reference state-bin.md §6.5, §6.6),
 * byte for byte: the pretty table and the `-format=json` document, so that scripts written for Consul's command keep
 * working. As in Consul, neither ends with a newline (the CLI adds one).
 */

/** The meta.json fields inspect prints (Consul copies them from meta.json; they are not computed). */
export interface InspectMeta {
  readonly ID: string;
  readonly Size: number;
  readonly Index: number;
  readonly Term: number;
  readonly Version: number;
}

/** One row of the JSON document (Go `typeStats`). */
export interface InspectRow {
  readonly Name: string;
  readonly Sum: number;
  readonly Count: number;
}

/** inspect's `OutputFormat`, field order as Go declares it. */
export interface InspectDocument {
  readonly Meta: InspectMeta;
  readonly Stats: readonly InspectRow[];
  /** `null` unless KV rows exist. */
  readonly StatsKV: readonly InspectRow[] | null;
  readonly TotalSize: number;
  readonly TotalSizeKV: number;
}

/** The part of a decode result the output needs. */
export type InspectStats = Pick<StateBinDecodeResult, 'stats' | 'totalSize' | 'kvStats' | 'totalSizeKv'>;

/**
 * Builds inspect's document from meta.json's fields and a decode result (rows keep the decoder's inspect order).
 *
 * @example
 * formatInspectPretty(buildInspectDocument(meta, decoder.end()));
 */
export function buildInspectDocument(meta: InspectMeta, stats: InspectStats): InspectDocument {
  const rows = (list: readonly TypeStat[]) => list.map((s) => ({ Name: s.name, Sum: s.sum, Count: s.count }));
  return {
    Meta: { ID: meta.ID, Size: meta.Size, Index: meta.Index, Term: meta.Term, Version: meta.Version },
    Stats: rows(stats.stats),
    StatsKV: stats.kvStats && stats.kvStats.length > 0 ? rows(stats.kvStats) : null,
    TotalSize: stats.totalSize,
    TotalSizeKV: stats.kvStats && stats.kvStats.length > 0 ? stats.totalSizeKv : 0,
  };
}

/**
 * `consul snapshot inspect` (pretty): the meta block, the type table and, with KV rows, the KV table, laid out by Go's
 * tabwriter with minwidth 8, padding 6. Invalid UTF-8 bytes of KV prefixes show as U+FFFD (Go writes the raw byte).
 */
export function formatInspectPretty(doc: InspectDocument): string {
  const row = (r: InspectRow) => `\n ${displayGoString(r.Name)}\t${r.Count}\t${formatByteSize(r.Sum)}`;
  let text = ` ID\t${doc.Meta.ID}`;
  text += `\n Size\t${doc.Meta.Size}\n Index\t${doc.Meta.Index}\n Term\t${doc.Meta.Term}\n Version\t${doc.Meta.Version}\n`;
  text += '\n Type\tCount\tSize\n ----\t----\t----';
  text += doc.Stats.map(row).join('');
  text += `\n ----\t----\t----\n Total\t\t${formatByteSize(doc.TotalSize)}`;
  if (doc.StatsKV !== null) {
    text += '\n\n Key Name\tCount\tSize\n ----\t----\t----';
    text += doc.StatsKV.map(row).join('');
    text += `\n ----\t----\t----\n Total\t\t${formatByteSize(doc.TotalSizeKV)}`;
  }
  return formatWithTabwriter(text, { minwidth: 8, padding: 6, padchar: ' ' });
}

/** `consul snapshot inspect -format=json`: Go's `json.MarshalIndent(doc, "", "   ")`. */
export function formatInspectJson(doc: InspectDocument): string {
  return goMarshalIndent(
    {
      Meta: { ID: doc.Meta.ID, Size: doc.Meta.Size, Index: doc.Meta.Index, Term: doc.Meta.Term, Version: doc.Meta.Version },
      Stats: doc.Stats.map((r) => ({ Name: r.Name, Sum: r.Sum, Count: r.Count })),
      StatsKV: doc.StatsKV === null ? null : doc.StatsKV.map((r) => ({ Name: r.Name, Sum: r.Sum, Count: r.Count })),
      TotalSize: doc.TotalSize,
      TotalSizeKV: doc.TotalSizeKV,
    },
    '   ',
  );
}
