import { PassThrough, pipeline } from 'node:stream';
import { buildBackupKey, clusterFolder } from './backup-key';
import type { BackupKind, BackupStore, SnapshotSource } from './ports';
import { ConsulOpsError, summarizeError, type ErrorSummary } from '../shared/errors';
import { createSnapshotVerifier, SnapshotVerificationError, type VerifiedSnapshot } from '../snapshot-archive';
import { createStateBinDecoder, decoderSink, StateBinMalformedError, type ContentSummary, type StateBinDecoder } from '../snapshot-contents';
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

  // The state.bin decoder reads the bytes the verifier inflates: one pass, no second read.
  const decoder = createStateBinDecoder({ summary: true });
  const verifier = createSnapshotVerifier({ stateSink: decoderSink(decoder) });
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
  const contents = await storeContents(deps, decoder, { key, versionId, snapshot });
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
async function storeContents(deps: BackupDeps, decoder: StateBinDecoder, archive: { key: string; versionId: string; snapshot: VerifiedSnapshot }): Promise<BackupContents> {
  let contents: BackupContents;
  try {
    const decoded = decoder.end({ checksums: 'matched' });
    contents = { summary: decoded.summary, warnings: decoded.warnings };
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
