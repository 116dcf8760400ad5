import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import { crc32, createDeflateRaw } from 'node:zlib';
import { ConsulOpsError, InvalidInputError } from '../../functions/core/shared/errors';
import type { SnapshotMeta } from '../../functions/core/snapshot-archive';
import { goGzipHeader } from '../../functions/core/snapshot-archive';
import { encodeSnapshotMeta } from '../../functions/core/snapshot-archive';
import { encodeTarHeader, TAR_MAX_USTAR_SIZE, tarPadding } from '../../functions/core/snapshot-archive';

/** A file SHA256SUMS has a line for. */
export type SnapshotFileName = 'meta.json' | 'state.bin';
/** A tar entry of a snapshot archive. */
export type ArchiveEntryName = SnapshotFileName | 'SHA256SUMS';

/**
 * Knobs that make {@link writeSnapshotArchive} produce a DEFECTIVE archive, for tests and the simulator's fault
 * injection. Each says what Consul answers to `PUT /v1/snapshot` with such an archive (before the usual
 * `failed to read snapshot file: failed checking integrity of snapshot: ` prefix where one applies).
 */
export interface ArchiveDefects {
  /** Hex digest written for meta.json in SHA256SUMS instead of the real one: `hash check failed for "meta.json"`. */
  readonly metaDigest?: string;
  /** Hex digest written for state.bin instead of the real one: `hash check failed for "state.bin"`. */
  readonly stateDigest?: string;
  /** Files whose SHA256SUMS line is left out: `file missing for "<name>"`. */
  readonly omitSumsLines?: readonly SnapshotFileName[];
  /**
   * Raw lines appended to SHA256SUMS (each gets a `\n`): `` `${hex}  other.bin` `` gives
   * `list missing hash for "other.bin"`, `'zz'` gives `no hex data for %x string`.
   */
  readonly extraSumsLines?: readonly string[];
  /** Write no SHA256SUMS entry at all: `file missing for "meta.json"`. */
  readonly omitSums?: boolean;
  /** meta.json bytes to write instead of the encoded metadata; its SUMS digest still matches, so decoding fails. */
  readonly metaJson?: string | Buffer;
  /** `Size` written in meta.json instead of the real state.bin size: raft's `size didn't match`. */
  readonly metaSize?: number;
  /** Tar entries written after the regular ones: `unexpected file "<name>" in snapshot`. */
  readonly extraEntries?: ReadonlyArray<{ readonly name: string; readonly data: Buffer }>;
  /** Leave out the two zero blocks that end the tar. Not a defect for Consul: Go's tar reader accepts it. */
  readonly omitTarEnd?: boolean;
  /** Bytes after the tar end, inside the gzip member: `<n> unread uncompressed bytes remain`. */
  readonly trailingUncompressed?: Buffer;
  /** Corrupt the gzip trailer's CRC-32 or ISIZE: `gzip: invalid checksum`. */
  readonly badTrailer?: 'crc' | 'size';
  /**
   * Bytes after the gzip member: `gzip: invalid header` (10 bytes or more), `unexpected EOF` (fewer); a further gzip
   * member holding data gives `<n> unread uncompressed bytes remain`.
   */
  readonly trailingCompressed?: Buffer;
}

/** Options of {@link writeSnapshotArchive}. */
export interface WriteArchiveOptions {
  /**
   * ModTime of every tar entry (Consul uses the time of the save).
   * @default - the Unix epoch
   */
  readonly mtime?: Date;
  /**
   * Deflate level, 0-9. For big synthetic archives prefer 1 (or 0): zlib at 6 is slow on random-looking data.
   * @default 6 (Go's gzip.DefaultCompression)
   */
  readonly gzipLevel?: number;
  /**
   * Order of the SHA256SUMS lines. Normally both files, once each.
   * @default - random per archive, like Go's map iteration order
   */
  readonly sumsOrder?: readonly SnapshotFileName[];
  /**
   * Order of the tar entries. SHA256SUMS may come before state.bin only when the state is a Buffer (its digest must
   * be known before it is streamed) or `defects.stateDigest` is set.
   * @default ['meta.json', 'state.bin', 'SHA256SUMS'] (Consul's order)
   */
  readonly entryOrder?: readonly ArchiveEntryName[];
  /**
   * Defects to build in.
   * @default - none: a valid archive
   */
  readonly defects?: ArchiveDefects;
}

/** The state.bin input: bytes in memory, or a stream of exactly `size` bytes. */
export type SnapshotStateInput = { readonly size: number; readonly stream: Readable } | Buffer;

const TAR_MODE = 0o600;
const STATE_SLICE = 1024 * 1024;

/**
 * Builds `gzip(tar(meta.json, state.bin, SHA256SUMS))` as a stream, framed like Go's `gzip.Writer` and tarred like
 * Go's `tar.Writer`. state.bin is streamed and hashed on the way, which is why SHA256SUMS comes last; memory stays
 * O(1) in the state size. meta.json's `Size` is the state size. Errors (e.g. the state stream ends early) destroy
 * the returned stream with the error; conflicting options throw an `InvalidInputError` right away.
 *
 * @example
 * const archive = writeSnapshotArchive({ meta, state: { size, stream } }, { mtime: now });
 */
