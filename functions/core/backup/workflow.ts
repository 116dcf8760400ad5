import { buildBackupKey, clusterFolder } from './backup-key';
import type { BackupKind, BackupStore, SnapshotSource } from './ports';
import { ConsulOpsError } from '../shared/errors';
import { createArchiveVerifier, type ArchiveVerifier, type VerifiedSnapshot } from '../snapshot-archive';
import { BackupAbortedError, BackupUploadError, SnapshotStreamError, StaleSnapshotError } from './errors';
import { uploadVerified, VerifiedUploadFailure } from './verified-upload';
import { abortDestroys } from '../shared/abort-destroys';

/** What {@link runBackup} needs from outside. */
export interface BackupDeps {
  readonly consul: SnapshotSource;
  readonly store: BackupStore;
  /** The clock; the snapshot's time is read once, before the request. */
  readonly now: () => Date;
  /** Called with the number of archive bytes verified so far (drives the CLI progress line). */
  readonly onProgress?: (bytes: number) => void;
  /** Aborts the transfer (for example when the Lambda is about to time out); nothing is left behind. */
  readonly signal?: AbortSignal;
  /**
   * Makes the archive verifier (e.g. one that inflates on a worker thread, or one with a state.bin sink).
   * @default - `createArchiveVerifier()` on the calling thread
   */
  readonly createVerifier?: () => ArchiveVerifier;
}

/** What to back up and how. */
export interface BackupInput {
  readonly cluster: string;
  readonly prefix: string;
  readonly kind: BackupKind;
  /** Ask any server (`?stale`) instead of the leader. Off by default: a leader-consistent snapshot is the norm. */
  readonly stale?: boolean;
  /** With `stale`, refuse a snapshot from a server whose `X-Consul-LastContact` exceeds this many milliseconds. */
  readonly maxStaleMs?: number;
}

/** A verified backup as stored. */
export interface BackupResult {
  readonly cluster: string;
  readonly key: string;
  readonly versionId: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly consulIndex: number;
  readonly raftTerm: number;
  readonly datacenter: string;
  readonly consulVersion: string;
  readonly takenAt: string;
  readonly kind: BackupKind;
  readonly durationMs: number;
  readonly verified: true;
}

/**
 * Takes one snapshot and stores it as a verified backup, in one streaming pass ({@link uploadVerified}): Consul →
 * part buffers → verifier and S3 multipart upload. The upload is completed only once the verifier has checked every
 * SHA256SUMS entry, the tar end and the gzip trailer, and the object is tagged verified only afterwards. On any
 * failure the upload is aborted and nothing that `list`, `prune` or `restore` treats as a backup is left.
 *
 * @example
 * const result = await runBackup({ consul, store, now: () => new Date() }, { cluster: 'prod', prefix: 'snapshots', kind: 'scheduled' });
 */
export async function runBackup(deps: BackupDeps, input: BackupInput): Promise<BackupResult> {
  const started = deps.now();
  const identity = await deps.consul.describeCluster();
  const opened = await deps.consul.openSnapshot({ stale: input.stale ?? false });
  if (input.stale && input.maxStaleMs !== undefined && (opened.lastContactMs ?? 0) > input.maxStaleMs) {
    opened.body.destroy();
    throw new StaleSnapshotError(opened.lastContactMs ?? 0, input.maxStaleMs);
  }
  const headerIndex = opened.index ?? 0;
  const key = buildBackupKey({ prefix: input.prefix, cluster: input.cluster, takenAt: started, raftIndex: headerIndex });

  const verifier = (deps.createVerifier ?? createArchiveVerifier)();
  const stopOnAbort = abortDestroys(opened.body, deps.signal);
  let versionId: string;
  let snapshot: VerifiedSnapshot;
  try {
    ({ versionId, verified: snapshot } = await uploadVerified({
      source: opened.body,
      verifier,
      store: deps.store,
      key,
      signal: deps.signal,
      onProgress: deps.onProgress,
      metadata: {
        cluster: input.cluster,
        datacenter: identity.datacenter,
        consulVersion: identity.consulVersion,
        takenAt: started.toISOString(),
        raftIndex: String(headerIndex),
      },
    }));
  } catch (err) {
    opened.body.destroy();
    const failure = err instanceof VerifiedUploadFailure ? err : new VerifiedUploadFailure('store', err, 0);
    if (deps.signal?.aborted) throw new BackupAbortedError(key, failure.bytesRead, deps.signal.reason);
    if (failure.side === 'source') throw new SnapshotStreamError(key, failure.bytesRead, failure.cause);
    if (failure.cause instanceof ConsulOpsError) throw failure.cause;
    throw new BackupUploadError(key, failure.cause);
  } finally {
    stopOnAbort();
  }
  const facts = { sha256: snapshot.archiveSha256, raftIndex: snapshot.meta.Index, raftTerm: snapshot.meta.Term, kind: input.kind };
  await deps.store.markVerified(key, versionId, facts);
  return {
    cluster: input.cluster,
    key,
    versionId,
    sizeBytes: snapshot.archiveBytes,
    sha256: snapshot.archiveSha256,
    consulIndex: snapshot.meta.Index,
    raftTerm: snapshot.meta.Term,
    datacenter: identity.datacenter,
    consulVersion: identity.consulVersion,
    takenAt: started.toISOString(),
    kind: input.kind,
    durationMs: deps.now().getTime() - started.getTime(),
    verified: true,
  };
}

/** The folder `list`, `prune` and `restore` look in for one cluster's backups. */
export function backupFolder(prefix: string, cluster: string): string {
  return clusterFolder(prefix, cluster);
}
