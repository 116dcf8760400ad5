import { createHash, type Hash } from 'node:crypto';
import type { SnapshotMeta } from './meta';
import { ArchiveDefect, SNAPSHOT_DEFECTS, UNEXPECTED_EOF, type GoReadError } from './errors';
import type { StateBinSink } from './state-sink';
import type { DecompressedSink } from './gzip';
import { decodeSnapshotMeta } from './meta';
import { checkSums, goQuote } from './sums';
import {
  isZeroBlock,
  parsePaxRecords,
  parseTarHeader,
  TAR_BLOCK,
  TAR_FIELD_TOO_LONG,
  TAR_INVALID_HEADER,
  TAR_MAX_SPECIAL_FILE,
  tarPadding,
  type PaxOverrides,
} from './tar';

/**
 * Consul's `snapshot.Read` over the decompressed bytes, as a push parser: the tar loop of `archive.go` `read()`
 * (Go `archive/tar` semantics), `hashList.DecodeAndVerify`, `concludeGzipRead`, then raft's size check. Errors carry
 * the exact text Consul returns, decided by where in the archive the reader is when a defect or read error occurs.
 */

/** What a successful read yields (before the archive-level digest, which the caller owns). */
export interface ArchiveContents {
  readonly meta: SnapshotMeta;
  readonly metaSha256: string;
  readonly stateSha256: string;
  readonly stateBytes: number;
}

type EntryKind = 'meta.json' | 'state.bin' | 'SHA256SUMS' | 'pax' | 'pax-global' | 'gnu-name' | 'gnu-link';
interface Entry {
  readonly kind: EntryKind;
  readonly name: string;
  remaining: number;
  readonly size: number;
  readonly parts: Buffer[];
}

const PREFIX = 'failed to read snapshot file: ';
/** Consul's wrapping of a read error inside each entry it copies (archive.go). */
const DATA_ERROR_PREFIX: Partial<Record<EntryKind, string>> = {
  'meta.json': 'failed to read snapshot metadata: ',
  'state.bin': 'failed to read or write snapshot data: ',
  SHA256SUMS: 'failed to read snapshot hashes: ',
};

/** Reads one archive's decompressed bytes. Feed it through {@link GoGzipReader}; then {@link contents}. */
export class ConsulArchiveReader implements DecompressedSink {
  private phase: 'header' | 'zero' | 'data' | 'pad' | 'done' = 'header';
  private readonly block = Buffer.alloc(TAR_BLOCK);
  private fill = 0;
  private entry?: Entry;
  /** Set when the last byte consumed was the last byte of this entry's data (see {@link fail}). */
  private endedEntry?: EntryKind;
  private pad = 0;
  private pax?: PaxOverrides;
  private gnuLongName?: string;
  private readonly metaHash: Hash = createHash('sha256');
  private readonly stateHash: Hash = createHash('sha256');
  private stateBytes = 0;
  private meta: SnapshotMeta = ZERO_META;
  private readonly sums: Buffer[] = [];
  private sumsBytes = 0;
  private unread = 0;
  private result?: ArchiveContents;

  /**
   * @param maxSmallEntryBytes cap on buffered meta.json and SHA256SUMS bytes (Consul has none).
   * @param stateSink receives state.bin's bytes as they are read (views, no copy).
   */
  constructor(
    private readonly maxSmallEntryBytes: number,
    private readonly stateSink?: StateBinSink,
  ) {}

  /** The verified contents, once {@link end} succeeded. */
  contents(): ArchiveContents {
    if (this.result === undefined) throw new Error('snapshot archive read is not complete');
    return this.result;
  }

