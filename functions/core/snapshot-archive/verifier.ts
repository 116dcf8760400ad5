import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createArchiveVerifier, type ArchiveVerifier, type ArchiveVerifierOptions, type VerifiedSnapshot } from './archive-verifier';
import { SnapshotVerifyAbortedError } from './errors';

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

/** Options of {@link createSnapshotVerifier}: those of {@link createArchiveVerifier}. */
export type SnapshotVerifierOptions = ArchiveVerifierOptions;

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
  return new SnapshotVerifierStream(createArchiveVerifier(options));
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

  constructor(private readonly verifier: ArchiveVerifier) {
    super();
    this.result = verifier.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) return callback();
    this.push(chunk);
    this.verifier.write(chunk).then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    this.verifier.end().then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.verifier.destroy(err ?? new SnapshotVerifyAbortedError());
    callback(err);
  }
}
