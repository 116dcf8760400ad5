import { PassThrough, pipeline } from 'node:stream';
import { buildBackupKey, clusterFolder } from './backup-key';
import type { BackupKind, BackupStore, SnapshotSource } from './ports';
import { ConsulOpsError } from '../shared/errors';
import { createSnapshotVerifier, SnapshotVerificationError } from '../snapshot-archive';
import { BackupAbortedError, BackupUploadError, SnapshotStreamError, StaleSnapshotError } from './errors';

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
 * Takes one snapshot and stores it as a verified backup, in one streaming pass: Consul → verifier → S3 multipart
 * upload. The upload can only complete once the verifier has checked every SHA256SUMS entry, the tar end and the
 * gzip trailer (the verifier's end is withheld until then), and the object is tagged verified only afterwards. On any
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

  const verifier = createSnapshotVerifier();
  const counter = countingStream(deps.onProgress);
  // Consul's body errors (reset, truncation) propagate into the verifier, whose error aborts the upload.
  pipeline(opened.body, counter, verifier, () => undefined);
  const verified = verifier.result;
  // Remember a verification failure as soon as it happens: when the upload then fails because of it, the archive
  // defect is the explanation to report. An upload that fails first (S3 down) is reported as such.
  let verifyFailure: unknown;
  verified.catch((e: unknown) => {
    verifyFailure = e;
  });
  let streamFailure: unknown;
  opened.body.once('error', (e: unknown) => {
    // pipeline() also destroys the source with the verifier's own error; only other errors are Consul's.
    if (!(e instanceof SnapshotVerificationError)) streamFailure = e;
  });

  let versionId: string;
  try {
    ({ versionId } = await deps.store.upload({
      key,
      body: verifier,
      signal: deps.signal,
      metadata: {
        cluster: input.cluster,
        datacenter: identity.datacenter,
        consulVersion: identity.consulVersion,
        takenAt: started.toISOString(),
        raftIndex: String(headerIndex),
      },
    }));
  } catch (err) {
    const verifyError = verifyFailure;
    const consulError = streamFailure;
    opened.body.destroy();
    if (deps.signal?.aborted) throw new BackupAbortedError(key, counter.bytesRead, deps.signal.reason);
    if (consulError !== undefined) throw new SnapshotStreamError(key, counter.bytesRead, consulError);
    if (verifyError instanceof ConsulOpsError) throw verifyError;
    if (err instanceof ConsulOpsError) throw err;
    throw new BackupUploadError(key, err);
  }
  const snapshot = await verified;
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

function countingStream(onProgress?: (bytes: number) => void): PassThrough & { bytesRead: number } {
  const stream = new PassThrough({
    transform(chunk: Buffer, _encoding, callback) {
      stream.bytesRead += chunk.length;
      onProgress?.(stream.bytesRead);
      callback(null, chunk);
    },
  }) as PassThrough & { bytesRead: number };
  stream.bytesRead = 0;
  return stream;
}