export function writeSnapshotArchive(
  input: { meta: Omit<SnapshotMeta, 'Size'>; state: SnapshotStateInput },
  options: WriteArchiveOptions = {},
): Readable {
  const level = options.gzipLevel ?? 6;
  const defects = options.defects ?? {};
  const chunks = tarChunks(input, options, defects);
  let crc = 0;
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = crc32(chunk, crc);
      size = (size + chunk.length) >>> 0;
      callback(null, chunk);
    },
  });
  const framer = new Transform({
    transform: (chunk: Buffer, _encoding, callback) => callback(null, chunk),
    flush(callback) {
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE((defects.badTrailer === 'crc' ? crc ^ 1 : crc) >>> 0, 0);
      trailer.writeUInt32LE((defects.badTrailer === 'size' ? size + 1 : size) >>> 0, 4);
      this.push(trailer);
      if (defects.trailingCompressed !== undefined) this.push(defects.trailingCompressed);
      callback();
    },
  });
  framer.push(goGzipHeader(level));
  // pipeline destroys `framer` with any error, so the consumer sees it.
  pipeline(Readable.from(chunks, { objectMode: false }), tap, createDeflateRaw({ level }), framer, () => undefined);
  return framer;
}

/** The tar stream, built lazily; option conflicts throw here, synchronously. */
function tarChunks(
  input: { meta: Omit<SnapshotMeta, 'Size'>; state: SnapshotStateInput },
  options: WriteArchiveOptions,
  defects: ArchiveDefects,
): AsyncGenerator<Buffer> {
  const state = Buffer.isBuffer(input.state) ? { size: input.state.length, buffer: input.state } : input.state;
  const order = options.entryOrder ?? ['meta.json', 'state.bin', 'SHA256SUMS'];
  if (state.size > TAR_MAX_USTAR_SIZE) {
    throw new InvalidInputError('state.size', 'is over 8 GiB, which this writer does not support', '1073741824');
  }
  const stateDigestKnown = 'buffer' in state || defects.stateDigest !== undefined;
  if (!stateDigestKnown && order.indexOf('SHA256SUMS') >= 0 && order.indexOf('SHA256SUMS') < order.indexOf('state.bin')) {
    throw new InvalidInputError('entryOrder', 'puts SHA256SUMS before a streamed state.bin', "['meta.json', 'state.bin', 'SHA256SUMS']");
  }
  const meta = defects.metaJson ?? encodeSnapshotMeta({ ...input.meta, Size: defects.metaSize ?? state.size });
  const metaBytes = Buffer.isBuffer(meta) ? meta : Buffer.from(meta, 'utf8');
  const mtime = options.mtime ?? new Date(0);
  const stateHash = createHash('sha256');
  if ('buffer' in state) stateHash.update(state.buffer);
  const sumsOrder = options.sumsOrder ?? (Math.random() < 0.5 ? ['meta.json', 'state.bin'] : ['state.bin', 'meta.json']);

  const entry = (name: string, data: Buffer): Buffer[] => [
    encodeTarHeader({ name, size: data.length, mode: TAR_MODE, mtime }),
    data,
    Buffer.alloc(tarPadding(data.length)),
  ];
  const sums = (): Buffer => {
    const digests: Record<SnapshotFileName, string> = {
      'meta.json': defects.metaDigest ?? createHash('sha256').update(metaBytes).digest('hex'),
      'state.bin': defects.stateDigest ?? stateHash.copy().digest('hex'),
    };
    const lines = sumsOrder.filter((f) => !defects.omitSumsLines?.includes(f)).map((f) => `${digests[f]}  ${f}`);
    return Buffer.from([...lines, ...(defects.extraSumsLines ?? [])].map((l) => `${l}\n`).join(''), 'utf8');
  };

  async function* generate(): AsyncGenerator<Buffer> {
    for (const name of order) {
      if (name === 'meta.json') yield* entry(name, metaBytes);
      else if (name === 'SHA256SUMS') {
        if (!defects.omitSums) yield* entry(name, sums());
      } else {
        yield encodeTarHeader({ name, size: state.size, mode: TAR_MODE, mtime });
        if ('buffer' in state) {
          for (let at = 0; at < state.size; at += STATE_SLICE) yield state.buffer.subarray(at, at + STATE_SLICE);
        } else yield* streamState(state, stateHash);
        yield Buffer.alloc(tarPadding(state.size));
      }
    }
    for (const extra of defects.extraEntries ?? []) yield* entry(extra.name, extra.data);
    if (!defects.omitTarEnd) yield Buffer.alloc(1024);
    if (defects.trailingUncompressed !== undefined) yield defects.trailingUncompressed;
  }
  return generate();
}

/** Copies exactly `size` bytes of the state stream, hashing them; any other length is an error. */
async function* streamState(state: { size: number; stream: Readable }, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of state.stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    seen += bytes.length;
    if (seen > state.size) break;
    hash.update(bytes);
    yield bytes;
  }
  if (seen !== state.size) {
    throw new ConsulOpsError(
      'SNAPSHOT_STATE_SIZE_MISMATCH',
      seen > state.size
        ? `state.bin stream gave more than the ${state.size} bytes announced`
        : `state.bin stream ended after ${seen} of the ${state.size} bytes announced`,
      'Pass the exact byte length of the state stream as state.size (raft SnapshotMeta.Size).',
      { context: { expectedBytes: state.size } },
    );
  }
}
