import { createHash } from 'node:crypto';
import { ArchiveDefect, SnapshotVerificationError, SnapshotVerifyAbortedError } from './errors';
import { GoGzipReader } from './gzip';
import type { SnapshotMeta } from './meta';
import { ConsulArchiveReader } from './reader';
import type { StateBinSink } from './state-sink';

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
/** Default output chunk of inflate: 1 MiB (the 64 KiB zlib default costs ~1.1 CPU-s more per 800 MB). */
export const DEFAULT_INFLATE_CHUNK_BYTES = 1024 * 1024;
/** Writes smaller than this are gathered into one buffer of this size before inflating (fewer zlib round trips). */
export const VERIFY_BATCH_BYTES = 1024 * 1024;

/** Options of {@link createArchiveVerifier} (and of the stream verifier built on it). */
export interface ArchiveVerifierOptions {
  /**
   * Cap on the bytes of meta.json and of SHA256SUMS, the only entries buffered.
   * @default 1048576 (1 MiB)
   */
  readonly maxSmallEntryBytes?: number;
  /**
   * Receives state.bin's decompressed bytes during the pass.
   * @default - none
   */
  readonly stateSink?: StateBinSink;
  /**
   * Output chunk size of inflate, bytes.
   * @default 1048576 (1 MiB)
   */
  readonly inflateChunkBytes?: number;
}

/**
 * Consul's archive checks as a push interface, for a caller that owns the bytes (the backup's part buffers, the
 * restore's send path): `write` every archive chunk in order, then `end`. The archive sha256 is taken as the bytes
 * are written; inflating, tar, SHA256SUMS and the state.bin digest run behind, in order.
 */
export interface ArchiveVerifier {
  /**
   * Feeds the next archive bytes. Resolves once they are processed: the caller must not change them before (small
   * writes are copied into a batch and resolve at once). Rejects with the verification's error, as do later calls.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** The archive ended: resolves with what it verified, or rejects with {@link SnapshotVerificationError}. */
  end(): Promise<VerifiedSnapshot>;
  /** Gives up (the source failed, the consumer stopped): pending and later calls reject. */
  destroy(reason?: unknown): void;
  /** Settles as `end()` does, or rejects when the verifier fails or is destroyed first. Never unhandled. */
  readonly result: Promise<VerifiedSnapshot>;
}

/**
 * Creates an {@link ArchiveVerifier} that runs on the calling thread (zlib inflates on libuv's thread pool).
 *
 * @example
 * const verifier = createArchiveVerifier({ stateSink: decoder });
 * for await (const chunk of body) await verifier.write(chunk);
 * const { archiveSha256, meta } = await verifier.end();
 */
export function createArchiveVerifier(options: ArchiveVerifierOptions = {}): ArchiveVerifier {
  return new InlineArchiveVerifier(options);
}

/** Maps what a reader threw to the public error. */
export function toVerificationError(err: unknown): Error {
  if (err instanceof ArchiveDefect) return new SnapshotVerificationError(err.defect, err.consulMessage, err.message);
  return err instanceof Error ? err : new Error(String(err));
}

class InlineArchiveVerifier implements ArchiveVerifier {
  readonly result: Promise<VerifiedSnapshot>;
  private resolveResult!: (value: VerifiedSnapshot) => void;
  private rejectResult!: (reason: unknown) => void;
  private failure?: Error;
  private ended = false;
  private readonly archiveHash = createHash('sha256');
  private archiveBytes = 0;
  private readonly reader: ConsulArchiveReader;
  private readonly gzip: GoGzipReader;
  /** The inflate queue: each batch starts when the previous one was fully processed. */
  private chain: Promise<void> = Promise.resolve();
  private batch?: Buffer;
  private batchFill = 0;
  /** A batch buffer whose inflate finished, ready to be filled again. */
  private spare?: Buffer;

  constructor(options: ArchiveVerifierOptions) {
    this.result = new Promise<VerifiedSnapshot>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.result.catch(() => undefined);
    this.reader = new ConsulArchiveReader(options.maxSmallEntryBytes ?? DEFAULT_MAX_SMALL_ENTRY_BYTES, options.stateSink);
    this.gzip = new GoGzipReader(this.reader, options.inflateChunkBytes ?? DEFAULT_INFLATE_CHUNK_BYTES);
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(new Error('write after end of the snapshot archive'));
    if (chunk.length === 0) return Promise.resolve();
    this.archiveHash.update(chunk);
    this.archiveBytes += chunk.length;
    if (chunk.length >= VERIFY_BATCH_BYTES) {
      this.flushBatch();
      return this.enqueue(asBuffer(chunk));
    }
    let done: Promise<void> = Promise.resolve();
    let at = 0;
    while (at < chunk.length) {
      this.batch ??= this.spare ?? Buffer.allocUnsafe(VERIFY_BATCH_BYTES);
      this.spare = undefined;
      const n = Math.min(chunk.length - at, VERIFY_BATCH_BYTES - this.batchFill);
      this.batch.set(chunk.subarray(at, at + n), this.batchFill);
      this.batchFill += n;
      at += n;
      if (this.batchFill === VERIFY_BATCH_BYTES) done = this.flushBatch();
    }
    return done;
  }

  end(): Promise<VerifiedSnapshot> {
    if (!this.ended && this.failure === undefined) {
      this.ended = true;
      this.flushBatch();
      this.chain
        .then(() => this.gzip.end())
        .then(() => {
          const contents = this.reader.contents();
          this.resolveResult({ ...contents, archiveSha256: this.archiveHash.digest('hex'), archiveBytes: this.archiveBytes });
        })
        .catch((err: unknown) => this.fail(err));
    }
    return this.result;
  }

  destroy(reason?: unknown): void {
    this.fail(reason ?? new SnapshotVerifyAbortedError());
  }

  /** Hands the gathered small writes to the inflate queue; resolves when they are processed. */
  private flushBatch(): Promise<void> {
    if (this.batch === undefined || this.batchFill === 0) return Promise.resolve();
    const batch = this.batch;
    const filled = batch.subarray(0, this.batchFill);
    this.batch = undefined;
    this.batchFill = 0;
    return handled(
      this.enqueue(filled).then(() => {
        this.spare ??= batch;
      }),
    );
  }

  private enqueue(bytes: Buffer): Promise<void> {
    const step = this.chain.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return this.gzip.write(bytes);
    });
    this.chain = step.catch((err: unknown) => {
      this.fail(err);
    });
    return handled(
      step.catch(() => {
        throw this.failure;
      }),
    );
  }

  /** Settles `result` with the error (once). */
  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = toVerificationError(err);
    this.gzip.destroy();
    this.rejectResult(this.failure);
  }
}

/** Marks a promise handled (a caller may ignore it: the failure also settles `result`); returns it unchanged. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** A Buffer view of the same memory (no copy). */
function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