  data(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      this.endedEntry = undefined;
      if (this.phase === 'done') {
        this.unread += chunk.length - at;
        return;
      }
      if (this.phase === 'data') at += this.takeData(chunk, at);
      else if (this.phase === 'pad') {
        const n = Math.min(this.pad, chunk.length - at);
        this.pad -= n;
        at += n;
        if (this.pad === 0) this.phase = 'header';
      } else {
        const n = Math.min(TAR_BLOCK - this.fill, chunk.length - at);
        chunk.copy(this.block, this.fill, at, at + n);
        this.fill += n;
        at += n;
        if (this.fill === TAR_BLOCK) this.takeBlock();
      }
    }
  }

  fail(error: GoReadError): never {
    if (this.phase === 'done') throw new ArchiveDefect(error.defect, error.text);
    // Go returns a read error together with the last bytes before it, so whoever read the last byte gets the error:
    // an entry's reader when that byte ended its data (header blocks are read with io.ReadFull, which drops it).
    const reader = this.phase === 'data' ? (this.entry as Entry).kind : this.endedEntry;
    const prefix = (reader !== undefined && DATA_ERROR_PREFIX[reader]) || 'failed reading snapshot: ';
    throw new ArchiveDefect(error.defect, `${PREFIX}${prefix}${error.text}`);
  }

  end(): void {
    const truncated = { text: UNEXPECTED_EOF, defect: SNAPSHOT_DEFECTS.truncated };
    // Go's tar reader takes a clean EOF at a block boundary (or inside padding) as the end of the archive.
    if (this.phase === 'data' || ((this.phase === 'header' || this.phase === 'zero') && this.fill > 0)) this.fail(truncated);
    if (this.phase !== 'done') this.finishTar();
    if (this.unread > 0) {
      throw new ArchiveDefect(SNAPSHOT_DEFECTS.trailingData, `${this.unread} unread uncompressed bytes remain`);
    }
    // Consul itself does not compare Size with state.bin; raft's Restore does, after copying state.bin, and Consul
    // wraps that error. So this is the last check, with the text PUT /v1/snapshot answers.
    if (this.meta.Size !== this.stateBytes) {
      throw new ArchiveDefect(
        SNAPSHOT_DEFECTS.sizeMismatch,
        `Raft error when restoring snapshot: failed to write snapshot, size didn't match (${this.stateBytes} != ${this.meta.Size})`,
      );
    }
    this.result = {
      meta: this.meta,
      metaSha256: this.metaHash.digest('hex'),
      stateSha256: this.stateHash.digest('hex'),
      stateBytes: this.stateBytes,
    };
  }

  private takeBlock(): void {
    this.fill = 0;
    const zero = isZeroBlock(this.block);
    if (this.phase === 'zero') {
      if (!zero) this.invalidHeader();
      return this.finishTar();
    }
    if (zero) {
      this.phase = 'zero';
      return;
    }
    const header = parseTarHeader(this.block);
    if (header === undefined) this.invalidHeader();
    const special = SPECIAL_TYPES[header.typeflag];
    if (special !== undefined) return this.startEntry(special, header.name, header.size);
    let size = header.size;
    let name = header.name;
    if (this.pax !== undefined) ({ path: name = name, size = size } = this.pax);
    if (header.dataless) size = 0;
    if (this.gnuLongName !== undefined) name = this.gnuLongName;
    this.pax = undefined;
    this.gnuLongName = undefined;
    this.dispatch(name, size);
  }

  /** Consul's `switch hdr.Name`. */
  private dispatch(name: string, size: number): void {
    if (name !== 'meta.json' && name !== 'state.bin' && name !== 'SHA256SUMS') {
      throw new ArchiveDefect(
        SNAPSHOT_DEFECTS.unexpectedFile,
        `${PREFIX}unexpected file ${goQuote(name, 'latin1')} in snapshot`,
      );
    }
    if (name !== 'state.bin' && size > this.maxSmallEntryBytes - (name === 'SHA256SUMS' ? this.sumsBytes : 0)) {
      throw new ArchiveDefect(
        SNAPSHOT_DEFECTS.entryTooLarge,
        undefined,
        `${name} is ${size} bytes, over this verifier's ${this.maxSmallEntryBytes}-byte limit for meta.json and SHA256SUMS`,
      );
    }
    this.startEntry(name, name, size);
  }

  private startEntry(kind: EntryKind, name: string, size: number): void {
    this.entry = { kind, name, size, remaining: size, parts: [] };
    this.phase = 'data';
    if (size === 0) this.finishEntry();
  }

  private takeData(chunk: Buffer, at: number): number {
    const entry = this.entry as Entry;
    const n = Math.min(entry.remaining, chunk.length - at);
    const piece = chunk.subarray(at, at + n);
    entry.remaining -= n;
    if (entry.kind === 'state.bin') {
      this.stateHash.update(piece);
      this.stateBytes += n;
      this.stateSink?.write(piece);
    } else {
      if (entry.kind === 'meta.json') this.metaHash.update(piece);
      entry.parts.push(Buffer.from(piece));
      // Go's readSpecialFile reads at most 1 MiB of a PAX or long-name record (meta.json and SUMS were capped above).
      if (entry.size - entry.remaining > TAR_MAX_SPECIAL_FILE) this.fail({ text: TAR_FIELD_TOO_LONG, defect: SNAPSHOT_DEFECTS.corrupt });
    }
    if (entry.remaining === 0) this.finishEntry();
    return n;
  }

  private finishEntry(): void {
    const entry = this.entry as Entry;
    if (entry.kind === 'state.bin') this.stateSink?.end();
    const data = Buffer.concat(entry.parts);
    if (entry.kind === 'meta.json') this.decodeMeta(data);
    else if (entry.kind === 'SHA256SUMS') {
      this.sums.push(data);
      this.sumsBytes += data.length;
    } else if (entry.kind === 'gnu-name') this.gnuLongName = data.toString('latin1').split('\0')[0];
    else if (entry.kind === 'pax' || entry.kind === 'pax-global') {
      const records = parsePaxRecords(data);
      if (records === undefined) this.invalidHeader();
      if (entry.kind === 'pax') this.pax = records;
      // A global header is returned to Consul as an entry of its own, with no data left to read.
      else this.dispatch(records.path ?? entry.name, 0);
    }
    // Set last: a global PAX header dispatches a nested (empty) entry above, whose padding is not this one's.
    if (entry.size > 0) this.endedEntry = entry.kind;
    this.pad = tarPadding(entry.size);
    this.phase = this.pad > 0 ? 'pad' : 'header';
  }

  private decodeMeta(data: Buffer): void {
    try {
      this.meta = decodeSnapshotMeta(data);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      throw new ArchiveDefect(SNAPSHOT_DEFECTS.badMetadata, `${PREFIX}failed to decode snapshot metadata: ${text}`);
    }
  }

  private finishTar(): void {
    this.phase = 'done';
    // Map order decides which missing file is reported first: meta.json (Go's map order is random).
    const digests = new Map([
      ['meta.json', this.metaHash.copy().digest()],
      ['state.bin', this.stateHash.copy().digest()],
    ]);
    const problem = checkSums(Buffer.concat(this.sums), digests);
    if (problem === undefined) return;
    const defect = problem.startsWith('hash check failed')
      ? SNAPSHOT_DEFECTS.hashMismatch
      : problem.startsWith('file missing')
        ? SNAPSHOT_DEFECTS.fileMissing
        : SNAPSHOT_DEFECTS.badSums;
    throw new ArchiveDefect(defect, `${PREFIX}failed checking integrity of snapshot: ${problem}`);
  }

  private invalidHeader(): never {
    return this.fail({ text: TAR_INVALID_HEADER, defect: SNAPSHOT_DEFECTS.corrupt });
  }
}

/** Tar entries Go's reader consumes itself (PAX records, GNU long names) rather than returning them. */
const SPECIAL_TYPES: Record<string, EntryKind | undefined> = { x: 'pax', g: 'pax-global', L: 'gnu-name', K: 'gnu-link' };

const ZERO_META: SnapshotMeta = {
  Version: 0,
  ID: '',
  Index: 0,
  Term: 0,
  Peers: '',
  Configuration: { Servers: [] },
  ConfigurationIndex: 0,
  Size: 0,
};
