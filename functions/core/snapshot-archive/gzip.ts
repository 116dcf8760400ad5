import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';
import { ArchiveDefect, SNAPSHOT_DEFECTS, UNEXPECTED_EOF, type GoReadError } from './errors';

/**
 * A streaming gzip reader with the semantics of Go's `compress/gzip.Reader` as Consul uses it (multistream, the
 * default): the gzip container (header, CRC-32/ISIZE trailer, member boundaries) is parsed here, and zlib only
 * inflates each member's raw deflate body.
 *
 * Why not `zlib.createGunzip()`: Node silently ignores trailing zero bytes, skips garbage in some cases and joins
 * members on its own, so it cannot tell `gzip: invalid header` from a clean end. Here every input byte is accounted
 * for: `InflateRaw.bytesWritten` says exactly where each deflate body ends.
 */

/** Receives what Go's `gzip.Reader.Read` returns. */
export interface DecompressedSink {
  /** Decompressed bytes, in order. May throw an {@link ArchiveDefect} to stop. */
  data(chunk: Buffer): void;
  /** A read error at the current position; throws the {@link ArchiveDefect} it maps to. */
  fail(error: GoReadError): never;
  /** Clean `io.EOF` after the last member. May throw. */
  end(): void;
}

const GZIP_FLAG_HCRC = 0x02;
const GZIP_FLAG_EXTRA = 0x04;
const GZIP_FLAG_NAME = 0x08;
const GZIP_FLAG_COMMENT = 0x10;
/** Go's `z.buf` is 512 bytes: a header string (with its NUL) longer than that is `gzip: invalid header`. */
const GZIP_MAX_STRING = 512;
const INVALID_HEADER = 'gzip: invalid header';

type HeaderParse = { readonly kind: 'need' } | { readonly kind: 'bad' } | { readonly kind: 'ok'; readonly length: number };

/** Parses a gzip member header the way Go's `readHeader` does (reserved flag bits are ignored, as in Go). */
export function parseGzipHeader(b: Buffer): HeaderParse {
  const need = { kind: 'need' } as const;
  if (b.length < 10) return need;
  if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) return { kind: 'bad' };
  const flags = b[3];
  let p = 10;
  if (flags & GZIP_FLAG_EXTRA) {
    if (b.length < p + 2) return need;
    p += 2 + b.readUInt16LE(p);
    if (b.length < p) return need;
  }
  for (const flag of [GZIP_FLAG_NAME, GZIP_FLAG_COMMENT]) {
    if (!(flags & flag)) continue;
    const nul = b.subarray(p, p + GZIP_MAX_STRING).indexOf(0);
    if (nul < 0) return b.length - p >= GZIP_MAX_STRING ? { kind: 'bad' } : need;
    p += nul + 1;
  }
  if (flags & GZIP_FLAG_HCRC) {
    if (b.length < p + 2) return need;
    if ((crc32(b.subarray(0, p)) & 0xffff) !== b.readUInt16LE(p)) return { kind: 'bad' };
    p += 2;
  }
  return { kind: 'ok', length: p };
}

/**
 * Feeds compressed bytes, one chunk at a time (await each {@link write}), then {@link end}. Errors surface as
 * {@link ArchiveDefect}s thrown by the sink, or directly for the first member's header (Go's `gzip.NewReader`).
 */
export class GoGzipReader {
  private phase: 'header' | 'body' | 'trailer' = 'header';
  private members = 0;
  private pending: Buffer = Buffer.alloc(0);
  private inflater?: MemberInflater;
  private crc = 0;
  private size = 0;

  /** @param inflateChunkBytes zlib's output chunk size (larger chunks: fewer callbacks and allocations). */
  constructor(
    private readonly sink: DecompressedSink,
    private readonly inflateChunkBytes = 64 * 1024,
  ) {}

  /** Processes one chunk; resolves once all of it is consumed and its output delivered to the sink. */
  async write(chunk: Buffer): Promise<void> {
    let rest: Buffer | undefined = chunk;
    while (rest !== undefined && rest.length > 0) {
      if (this.phase === 'header') rest = this.takeHeader(rest);
      else if (this.phase === 'trailer') rest = this.takeTrailer(rest);
      else rest = await this.inflateSome(rest);
    }
  }

  /** The compressed input ended. */
  async end(): Promise<void> {
    if (this.phase === 'header') {
      if (this.pending.length === 0 && this.members > 0) return this.sink.end();
      return this.headerError(this.pending.length === 0 ? 'EOF' : UNEXPECTED_EOF);
    }
    // Mid-body or mid-trailer: flate or the trailer read hits EOF, which Go reports as io.ErrUnexpectedEOF. Output
    // still waiting is read first: a defect in it comes before the end of the input.
    this.inflater?.drain();
    const failure = this.inflater?.failure;
    this.destroy();
    if (failure !== undefined) throw failure;
    this.sink.fail({ text: UNEXPECTED_EOF, defect: SNAPSHOT_DEFECTS.truncated });
  }

  /** Releases the zlib handle (after a failure or an abort). */
  destroy(): void {
    this.inflater?.destroy();
    this.inflater = undefined;
  }

  private takeHeader(chunk: Buffer): Buffer | undefined {
    const all = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const parsed = parseGzipHeader(all);
    if (parsed.kind === 'need') {
      // A copy: the caller may reuse the chunk's memory once this write resolved.
      this.pending = Buffer.from(all);
      return undefined;
    }
    if (parsed.kind === 'bad') return this.headerError(INVALID_HEADER);
    this.pending = Buffer.alloc(0);
    this.members += 1;
    this.crc = 0;
    this.size = 0;
    this.phase = 'body';
    this.inflater = new MemberInflater((data) => {
      this.crc = crc32(data, this.crc);
      this.size = (this.size + data.length) >>> 0;
      this.sink.data(data);
    }, this.sink, this.inflateChunkBytes);
    return all.subarray(parsed.length);
  }

