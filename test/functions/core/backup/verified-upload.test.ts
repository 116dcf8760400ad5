import { createHash } from 'node:crypto';
import { uploadVerified, VerifiedUploadFailure } from '../../../../functions/core/backup/verified-upload';
import { createArchiveVerifier, SnapshotVerificationError, type ArchiveVerifier, type StateBinSink } from '../../../../functions/core/snapshot-archive';
import { buildArchive, InMemoryBackupStore, sha256 } from '../../../helpers/in-memory-backups';

const KiB = 1024;
const metadata = { cluster: 'c1', datacenter: 'dc1', consulVersion: '1.21.0', takenAt: '2026-11-22T00:00:00.000Z', raftIndex: '7' };

/** The archive in uneven chunks, as a socket delivers it; optionally failing after `failAfter` bytes. */
async function* chunked(bytes: Buffer, size = 70_001, failAfter?: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) {
    if (failAfter !== undefined && at >= failAfter) throw new Error('connection reset by peer');
    yield bytes.subarray(at, at + size);
  }
}

/** A sink that keeps a digest of what it was given (copying nothing) and counts its calls. */
function digestSink(): StateBinSink & { digest(): string; ends: number; writes: number } {
  const hash = createHash('sha256');
  const sink = {
    ends: 0,
    writes: 0,
    write(chunk: Uint8Array) {
      sink.writes += 1;
      hash.update(chunk);
    },
    end() {
      sink.ends += 1;
    },
    digest: () => hash.digest('hex'),
  };
  return sink;
}

function smallPartStore(): InMemoryBackupStore {
  const store = new InMemoryBackupStore();
  store.partSizeBytes = 256 * KiB;
  return store;
}

/**
 * A verifier double that checks the contract of `ArchiveVerifier.write`: the bytes of a write stay unchanged until
 * it resolved. Writes of 1 MiB or more are "inflated" late (by reference), smaller ones are copied at once.
 */
function strictVerifier(): ArchiveVerifier & { changedWhileInUse: number } {
  const inner = createArchiveVerifier();
  let queue: Promise<unknown> = Promise.resolve();
  const double = {
    changedWhileInUse: 0,
    result: inner.result,
    write(chunk: Uint8Array): Promise<void> {
      const snapshot = Buffer.from(chunk);
      const processed = inner.write(snapshot);
      if (chunk.length < 1024 * KiB) return processed;
      queue = queue.then(() => new Promise((resolve) => setTimeout(resolve, 5)));
      return queue.then(() => {
        if (!snapshot.equals(chunk)) double.changedWhileInUse += 1;
        return processed;
      });
    },
    end: () => inner.end(),
    destroy: (reason?: unknown) => inner.destroy(reason),
  };
  return double;
}

describe('uploadVerified', () => {
  it('never refills a part buffer while the verifier still reads from it', async () => {
    // Prepare: fast S3 parts, a slow verifier, slices that end in a small (copied) one
    const archive = await buildArchive(12, { stateBytes: 40 * 1024 * KiB });
    expect(archive.length).toBeGreaterThan(3 * 5 * 1024 * KiB);
    const store = new InMemoryBackupStore();
    store.partSizeBytes = 5 * 1024 * KiB + 100 * KiB;
    const verifier = strictVerifier();

    // Act
    const result = await uploadVerified({ source: chunked(archive, 64 * KiB), verifier, store, key: 'slow.snap', metadata });

    // Assess
    expect(verifier.changedWhileInUse).toBe(0);
    expect(result.verified.archiveSha256).toBe(sha256(archive));
  });

  it('uploads a multi-part archive from reused part buffers and completes it only once it verified', async () => {
    // Prepare
    const archive = await buildArchive(7, { stateBytes: 3 * 1024 * KiB });
    const store = smallPartStore();
    const sink = digestSink();

    // Act
    const result = await uploadVerified({ source: chunked(archive), verifier: createArchiveVerifier({ stateSink: sink }), store, key: 'k.snap', metadata });

    // Assess
    expect(result.verified).toMatchObject({ archiveSha256: sha256(archive), archiveBytes: archive.length });
    expect(store.uploads).toHaveLength(1);
    expect(store.uploads[0].state).toBe('completed');
    expect(store.uploads[0].parts.length).toBe(Math.ceil(archive.length / (256 * KiB)));
    expect(store.uploads[0].parts.slice(0, -1).every((p) => p.length === 256 * KiB)).toBe(true);
    const stored = await store.describe('k.snap', result.versionId);
    expect(stored.sizeBytes).toBe(archive.length);
    expect(sink.digest()).toBe(result.verified.stateSha256);
    expect(sink.ends).toBe(1);
  });

  it('stores an archive that fits one part with one PUT after it verified', async () => {
    // Prepare
    const archive = await buildArchive(8);
    const store = smallPartStore();

    // Act
    const result = await uploadVerified({ source: chunked(archive, 999), verifier: createArchiveVerifier(), store, key: 'small.snap', metadata });

    // Assess
    expect(store.uploads).toEqual([]);
    expect((await store.describe('small.snap', result.versionId)).sizeBytes).toBe(archive.length);
  });

  it.each([
    { name: 'a multi-part archive', stateBytes: 3 * 1024 * KiB },
    { name: 'a one-part archive', stateBytes: 4 * KiB },
  ])('never completes $name whose state.bin digest is wrong, and aborts its upload', async ({ stateBytes }) => {
    // Prepare
    const archive = await buildArchive(9, { stateBytes, defects: { stateDigest: '00'.repeat(32) } });
    const store = smallPartStore();

    // Act
    const attempt = uploadVerified({ source: chunked(archive), verifier: createArchiveVerifier(), store, key: 'bad.snap', metadata });

    // Assess
    const failure = (await attempt.catch((e: unknown) => e)) as VerifiedUploadFailure;
    expect(failure).toBeInstanceOf(VerifiedUploadFailure);
    expect(failure.side).toBe('verify');
    expect(failure.cause).toBeInstanceOf(SnapshotVerificationError);
    expect(String((failure.cause as Error).message)).toMatch(/hash check failed for "state.bin"/);
    expect(store.uploads.every((u) => u.state === 'aborted')).toBe(true);
    expect(store.objects.size).toBe(0);
  });

  it('aborts the upload when Consul\'s stream breaks off, naming the source', async () => {
    // Prepare
    const archive = await buildArchive(10, { stateBytes: 3 * 1024 * KiB });
    const store = smallPartStore();

    // Act
    const attempt = uploadVerified({ source: chunked(archive, 70_001, 700 * KiB), verifier: createArchiveVerifier(), store, key: 'cut.snap', metadata });

    // Assess
    await expect(attempt).rejects.toMatchObject({ side: 'source', message: 'connection reset by peer' });
    expect(store.uploads.map((u) => u.state)).toEqual(['aborted']);
    expect(store.objects.size).toBe(0);
  });

  it('aborts the upload when S3 refuses a part, naming the store', async () => {
    // Prepare
    const archive = await buildArchive(11, { stateBytes: 3 * 1024 * KiB });
    const store = smallPartStore();
    store.uploadPartError = new Error('AccessDenied');

    // Act
    const attempt = uploadVerified({ source: chunked(archive), verifier: createArchiveVerifier(), store, key: 'denied.snap', metadata });

    // Assess
    await expect(attempt).rejects.toMatchObject({ side: 'store', message: 'AccessDenied' });
    expect(store.uploads.map((u) => u.state)).toEqual(['aborted']);
    expect(store.objects.size).toBe(0);
  });
});
