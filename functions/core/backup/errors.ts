/**
 * Errors of the backup workflow (`workflow.ts`): each says what happened to the snapshot and that nothing was kept.
 */
import { ConsulOpsError, type ErrorSummary } from '../shared/errors';

/** Stable codes of the backup errors, for `isErrorCode(err, BACKUP_ERROR_CODES.aborted)`. */
export const BACKUP_ERROR_CODES = {
  tooStale: 'SNAPSHOT_TOO_STALE',
  streamFailed: 'SNAPSHOT_STREAM_FAILED',
  aborted: 'BACKUP_ABORTED',
  uploadFailed: 'BACKUP_UPLOAD_FAILED',
  contentsUnreadable: 'BACKUP_CONTENTS_UNREADABLE',
} as const;

/** The snapshot came from a server too far behind the leader. */
export class StaleSnapshotError extends ConsulOpsError {
  constructor(lastContactMs: number, maxStaleMs: number) {
    super(
      BACKUP_ERROR_CODES.tooStale,
      `the server that answered last heard from the leader ${lastContactMs} ms ago (limit ${maxStaleMs} ms)`,
      'Restore quorum so a leader-consistent snapshot can be taken, or raise backup.maxStaleMs if an older state is acceptable.',
      { context: { lastContactMs, maxStaleMs } },
    );
  }
}

/** Consul's snapshot stream broke off (connection reset, timeout) before the archive was complete. */
export class SnapshotStreamError extends ConsulOpsError {
  constructor(key: string, bytesReceived: number, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      BACKUP_ERROR_CODES.streamFailed,
      `the snapshot stream from Consul broke off after ${bytesReceived} bytes: ${detail}`,
      'Usually transient (a follower proxying the stream, consul#6826): the next run retries. If it persists, check the servers\' TMPDIR space and the network path to Consul.',
      { context: { key, bytesReceived }, cause },
    );
  }
}

/** The run was stopped (deadline) before the archive was stored; the upload was aborted. */
export class BackupAbortedError extends ConsulOpsError {
  constructor(key: string, bytesReceived: number, reason: unknown) {
    const why = reason instanceof Error ? reason.message : String(reason ?? 'aborted');
    super(
      BACKUP_ERROR_CODES.aborted,
      `the backup was stopped after ${bytesReceived} bytes (${why}); nothing was kept`,
      'If snapshots regularly take this long, check the Consul servers\' snapshot speed and the network path, or take large snapshots outside Lambda (see the README).',
      { context: { key, bytesReceived } },
    );
  }
}

/** Storing the snapshot failed after Consul served it (S3 error, abort, time out). */
export class BackupUploadError extends ConsulOpsError {
  constructor(key: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(BACKUP_ERROR_CODES.uploadFailed, `storing ${key} failed: ${detail}`, 'Check the bucket, its KMS key and the function\'s S3 permissions; nothing was kept, the next run will try again.', {
      context: { key },
      cause,
    });
  }
}

/**
 * The archive verified and is stored as a backup (Consul would restore it), but its state.bin could not be decoded,
 * so the content-drop check and the contents summary are blind: the job fails so that someone looks.
 */
export class BackupContentsUnreadableError extends ConsulOpsError {
  constructor(key: string, versionId: string, decode: ErrorSummary) {
    super(
      BACKUP_ERROR_CODES.contentsUnreadable,
      `backup ${key} (version ${versionId}) is stored and verified, but its contents could not be decoded: ${decode.message}`,
      `${decode.remedy} Retention was skipped in this run, so no backup is pruned while contents cannot be checked.`,
      { context: { key, versionId, decodeCode: decode.code, ...decode.context } },
    );
  }
}