  private headerError(text: string): never {
    // The first header is read by gzip.NewReader, before the tar loop: Consul prefixes it. A later header is read
    // inside Read (multistream), so it reaches whoever reads at that point: mostly concludeGzipRead, unprefixed.
    if (this.members === 0) {
      const defect = text === UNEXPECTED_EOF ? SNAPSHOT_DEFECTS.truncated : SNAPSHOT_DEFECTS.notGzip;
      throw new ArchiveDefect(defect, `failed to decompress snapshot: ${text}`);
    }
    return this.sink.fail({ text, defect: SNAPSHOT_DEFECTS.trailingData });
  }

  private async inflateSome(chunk: Buffer): Promise<Buffer | undefined> {
    const inflater = this.inflater as MemberInflater;
    const leftover = await inflater.feed(chunk);
    if (leftover === undefined) return undefined;
    this.inflater = undefined;
    this.phase = 'trailer';
    return leftover;
  }

  private takeTrailer(chunk: Buffer): Buffer | undefined {
    const all = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (all.length < 8) {
      this.pending = Buffer.from(all);
      return undefined;
    }
    if (all.readUInt32LE(0) !== this.crc || all.readUInt32LE(4) !== this.size) {
      this.sink.fail({ text: 'gzip: invalid checksum', defect: SNAPSHOT_DEFECTS.corrupt });
    }
    this.pending = Buffer.alloc(0);
    this.phase = 'header';
    return all.subarray(8);
  }
}

/** Inflated bytes waiting for the main thread beyond this are processed before the next chunk is fed. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/**
 * One member's raw-deflate body, inflated by zlib; tells where the body ended in the fed bytes.
 *
 * zlib inflates on libuv's thread pool. Its output is processed (CRC-32, the tar reader, the SHA-256s) on the next
 * turn of the event loop rather than inside zlib's callback, so that the thread pool already inflates the next
 * chunk meanwhile: inflating and hashing overlap on two cores instead of taking turns. Before anything depends on
 * the output (a member's end, an error, the end of input) the backlog is processed in order, so the reader sees
 * exactly the same bytes at the same positions as without the overlap.
 */
class MemberInflater {
  private readonly zlib: InflateRaw;
  private readonly ended: Promise<void>;
  private fed = 0;
  private failed: unknown;
  private rejectFeed?: (err: unknown) => void;
  private readonly backlog: Buffer[] = [];
  private backlogBytes = 0;
  private drainScheduled = false;

  constructor(
    private readonly onData: (data: Buffer) => void,
    sink: DecompressedSink,
    chunkSize: number,
  ) {
    this.zlib = createInflateRaw({ chunkSize });
    this.ended = new Promise((resolve) => this.zlib.once('end', resolve));
    this.zlib.on('data', (data: Buffer) => {
      if (this.failed !== undefined) return;
      this.backlog.push(data);
      this.backlogBytes += data.length;
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(() => {
          this.drainScheduled = false;
          this.drain();
        });
      }
    });
    this.zlib.on('error', () => {
      // The output zlib delivered before it detected the damage is read first, as Go's reader would.
      this.drain();
      if (this.failed !== undefined) return;
      // zlib does not expose where it detected the damage: the offset is an upper bound (end of the fed bytes).
      try {
        sink.fail({ text: `flate: corrupt input before offset ${this.fed}`, defect: SNAPSHOT_DEFECTS.corrupt });
      } catch (defect) {
        this.fail(defect);
      }
    });
  }

  /** The error that stopped this member (from the sink, or zlib's), if any. */
  get failure(): unknown {
    return this.failed;
  }

  /** Processes the inflated bytes still waiting, in order. */
  drain(): void {
    while (this.backlog.length > 0 && this.failed === undefined) {
      const data = this.backlog.shift() as Buffer;
      this.backlogBytes -= data.length;
      try {
        this.onData(data);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /** Inflates `chunk`; resolves with the bytes after the deflate end (undefined while the body goes on). */
  feed(chunk: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      if (this.failed !== undefined) return reject(this.failed);
      this.rejectFeed = reject;
      const before = this.zlib.bytesWritten;
      this.fed += chunk.length;
      this.zlib.write(chunk, () => {
        if (this.backlogBytes > MAX_BACKLOG_BYTES) this.drain();
        if (this.failed !== undefined) return reject(this.failed);
        // zlib consumes all input unless the deflate stream ended; then Node ends the readable side.
        const consumed = this.zlib.bytesWritten - before;
        if (consumed >= chunk.length) return resolve(undefined);
        this.ended.then(() => {
          this.drain();
          return this.failed === undefined ? resolve(chunk.subarray(consumed)) : reject(this.failed);
        });
      });
    });
  }

  destroy(): void {
    this.backlog.length = 0;
    this.zlib.destroy();
  }

  private fail(err: unknown): void {
    if (this.failed !== undefined) return;
    this.failed = err;
    this.backlog.length = 0;
    this.zlib.destroy();
    this.rejectFeed?.(err);
  }
}

/** Go's `gzip.Writer` header: no name/comment/mtime, XFL by level, OS 255 (unknown). */
export function goGzipHeader(level: number): Buffer {
  const xfl = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 0xff]);
}
