import { Readable } from 'node:stream';
import type { ArchiveVerifier, VerifiedSnapshot } from '../snapshot-archive';

/** Bytes the verifier may run behind the send before the send waits for it. */
const MAX_VERIFY_LAG_BYTES = 8 * 1024 * 1024;

/** What {@link verifiedSendBody} reports once the body ended or failed. */
export interface VerifiedSend {
  /** The request body: the archive's bytes, all but the last chunk sent while they are verified. */
  readonly body: Readable;
  /**
   * Settles with the verification (the recorded sha256 included) once the source ended; rejects with the first
   * failure. When it rejects the body never ends: it errors, and the last bytes are never sent.
   */
  readonly verified: Promise<VerifiedSnapshot>;
}

/**
 * The restore's single pass: streams `source` into the request body while `verifier` checks it, and withholds the
 * final chunk until the verifier passed and the archive's sha256 equals `expectedSha256`. Otherwise the body errors
 * instead of ending, so the receiver never gets the complete archive (Consul refuses a truncated one: its gzip
 * reader needs the trailer and the end of the stream). `check` turns a passed verification into an error when
 * the archive is not the expected one.
 *
 * @example
 * const { body, verified } = verifiedSendBody(s3Body, createArchiveVerifier(), (v) => mismatch(v));
 * await consul.restoreSnapshot(body);
 */
export function verifiedSendBody(
  source: AsyncIterable<Uint8Array>,
  verifier: ArchiveVerifier,
  check: (verified: VerifiedSnapshot) => Error | undefined,
  onBytes?: (total: number) => void,
): VerifiedSend {
  let settle!: { resolve: (v: VerifiedSnapshot) => void; reject: (e: unknown) => void };
  const verified = new Promise<VerifiedSnapshot>((resolve, reject) => (settle = { resolve, reject }));
  verified.catch(() => undefined);
  async function* withheld(): AsyncGenerator<Uint8Array> {
    let held: Uint8Array | undefined;
    let total = 0;
    let finished = false;
    const pending: { end: number; done: Promise<void> }[] = [];
    try {
      for await (const chunk of source) {
        if (chunk.length === 0) continue;
        total += chunk.length;
        pending.push({ end: total, done: verifier.write(chunk) });
        // Keep the verifier close behind: at most MAX_VERIFY_LAG_BYTES not yet checked.
        while (pending.length > 0 && total - pending[0].end > MAX_VERIFY_LAG_BYTES) await (pending.shift() as { done: Promise<void> }).done;
        if (held !== undefined) yield held;
        held = chunk;
        onBytes?.(total - held.length);
      }
      for (const p of pending) await p.done;
      const result = await verifier.end();
      const refused = check(result);
      if (refused !== undefined) throw refused;
      settle.resolve(result);
      finished = true;
    } catch (err) {
      verifier.destroy(err);
      settle.reject(err);
      throw err;
    } finally {
      // The receiver stopped reading (it failed or refused): nothing more is verified or sent.
      if (!finished) {
        const stopped = new Error('the restore upload stopped before the archive was verified');
        verifier.destroy(stopped);
        settle.reject(stopped);
      }
    }
    // Only now, verified and the expected archive: the final bytes that let the receiver finish.
    if (held !== undefined) yield held;
    onBytes?.(total);
  }
  return { body: Readable.from(withheld(), { objectMode: false }), verified };
}
