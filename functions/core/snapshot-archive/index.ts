/**
 * The snapshot-archive package: Consul snapshot archives (`gzip(tar(meta.json, state.bin, SHA256SUMS))`) verified
 * exactly as Consul's `snapshot.Read` does, in one streaming pass. This file is the package boundary: code outside
 * `snapshot-archive/` imports from here only.
 *
 * Besides the verifier it exports the format primitives a writer needs (meta.json encoding, tar and gzip headers),
 * used by the simulator's and the tests' archive writer (`local/consul-simulator/archive-writer.ts`).
 */
export { createSnapshotVerifier, verifySnapshotStream, type SnapshotVerifier, type SnapshotVerifierOptions } from './verifier';
export {
  createArchiveVerifier,
  DEFAULT_INFLATE_CHUNK_BYTES,
  DEFAULT_MAX_SMALL_ENTRY_BYTES,
  type ArchiveVerifier,
  type ArchiveVerifierOptions,
  type VerifiedSnapshot,
} from './archive-verifier';
export type { StateBinSink } from './state-sink';
export { SNAPSHOT_ARCHIVE_ERROR_CODES, SNAPSHOT_DEFECTS, SnapshotVerificationError, SnapshotVerifyAbortedError, type SnapshotDefect } from './errors';
export { decodeSnapshotMeta, encodeSnapshotMeta, type SnapshotMeta, type SnapshotServer } from './meta';
export { encodeTarHeader, tarPadding, TAR_MAX_USTAR_SIZE } from './tar';
export { goGzipHeader } from './gzip';
export { parseGoJson, type GoJsonValue } from './go-json';
