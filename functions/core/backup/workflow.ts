import { buildBackupKey, clusterFolder } from './backup-key';
import type { BackupKind, BackupStore, SnapshotSource } from './ports';
import { ConsulOpsError, summarizeError, type ErrorSummary } from '../shared/errors';
import type { VerifiedSnapshot } from '../snapshot-archive';
import { createVerifyingPass, StateBinMalformedError, type ContentSummary, type VerifyingPass, type VerifyingPassFactory } from '../snapshot-contents';
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
   * Makes the verifying pass (archive checks and the state.bin decoder), e.g. one on a worker thread.
   * @default - {@link createVerifyingPass} on the calling thread
   */
  readonly createVerifyingPass?: VerifyingPassFactory;
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

/**
 * What the backup's state.bin holds, decoded in the verifying pass: its summary, or (`unreadable`) why it could not
 * be decoded although the archive verified. `storeError` says the contents object could not be written (the backup
 * itself is stored and verified).
 */
export interface BackupContents {
  readonly summary?: ContentSummary;
  readonly warnings: readonly string[];
  readonly unreadable?: ErrorSummary;
  readonly storeError?: ErrorSummary;
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
  readonly contents: BackupContents;
}

/**
 * Takes one snapshot and stores it as a verified backup, in one streaming pass ({@link uploadVerified}): Consul →
 * part buffers → verifier and S3 multipart upload. The upload is completed only once the verifier has checked every
 * SHA256SUMS entry, the tar end and the gzip trailer, and the object is tagged verified only afterwards; the verifier
 * hands state.bin to the decoder as it inflates it, and what the backup holds is stored beside it once tagged. On any
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

  // The state.bin decoder reads the bytes the verifier inflates: one pass, no second read.
  const pass = (deps.createVerifyingPass ?? createVerifyingPass)({ summary: true });
  const verifier = pass.verifier;
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
  const contents = await storeContents(deps, pass, { key, versionId, snapshot });
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
    contents,
  };
}

/**
 * Ends the decoder (the archive verified, so its checksums matched) and stores the contents beside the archive. A
 * malformed state.bin does not undo the backup: the archive passed every check Consul makes, so Consul would restore
 * it; it is recorded as `unreadable` and the snapshot job fails on it (see `runSnapshotJob`).
 */
async function storeContents(deps: BackupDeps, pass: VerifyingPass, archive: { key: string; versionId: string; snapshot: VerifiedSnapshot }): Promise<BackupContents> {
  let contents: BackupContents;
  try {
    const decoded = pass.contents();
    contents = { summary: decoded?.summary, warnings: decoded?.warnings ?? [] };
  } catch (err) {
    if (!(err instanceof StateBinMalformedError)) throw err;
    contents = { warnings: [], unreadable: summarizeError(err) };
  }
  const { summary, warnings, unreadable } = contents;
  try {
    await deps.store.saveContents({
      version: 1,
      key: archive.key,
      versionId: archive.versionId,
      archiveSha256: archive.snapshot.archiveSha256,
      ...(summary ? { summary } : {}),
      ...(warnings.length ? { warnings } : {}),
      ...(unreadable ? { unreadable: { code: unreadable.code, message: unreadable.message } } : {}),
    });
  } catch (err) {
    return { ...contents, storeError: summarizeError(err) };
  }
  return contents;
}

/** The folder `list`, `prune` and `restore` look in for one cluster's backups. */
export function backupFolder(prefix: string, cluster: string): string {
  return clusterFolder(prefix, cluster);
}
