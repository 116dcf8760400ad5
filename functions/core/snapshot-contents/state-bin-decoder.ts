import { ContentIndexSink, type ContentIndex, type ContentIndexOptions } from './content-index';
import { ContentSummarySink, type ContentSummary } from './content-summary';
import { StateBinMalformedError, type ChecksumVerdict, type StateBinDefect } from './errors';
import { KvDetailsSink, type KvDetailsOptions } from './kv-details';
import { KvExtractSink, type KvExtractOptions } from './kv-extract';
import { MESSAGE_TYPES, messageTypeName } from './message-types';
import { MsgpackCursor } from './msgpack-cursor';
import { buildScanPlan, fieldCursor, type RecordSink, type SinkWant } from './record-sink';
import { HEADER_TYPE, type CapturedRecord } from './scan-plan';
import { StateBinScanner } from './state-bin-scanner';
import { sortTypeStats, type TypeStat } from './type-stats';

/** What to collect besides the per-type table (which is always built). Everything is off by default. */
export interface StateBinDecoderOptions {
  /** `consul snapshot inspect -kvdetails` (with `-kvdepth`, `-kvfilter`). @default - no KV table */
  readonly kvDetails?: KvDetailsOptions;
  /** Build the {@link ContentSummary} (the hourly backup path). @default false */
  readonly summary?: boolean;
  /** Build the {@link ContentIndex} for `diff` (implies the summary). @default - no index */
  readonly index?: ContentIndexOptions | boolean;
  /** Stream the KV entries under a prefix to a callback (`restore-kv`). @default - none */
  readonly extractKv?: KvExtractOptions;
}

/** A backup's summary and index together: what `diffSnapshotContents` compares. */
export interface SnapshotContents {
  readonly summary: ContentSummary;
  readonly index: ContentIndex;
}

/** What a decode yields. Field names follow `consul snapshot inspect -format=json` where they overlap. */
export interface StateBinDecodeResult {
  /** The header's `LastIndex`. */
  readonly lastIndex: number;
  /** Records after the header. */
  readonly records: number;
  /** Per record type, sorted as inspect sorts (largest `sum` first). */
  readonly stats: readonly TypeStat[];
  /** inspect's TotalSize: bytes through the end of the last record (0 without records). */
  readonly totalSize: number;
  /** The `-kvdetails` rows, or undefined (not asked, or no KVS record qualified). */
  readonly kvStats?: readonly TypeStat[];
  /** inspect's TotalSizeKV (0 without KV rows). */
  readonly totalSizeKv: number;
  /**
   * Entries in the ChunkingState record's `ChunkMap`: raft log operations that were being applied in chunks when
   * the snapshot was taken. Normally 0. See {@link StateBinDecoder} for why this is a warning, not an error.
   */
  readonly chunkingInFlight: number;
  /** Things worth telling the operator that did not stop the decode. */
  readonly warnings: readonly string[];
  /** With `summary` or `index`. */
  readonly summary?: ContentSummary;
  /** With `index`. */
  readonly contents?: SnapshotContents;
}

/** Options of {@link StateBinDecoder.end}. */
export interface StateBinEndOptions {
  /**
   * Whether the bytes were checked against the archive's SHA256SUMS (this only changes the wording of a malformed
   * record error).
   * @default 'matched'
   */
  readonly checksums?: ChecksumVerdict;
}

/**
 * A push decoder for state.bin (see {@link createStateBinDecoder}).
 *
 * A non-empty `ChunkMap` is counted and reported in `chunkingInFlight` and `warnings`, not refused: `consul snapshot
 * inspect` fails on it only because its generic decode cannot handle the map's integer keys (state-bin.md §3.7), while
 * Consul restores such a snapshot (the restore decodes the typed struct), so the backup is good.
 */
export interface StateBinDecoder {
  /**
   * Feeds the next bytes. Never throws on bad input: the first defect is kept (see {@link defect}) and later bytes
   * are ignored, so a verifier can keep feeding and finish its own checks first. An exception thrown by an
   * `extractKv.onEntry` callback propagates and leaves the decoder unusable.
   */
  write(chunk: Uint8Array): void;
  /** Declares EOF and returns the result; throws {@link StateBinMalformedError} if a record was malformed. */
  end(options?: StateBinEndOptions): StateBinDecodeResult;
  /** The first defect found so far (callers may stop feeding early). */
  readonly defect: StateBinDefect | undefined;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

/**
 * Creates a streaming state.bin decoder: call `write` with each decompressed chunk of state.bin, then `end`. Memory is
 * O(1) apart from the per-type counters, the KV prefix tables and what the options collect (the index, the
 * distinct service names).
 *
 * @example
 * const decoder = createStateBinDecoder({ summary: true });
 * for (const chunk of chunks) decoder.write(chunk);
 * const { stats, totalSize, summary } = decoder.end();
 */
export function createStateBinDecoder(options: StateBinDecoderOptions = {}): StateBinDecoder {
  return new Decoder(options);
}

class Decoder implements StateBinDecoder {
  private readonly counts = new Float64Array(256);
  private readonly sums = new Float64Array(256);
  private readonly sinksByType: RecordSink[][] = Array.from({ length: HEADER_TYPE + 1 }, () => []);
  private readonly scanner: StateBinScanner;
  private readonly core = new CoreSink();
  private readonly kvDetails?: KvDetailsSink;
  private readonly summary?: ContentSummarySink;
  private readonly index?: ContentIndexSink;
  private ended = false;

