/**
 * Errors of the snapshot-archive package: the defect kinds an archive can have, the internal error the archive
 * readers throw ({@link ArchiveDefect}), and the public errors built from it.
 */
import { ConsulOpsError, type ConsulOpsErrorOptions } from '../shared/errors';

/** Stable codes of this package's public errors. */
export const SNAPSHOT_ARCHIVE_ERROR_CODES = {
  invalid: 'SNAPSHOT_INVALID',
  verifyAborted: 'SNAPSHOT_VERIFY_ABORTED',
} as const;

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
  /** meta.json `Version` is not a raft snapshot version raft restores (0 or 1): raft rejects it on restore. */
  unsupportedVersion: 'unsupported-version',
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

const REMEDIES: Partial<Record<SnapshotDefect, string>> = {
  [SNAPSHOT_DEFECTS.notGzip]:
    'This is not a Consul snapshot archive (gzip expected): check that the right object or file was given. Snapshots come from GET /v1/snapshot or `consul snapshot save`.',
  [SNAPSHOT_DEFECTS.truncated]:
    'The archive is incomplete (cut short in transfer or storage): do not restore it. Take a new snapshot, or pick another backup.',
  [SNAPSHOT_DEFECTS.unsupportedVersion]:
    'Consul can only restore raft snapshot versions 0 and 1, so this archive can never be restored: it was not written by a Consul server, or its meta.json was altered. Do not keep it as a backup; take a new snapshot, or pick another backup.',
  [SNAPSHOT_DEFECTS.entryTooLarge]:
    'meta.json or SHA256SUMS is implausibly large for a Consul snapshot: treat the archive as corrupt and pick another backup (or raise maxSmallEntryBytes if it is genuine).',
};
const DEFAULT_REMEDY =
  'The archive is corrupt or was altered, and Consul would refuse it: do not restore it. Take a new snapshot, or pick another backup.';

/**
 * A snapshot archive failed verification. Code `SNAPSHOT_INVALID`; `context.defect` is one of
 * {@link SNAPSHOT_DEFECTS}; `context.consulMessage` is the exact body real Consul returns for this defect on
 * `PUT /v1/snapshot` (absent only for `entry-too-large`, a limit of this verifier that Consul does not have).
 */
export class SnapshotVerificationError extends ConsulOpsError {
  readonly defect: SnapshotDefect;
  readonly consulMessage: string | undefined;

  constructor(defect: SnapshotDefect, consulMessage: string | undefined, detail?: string, options: ConsulOpsErrorOptions = {}) {
    super(SNAPSHOT_ARCHIVE_ERROR_CODES.invalid, `Snapshot archive failed verification: ${consulMessage ?? detail ?? defect}`, REMEDIES[defect] ?? DEFAULT_REMEDY, {
      ...options,
      context: { defect, ...(consulMessage === undefined ? {} : { consulMessage }), ...(options.context ?? {}) },
    });
    this.defect = defect;
    this.consulMessage = consulMessage;
  }
}

/** The verifier was destroyed (by its consumer, or a pipeline) before the archive ended: nothing was verified. */
export class SnapshotVerifyAbortedError extends ConsulOpsError {
  constructor() {
    super(
      SNAPSHOT_ARCHIVE_ERROR_CODES.verifyAborted,
      'The snapshot stream was closed before it could be verified',
      'Nothing was verified: re-run the operation. If the stream keeps closing early, check the connection to Consul or S3.',
    );
  }
}
