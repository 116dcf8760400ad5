import type { Readable } from 'node:stream';
import { createArchiveVerifier, verifySnapshotStream, type ArchiveVerifier, type StateBinSink, type VerifiedSnapshot } from '../snapshot-archive';
import { createStateBinDecoder, type StateBinDecodeResult, type StateBinDecoder, type StateBinDecoderOptions } from './state-bin-decoder';

/**
 * Decoding a snapshot's contents in the pass that verifies it: the archive verifier hands state.bin's bytes to the
 * decoder as it inflates them, so the bytes are read once. The decoder's verdict is taken only after the archive
 * verified (its `end` runs with `checksums: 'matched'`).
 */

/** A verified archive and what its state.bin holds. */
export interface DecodedArchive {
  readonly snapshot: VerifiedSnapshot;
  readonly contents: StateBinDecodeResult;
}

/**
 * A {@link StateBinSink} feeding `decoder`. Its `end` does nothing: the decoder is ended by the caller once the whole
 * archive verified, so that a malformed record never stops a verification that would pass (Consul would restore it).
 */
export function decoderSink(decoder: StateBinDecoder): StateBinSink {
  return { write: (chunk) => decoder.write(chunk), end: () => undefined };
}

/** Decoder options that are plain data (no callback), so that a pass may run on another thread. */
export type PassDecoderOptions = Omit<StateBinDecoderOptions, 'extractKv'>;

/**
 * One verifying pass over an archive with its state.bin decoded on the way (the backup's pass): write the archive to
 * `verifier`; once its `end()` resolved, `contents()` says what state.bin holds.
 */
export interface VerifyingPass {
  readonly verifier: ArchiveVerifier;
  /**
   * The decoder's verdict, asked only after the archive verified (so its checksums matched); undefined when the pass
   * decodes nothing.
   * @throws StateBinMalformedError for a verified archive whose state.bin this release cannot decode
   */
  contents(): StateBinDecodeResult | undefined;
}

/** Makes a {@link VerifyingPass}: on the calling thread ({@link createVerifyingPass}) or on a worker thread. */
export type VerifyingPassFactory = (decode?: PassDecoderOptions) => VerifyingPass;

/**
 * A {@link VerifyingPass} on the calling thread (zlib inflates on libuv's thread pool); `decode` undefined: no
 * decoder at all.
 *
 * @example
 * const pass = createVerifyingPass({ summary: true });
 * for await (const chunk of body) await pass.verifier.write(chunk);
 * const snapshot = await pass.verifier.end();
 * const summary = pass.contents()?.summary;
 */
export function createVerifyingPass(decode?: StateBinDecoderOptions): VerifyingPass {
  if (decode === undefined) return { verifier: createArchiveVerifier(), contents: () => undefined };
  const decoder = createStateBinDecoder(decode);
  return { verifier: createArchiveVerifier({ stateSink: decoderSink(decoder) }), contents: () => decoder.end({ checksums: 'matched' }) };
}

/**
 * Verifies an archive stream and decodes its state.bin in the same pass.
 *
 * @throws SnapshotVerificationError for a defective archive; StateBinMalformedError (checksums matched) for a
 * verified archive whose state.bin this release cannot decode.
 *
 * @example
 * const { snapshot, contents } = await decodeSnapshotArchive(createReadStream('backup.snap'), { kvDetails: { depth: 2 } });
 */
export async function decodeSnapshotArchive(source: Readable | AsyncIterable<Uint8Array>, options: StateBinDecoderOptions): Promise<DecodedArchive> {
  const decoder = createStateBinDecoder(options);
  const snapshot = await verifySnapshotStream(source, { stateSink: decoderSink(decoder) });
  return { snapshot, contents: decoder.end({ checksums: 'matched' }) };
}

/**
 * Decodes a bare state.bin (no archive, so no checksum: a malformed record may also be damage).
 *
 * @throws StateBinMalformedError (checksums not checked).
 */
export async function decodeStateBinStream(source: AsyncIterable<Uint8Array>, options: StateBinDecoderOptions): Promise<StateBinDecodeResult> {
  const decoder = createStateBinDecoder(options);
  for await (const chunk of source) decoder.write(chunk);
  return decoder.end({ checksums: 'not-checked' });
}