  constructor(options: StateBinDecoderOptions) {
    if (options.kvDetails) this.kvDetails = new KvDetailsSink(options.kvDetails);
    if (options.summary || options.index) this.summary = new ContentSummarySink();
    if (options.index) this.index = new ContentIndexSink(options.index === true ? {} : options.index);
    const extract = options.extractKv ? new KvExtractSink(options.extractKv) : undefined;
    const sinks: RecordSink[] = [this.core, this.kvDetails, this.summary, this.index, extract].filter((s) => s !== undefined);
    const { plan, slotOf } = buildScanPlan(sinks);
    for (const sink of sinks) {
      sink.bind(slotOf);
      for (const type of new Set(sink.wants.map((w) => w.type))) this.sinksByType[type].push(sink);
    }
    this.scanner = new StateBinScanner(plan, (type, size) => this.onRecord(type, size));
  }

  get defect(): StateBinDefect | undefined {
    return this.scanner.defect;
  }

  get bytesWritten(): number {
    return this.scanner.offset;
  }

  write(chunk: Uint8Array): void {
    if (this.ended) throw new Error('state.bin decoder: write after end');
    this.scanner.write(chunk);
  }

  end(options: StateBinEndOptions = {}): StateBinDecodeResult {
    if (this.ended) throw new Error('state.bin decoder: end called twice');
    this.ended = true;
    this.scanner.finish();
    if (this.scanner.defect !== undefined) throw new StateBinMalformedError(this.scanner.defect, options.checksums ?? 'matched');
    const stats: TypeStat[] = [];
    for (let t = 0; t < 256; t++) if (this.counts[t] > 0) stats.push({ name: messageTypeName(t), sum: this.sums[t], count: this.counts[t] });
    const kv = this.kvDetails?.result();
    const totals = { counts: this.counts, sums: this.sums, lastIndex: this.core.lastIndex, totalSize: this.scanner.totalSize, records: this.scanner.records };
    const summary = this.summary?.result(totals);
    const chunking = this.core.chunkingInFlight;
    return {
      lastIndex: this.core.lastIndex,
      records: this.scanner.records,
      stats: sortTypeStats(stats),
      totalSize: this.scanner.totalSize,
      ...(kv?.stats ? { kvStats: kv.stats } : {}),
      totalSizeKv: kv?.stats ? kv.totalSize : 0,
      chunkingInFlight: chunking,
      warnings:
        chunking > 0
          ? [`ChunkingState holds ${chunking} raft operation(s) applied in chunks when the snapshot was taken: Consul restores it, but \`consul snapshot inspect\` cannot read it`]
          : [],
      ...(summary ? { summary } : {}),
      ...(summary && this.index ? { contents: { summary, index: this.index.result() } } : {}),
    };
  }

  private onRecord(type: number, size: number): void {
    if (type !== HEADER_TYPE) {
      this.counts[type]++;
      this.sums[type] += size;
    }
    const sinks = this.sinksByType[type];
    for (let i = 0; i < sinks.length; i++) sinks[i].onRecord(type, size, this.scanner.captured);
  }
}

/** The decoder's own reads: the header's `LastIndex` and the ChunkingState's `ChunkMap` size. */
class CoreSink implements RecordSink {
  readonly wants: readonly SinkWant[] = [
    { type: HEADER_TYPE, fields: ['LastIndex'] },
    { type: MESSAGE_TYPES.chunkingState, fields: ['ChunkMap'] },
  ];
  lastIndex = 0;
  chunkingInFlight = 0;
  private readonly cursor = new MsgpackCursor();
  private lastIndexSlot = 0;
  private chunkMapSlot = 0;

  bind(slotOf: (type: number, field: string) => number): void {
    this.lastIndexSlot = slotOf(HEADER_TYPE, 'LastIndex');
    this.chunkMapSlot = slotOf(MESSAGE_TYPES.chunkingState, 'ChunkMap');
  }

  onRecord(type: number, _size: number, record: CapturedRecord): void {
    if (type === HEADER_TYPE) this.lastIndex = fieldCursor(record, this.lastIndexSlot, this.cursor)?.readUint('LastIndex') ?? 0;
    else this.chunkingInFlight += fieldCursor(record, this.chunkMapSlot, this.cursor)?.readMapLength('ChunkMap') ?? 0;
  }
}
