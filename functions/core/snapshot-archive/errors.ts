/**
 * The defect kinds a snapshot archive can have, and the internal error the archive readers throw. The public
 * `SnapshotVerificationError` (in `snapshot-archive.ts`) is built from an {@link ArchiveDefect}.
 */

/** What is wrong with an archive, as a stable machine-readable kind (`context.defect`). */
export const SNAPSHOT_DEFECTS = {
  /** The bytes are not a gzip stream (bad magic, empty body). */
  notGzip: 'not-gzip',
  /** The archive ends early: gzip, tar or an entry is cut short. */
  truncated: 'truncated',
  /** Damaged framing: deflate data, gzip CRC/size trailer or a tar header. */
  corrupt: 'corrupt',
  /** A tar entry other than meta.json, state.bin and SHA256SUMS. */
  unexpectedFile: 'unexpected-file',
  /** meta.json is not a valid raft SnapshotMeta JSON document. */
  badMetadata: 'bad-metadata',
  /** SHA256SUMS has a line that does not parse, or names an unknown file. */
  badSums: 'bad-sums',
  /** A digest in SHA256SUMS differs from the entry's content. */
  hashMismatch: 'hash-mismatch',
  /** meta.json or state.bin has no SHA256SUMS line (or SHA256SUMS is absent). */
  fileMissing: 'file-missing',
  /** Bytes after the tar end, or after the gzip member. */
  trailingData: 'trailing-data',
  /** meta.json `Size` differs from the state.bin byte count (raft rejects it on restore). */
  sizeMismatch: 'size-mismatch',
  /** meta.json or SHA256SUMS exceeds this implementation's buffering limit (Consul has none). */
  entryTooLarge: 'entry-too-large',
} as const;

/** One of {@link SNAPSHOT_DEFECTS}. */
export type SnapshotDefect = (typeof SNAPSHOT_DEFECTS)[keyof typeof SNAPSHOT_DEFECTS];

/**
 * Thrown by the archive readers. `consulMessage` is the body real Consul returns on `PUT /v1/snapshot` for the same
 * defect; it is undefined only for {@link SNAPSHOT_DEFECTS.entryTooLarge}, which Consul would accept.
 */
export class ArchiveDefect extends Error {
  constructor(
    readonly defect: SnapshotDefect,
    readonly consulMessage: string | undefined,
    detail?: string,
  ) {
    super(consulMessage ?? detail ?? defect);
    this.name = 'ArchiveDefect';
  }
}

/** An error a Go `io.Reader` returns mid-stream: its text (`unexpected EOF`, `gzip: invalid checksum`…) and kind. */
export interface GoReadError {
  readonly text: string;
  readonly defect: SnapshotDefect;
}

/** Go's `io.ErrUnexpectedEOF` text. */
export const UNEXPECTED_EOF = 'unexpected EOF';
