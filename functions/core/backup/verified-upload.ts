import type { ArchiveVerifier, VerifiedSnapshot } from '../snapshot-archive';
import type { BackupMetadata, BackupStore, PartUpload } from './ports';

/** Bytes of a part handed to the verifier at a time: large enough for few inflate round trips, small enough to overlap. */
export const VERIFY_SLICE_BYTES = 1024 * 1024;

/** Which side of the pass failed first (the workflow turns it into the error to report). */
export type VerifiedUploadSide = 'source' | 'verify' | 'store';

/** The pass failed; `side` says where, `cause` is the original error. The upload was aborted before this is thrown. */
export class VerifiedUploadFailure extends Error {
  constructor(
    readonly side: VerifiedUploadSide,
    override readonly cause: unknown,
    readonly bytesRead: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'VerifiedUploadFailure';
  }
}

/** What {@link uploadVerified} needs. */
export interface VerifiedUploadRequest {
  /** The archive as Consul serves it. */
  readonly source: AsyncIterable<Uint8Array>;
  readonly verifier: ArchiveVerifier;
  readonly store: BackupStore;
  readonly key: string;
  readonly metadata: BackupMetadata;
  readonly signal?: AbortSignal;
  /** Archive bytes read so far. */
  readonly onProgress?: (bytes: number) => void;
}

interface PartBuffer {
  readonly bytes: Uint8Array;
  /** Settles when the part's upload and its verification both finished: then the buffer may be refilled. */
  done: Promise<unknown>;
}

/**
 * The backup's single verifying pass: the archive is copied once, into a fixed set of part buffers (parts in flight
 * + 1, allocated once), verified from those buffers in 1 MiB slices and uploaded part by part, so memory is
 * O(part size) and no byte is copied twice. The object is completed only after the verifier passed; on any failure
 * the multipart upload is aborted (an archive that fits one part is stored by one PUT after it verified).
 *
 * @example
 * const { versionId, verified } = await uploadVerified({ source: body, verifier, store, key, metadata });
 */
export async function uploadVerified(request: VerifiedUploadRequest): Promise<{ versionId: string; verified: VerifiedSnapshot }> {
  const pass = new VerifiedUploadPass(request);
  try {
    return await pass.run();
  } catch (err) {
    await pass.cleanUp();
    throw pass.failure(err);
  }
}

class VerifiedUploadPass {
  private readonly partSize: number;
  private readonly inFlight: number;
  /** Parts shipped whose buffer is not free yet, oldest first. */
  private readonly busy: PartBuffer[] = [];
  private current!: Uint8Array;
  private fill = 0;
  private verifiedTo = 0;
  private lastVerify: Promise<unknown> = Promise.resolve();
  private upload?: Promise<PartUpload>;
  private partNumber = 0;
  private bytesRead = 0;
  private firstFailure?: { side: VerifiedUploadSide; cause: unknown };

  constructor(private readonly request: VerifiedUploadRequest) {
    this.partSize = request.store.partSizeBytes;
    this.inFlight = Math.max(1, request.store.partsInFlight);
    request.verifier.result.catch((err: unknown) => this.record('verify', err));
  }

