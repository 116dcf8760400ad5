import { PassThrough, pipeline } from 'node:stream';
import type { BackupStore } from '../backup/ports';
import { abortDestroys } from '../shared/abort-destroys';
import { ConsulOpsError } from '../shared/errors';
import { verifySnapshotStream, type VerifiedSnapshot } from '../snapshot-archive';
import { createStateBinDecoder, decoderSink, type StateBinDecodeResult, type StateBinDecoderOptions } from '../snapshot-contents';
import { BackupInvalidError, ChecksumMismatchError } from './errors';

/** One stored object version, and the sha256 recorded when it was verified (when it was). */
export interface StoredBackupRef {
  readonly key: string;
  readonly versionId: string;
  /** The archive's sha256 recorded at verification; the bytes read must match it. @default - not compared */
  readonly sha256?: string;
  /** For progress. */
  readonly sizeBytes?: number;
}

/** Options of {@link readStoredBackup}. */
export interface ReadStoredBackupOptions {
  /** Decode state.bin in the same pass. @default - not decoded */
  readonly decode?: StateBinDecoderOptions;
  /** Bytes read so far. */
  readonly onProgress?: (bytes: number, totalBytes?: number) => void;
  readonly signal?: AbortSignal;
}

/** A stored backup read and verified, and its decoded contents when asked. */
export interface ReadStoredBackup {
  readonly snapshot: VerifiedSnapshot;
  readonly contents?: StateBinDecodeResult;
}

/**
 * Reads one pinned version of a stored backup through the archive verifier (decoding its state.bin in the same pass
 * when asked) and compares its sha256 with the recorded one: restore's verify-first pass, `restore-kv`, `inspect` and
 * `diff` of stored backups. A corrupt archive is a {@link BackupInvalidError}, a replaced one a
 * {@link ChecksumMismatchError}; a verified archive whose state.bin cannot be decoded a `StateBinMalformedError`.
 *
 * @example
 * const { snapshot, contents } = await readStoredBackup(store, { key, versionId, sha256 }, { decode: { summary: true } });
 */
export async function readStoredBackup(store: BackupStore, ref: StoredBackupRef, options: ReadStoredBackupOptions = {}): Promise<ReadStoredBackup> {
  const source = await store.open(ref.key, ref.versionId);
  const stopOnAbort = abortDestroys(source, options.signal);
  const counted = countBytes((n) => options.onProgress?.(n, ref.sizeBytes));
  // pipeline, not pipe: an S3 error or an abort must reach the verifier, or the verification would never settle.
  pipeline(source, counted, () => undefined);
  const decoder = options.decode ? createStateBinDecoder(options.decode) : undefined;
  let snapshot: VerifiedSnapshot;
  try {
    snapshot = await verifySnapshotStream(counted, decoder ? { stateSink: decoderSink(decoder) } : {});
  } catch (err) {
    if (err instanceof ConsulOpsError && err.code === 'SNAPSHOT_INVALID') throw new BackupInvalidError(ref.key, ref.versionId, err);
    throw err;
  } finally {
    stopOnAbort();
    if (!source.readableEnded) source.destroy();
  }
  if (ref.sha256 !== undefined && snapshot.archiveSha256 !== ref.sha256) throw new ChecksumMismatchError(ref.key, ref.versionId, ref.sha256, snapshot.archiveSha256);
  return decoder ? { snapshot, contents: decoder.end({ checksums: 'matched' }) } : { snapshot };
}

/** A pass-through that reports the running byte count. */
function countBytes(onBytes: (total: number) => void): PassThrough {
  let total = 0;
  return new PassThrough({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
}
