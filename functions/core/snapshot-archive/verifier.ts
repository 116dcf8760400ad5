import { createHash } from 'node:crypto';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveDefect, SnapshotVerificationError, SnapshotVerifyAbortedError } from './errors';
import type { SnapshotMeta } from './meta';
import { GoGzipReader } from './gzip';
import { ConsulArchiveReader } from './reader';
import type { StateBinSink } from './state-sink';

/**
 * Consul snapshot archives: `gzip(tar(meta.json, state.bin, SHA256SUMS))`, verified exactly as Consul's
 * `snapshot.Read` (+ raft's size check) does on `PUT /v1/snapshot`, and written as Consul's `snapshot.New` does.
 * Streaming throughout: memory is O(1) in the snapshot size (only meta.json and SHA256SUMS are buffered, capped).
 *
 * Checked differentially against Go (compress/gzip, archive/tar, encoding/json, fmt.Sscanf running Consul's `read`):
 * same text for every constructed defect, every truncation offset and fuzzed meta.json / SHA256SUMS lines. Known
 * divergences, all on damaged archives: when the deflate data itself is corrupt, the symptom can differ (zlib drops
 * the output of the chunk in which it detects the damage, and does not say where: `flate: corrupt input before
 * offset N` gives an upper bound for N); a missing SUMS line is reported for meta.json before state.bin (Go picks at
 * random); sparse tar entries are read as plain data.
 */

/** What a successful verification established. */
export interface VerifiedSnapshot {
  meta: SnapshotMeta;
  /** sha256 (hex) of meta.json's bytes, as listed in SHA256SUMS. */
  metaSha256: string;
  /** sha256 (hex) of state.bin's bytes, as listed in SHA256SUMS. */
  stateSha256: string;
  stateBytes: number;
  /** sha256 (hex) of the whole archive bytes as received (what S3 stores). */
  archiveSha256: string;
  archiveBytes: number;
}

/** The default cap on the bytes of meta.json and of SHA256SUMS (each ~300 bytes in real archives). */
export const DEFAULT_MAX_SMALL_ENTRY_BYTES = 1024 * 1024;

/**
 * A pass-through Transform: emits the archive bytes unchanged and verifies them on the fly. Its flush, hence its
 * 'end', completes only after full verification succeeded; on any defect it errors with
 * {@link SnapshotVerificationError} and never ends. `result` resolves with the {@link VerifiedSnapshot}, or rejects
 * with the same error the stream emits (or with the error it was destroyed with). So a consumer such as an S3
 * multipart upload can only complete for a verified archive.
 */
export interface SnapshotVerifier extends Transform {
  readonly result: Promise<VerifiedSnapshot>;
}

/** Options of {@link createSnapshotVerifier}. */
export interface SnapshotVerifierOptions {
  /**
   * Cap on the bytes of meta.json and of SHA256SUMS, the only entries buffered.
   * @default 1048576 (1 MiB)
   */
  readonly maxSmallEntryBytes?: number;
  /**
   * Receives the decompressed state.bin bytes in the same pass (e.g. the state.bin decoder), so they are read once.
   * @default - none
   */
  readonly stateSink?: StateBinSink;
}

/**
 * Creates a verifier to put in a stream pipeline.
 *
 * @example
 * const verifier = createSnapshotVerifier();
 * pipeline(consulBody, verifier, () => undefined);
 * await s3.upload({ Body: verifier }); // completes only if the archive verified
 * const { archiveSha256, meta } = await verifier.result;
 */
export function createSnapshotVerifier(options: SnapshotVerifierOptions = {}): SnapshotVerifier {
  return new SnapshotVerifierStream(options.maxSmallEntryBytes ?? DEFAULT_MAX_SMALL_ENTRY_BYTES, options.stateSink);
}

/**
 * Consumes a stream and verifies it (restore's verify-first pass, `consul-ops verify`). Rejects with
 * {@link SnapshotVerificationError} for a defective archive, or with the source's own error.
 */
export async function verifySnapshotStream(source: Readable | AsyncIterable<Uint8Array>, options: SnapshotVerifierOptions = {}): Promise<VerifiedSnapshot> {
  const verifier = createSnapshotVerifier(options);
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  // Any pipeline failure destroys the verifier, which settles `result`; its error is the one to report.
  await pipeline(source, verifier, discard).catch(() => undefined);
  return verifier.result;
}

class SnapshotVerifierStream extends Transform implements SnapshotVerifier {
  readonly result: Promise<VerifiedSnapshot>;
  private resolveResult!: (value: VerifiedSnapshot) => void;
  private rejectResult!: (reason: unknown) => void;
  private settled = false;
  private readonly archiveHash = createHash('sha256');
  private archiveBytes = 0;
  private readonly reader: ConsulArchiveReader;
  private readonly gzip: GoGzipReader;

  constructor(maxSmallEntryBytes: number, stateSink: StateBinSink | undefined) {
    super();
    this.result = new Promise<VerifiedSnapshot>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // Consumers that only watch the stream must not get an unhandled rejection; awaiting `result` still throws.
    this.result.catch(() => undefined);
    this.reader = new ConsulArchiveReader(maxSmallEntryBytes, stateSink);
    this.gzip = new GoGzipReader(this.reader);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) return callback();
    this.archiveHash.update(chunk);
    this.archiveBytes += chunk.length;
    this.push(chunk);
    this.gzip.write(chunk).then(
      () => callback(),
      (err: unknown) => callback(this.fail(err)),
    );
  }

  override _flush(callback: TransformCallback): void {
    this.gzip
      .end()
      .then(() => this.reader.contents())
      .then(
        (contents) => {
          this.settled = true;
          this.resolveResult({ ...contents, archiveSha256: this.archiveHash.digest('hex'), archiveBytes: this.archiveBytes });
          callback();
        },
        (err: unknown) => callback(this.fail(err)),
      );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.gzip.destroy();
    if (!this.settled) this.fail(err ?? new SnapshotVerifyAbortedError());
    callback(err);
  }

  /** Settles `result` with the error (once) and returns what the stream errors with. */
  private fail(err: unknown): Error {
    const error =
      err instanceof ArchiveDefect
        ? new SnapshotVerificationError(err.defect, err.consulMessage, err.message)
        : err instanceof Error
          ? err
          : new Error(String(err));
    this.gzip.destroy();
    if (!this.settled) {
      this.settled = true;
      this.rejectResult(error);
    }
    return error;
  }
}