  async run(): Promise<{ versionId: string; verified: VerifiedSnapshot }> {
    const { verifier, store, key, metadata, signal } = this.request;
    this.current = this.allocate();
    const chunks = this.request.source[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.read(chunks);
        if (next.done) break;
        const chunk = next.value;
        this.bytesRead += chunk.length;
        let at = 0;
        while (at < chunk.length) {
          const n = Math.min(this.partSize - this.fill, chunk.length - at);
          this.current.set(n === chunk.length ? chunk : chunk.subarray(at, at + n), this.fill);
          this.fill += n;
          at += n;
          if (this.fill - this.verifiedTo >= VERIFY_SLICE_BYTES) this.verifySlice();
          if (this.fill === this.partSize) await this.ship();
        }
        this.request.onProgress?.(this.bytesRead);
        this.throwIfFailed();
      }
    } catch (err) {
      // Stop reading: closing the iterator destroys the source stream.
      await chunks.return?.().catch(() => undefined);
      throw err;
    }
    this.verifySlice();
    if (this.upload === undefined) {
      // The whole archive is in one buffer: verify it completely, then store it with one PUT.
      const verified = await this.verified(verifier.end());
      const { versionId } = await this.stored(store.putArchive({ key, bytes: this.current.subarray(0, this.fill), metadata, signal }));
      return { versionId, verified };
    }
    if (this.fill > 0) await this.ship();
    const verified = await this.verified(verifier.end());
    await this.stored(Promise.all(this.busy.map((part) => part.done)));
    this.throwIfFailed();
    // Completion, the step that makes the object exist, only ever follows a passed verification.
    const { versionId } = await this.stored((await this.upload).complete());
    return { versionId, verified };
  }

  /** Aborts the multipart upload (if one was started) and stops the verifier. Never throws. */
  async cleanUp(): Promise<void> {
    this.request.verifier.destroy(new Error('the backup stopped before the archive ended'));
    if (this.upload === undefined) return;
    try {
      await (await this.upload).abort();
    } catch {
      // The upload never started (its own error is reported); an abort failure leaves an incomplete upload that the
      // bucket lifecycle rule and prune's incomplete-upload sweep remove.
    }
  }

  /** The error to throw: the first failure seen, with its side. */
  failure(err: unknown): VerifiedUploadFailure {
    const first = this.firstFailure ?? { side: 'store' as const, cause: err };
    return new VerifiedUploadFailure(first.side, first.cause, this.bytesRead);
  }

  /** The next source chunk; a failure here is the source's. */
  private async read(chunks: AsyncIterator<Uint8Array>): Promise<IteratorResult<Uint8Array>> {
    try {
      return await chunks.next();
    } catch (err) {
      this.record('source', err);
      throw err;
    }
  }

  private verifySlice(): void {
    if (this.fill === this.verifiedTo) return;
    // A small slice is copied by the verifier and resolves at once, while earlier slices of this buffer may still be
    // inflating from it: the buffer is free only when every slice handed over so far was processed.
    const written = this.request.verifier.write(this.current.subarray(this.verifiedTo, this.fill));
    this.lastVerify = this.lastVerify.then(() => written);
    this.lastVerify.catch(() => undefined);
    this.verifiedTo = this.fill;
  }

  /** Uploads the current buffer as the next part and moves on to a free buffer (waiting for one if needed). */
  private async ship(): Promise<void> {
    this.verifySlice();
    // At most `inFlight` parts upload at once: wait for the oldest to finish, and refill its buffer next.
    let free: Uint8Array | undefined;
    if (this.busy.length >= this.inFlight) {
      const oldest = this.busy.shift() as PartBuffer;
      await oldest.done;
      this.throwIfFailed();
      free = oldest.bytes;
    }
    const { key, metadata, signal, store } = this.request;
    this.upload ??= this.stored(store.beginUpload({ key, metadata, signal }));
    const upload = this.upload;
    const partNumber = ++this.partNumber;
    const bytes = this.current.subarray(0, this.fill);
    const sent = upload.then((u) => u.uploadPart(partNumber, bytes));
    sent.catch((err: unknown) => this.record('store', err));
    const done = Promise.all([sent, this.lastVerify]);
    done.catch(() => undefined);
    this.busy.push({ bytes: this.current, done });
    this.current = free ?? this.allocate();
    this.fill = 0;
    this.verifiedTo = 0;
    this.lastVerify = Promise.resolve();
  }

  /** Shared memory, so that a verifier on a worker thread reads the slices where they are (no copy per slice). */
  private allocate(): Uint8Array {
    return new Uint8Array(new SharedArrayBuffer(this.partSize));
  }

  private async verified(result: Promise<VerifiedSnapshot>): Promise<VerifiedSnapshot> {
    try {
      return await result;
    } catch (err) {
      this.record('verify', err);
      throw err;
    }
  }

  private async stored<T>(result: Promise<T>): Promise<T> {
    try {
      return await result;
    } catch (err) {
      this.record('store', err);
      throw err;
    }
  }

  private record(side: VerifiedUploadSide, cause: unknown): void {
    this.firstFailure ??= { side, cause };
  }

  private throwIfFailed(): void {
    if (this.firstFailure !== undefined) throw this.firstFailure.cause;
  }
}
