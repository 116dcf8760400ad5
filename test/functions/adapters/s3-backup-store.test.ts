import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Readable } from 'node:stream';
import { BACKUP_TAGS, S3BackupStore } from '../../../functions/adapters/s3-backup-store';

const metadata = { cluster: 'c1', datacenter: 'dc1', consulVersion: '1.17.0', takenAt: '2026-11-21T23:00:00.000Z', raftIndex: '42' };
const MiB = 1024 * 1024;

function chunks(total: number, failAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) {
        this.destroy(new Error('archive failed verification'));
        return;
      }
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(MiB, total - sent);
      sent += n;
      this.push(Buffer.alloc(n, 7));
    },
  });
}

describe('S3BackupStore', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('streams a large backup as a multipart upload with SHA-256 checksums on every call', async () => {
    // Prepare
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).resolves({ ETag: '"e"' });
    s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v1' });
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b', partSizeBytes: 5 * MiB });

    // Act
    const result = await store.upload({ key: 'k.snap', body: chunks(12 * MiB), metadata });

    // Assess
    expect(result).toEqual({ versionId: 'v1' });
    expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
      Bucket: 'b',
      Key: 'k.snap',
      ChecksumAlgorithm: 'SHA256',
      Metadata: { 'consul-cluster': 'c1', 'consul-datacenter': 'dc1', 'consul-version': '1.17.0', 'taken-at': metadata.takenAt, 'raft-index': '42' },
    });
    expect(s3).toHaveReceivedCommandTimes(UploadPartCommand, 3);
    expect(s3).toHaveReceivedCommandWith(UploadPartCommand, { ChecksumAlgorithm: 'SHA256', UploadId: 'u1' });
    expect(s3).toHaveReceivedCommandTimes(CompleteMultipartUploadCommand, 1);
  });

  it('uses one PutObject with a SHA-256 checksum for a small backup', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({ VersionId: 'v2' });
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });

    // Act
    const result = await store.upload({ key: 'k.snap', body: chunks(1000), metadata });

    // Assess
    expect(result.versionId).toBe('v2');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { ChecksumAlgorithm: 'SHA256', ContentType: 'application/x-gzip' });
  });

  it('aborts the multipart upload and never completes it when the body fails', async () => {
    // Prepare
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).resolves({ ETag: '"e"' });
    s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v1' });
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b', partSizeBytes: 5 * MiB });

    // Act
    const attempt = store.upload({ key: 'k.snap', body: chunks(20 * MiB, 11 * MiB), metadata });

    // Assess
    await expect(attempt).rejects.toThrow('archive failed verification');
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: 'b', Key: 'k.snap', UploadId: 'u1' });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('never uploads a small body that fails before its end', async () => {
    // Prepare
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });

    // Act
    const attempt = store.upload({ key: 'k.snap', body: chunks(3 * MiB, 2 * MiB), metadata });

    // Assess
    await expect(attempt).rejects.toThrow('archive failed verification');
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('marks a version verified with its facts as tags', async () => {
    // Prepare
    s3.on(PutObjectTaggingCommand).resolves({});
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });

    // Act
    await store.markVerified('k.snap', 'v1', { sha256: 'ab'.repeat(32), raftIndex: 42, raftTerm: 3, kind: 'scheduled' });

    // Assess
    expect(s3).toHaveReceivedCommandWith(PutObjectTaggingCommand, {
      Key: 'k.snap',
      VersionId: 'v1',
      Tagging: {
        TagSet: [
          { Key: BACKUP_TAGS.verified, Value: 'true' },
          { Key: BACKUP_TAGS.sha256, Value: 'ab'.repeat(32) },
          { Key: BACKUP_TAGS.raftIndex, Value: '42' },
          { Key: BACKUP_TAGS.raftTerm, Value: '3' },
          { Key: BACKUP_TAGS.kind, Value: 'scheduled' },
        ],
      },
    });
  });

  it('lists current versions across pages and reads which are verified', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined })
      .resolves({ IsTruncated: true, NextKeyMarker: 'a.snap', NextVersionIdMarker: 'va', Versions: [{ Key: 'a.snap', VersionId: 'va', IsLatest: true, Size: 10 }] })
      .on(ListObjectVersionsCommand, { KeyMarker: 'a.snap', VersionIdMarker: 'va' })
      .resolves({
        IsTruncated: false,
        Versions: [
          { Key: 'b.snap', VersionId: 'vb', IsLatest: true, Size: 20 },
          { Key: 'b.snap', VersionId: 'old', IsLatest: false, Size: 5 },
        ],
      });
    s3.on(GetObjectTaggingCommand, { Key: 'a.snap' }).resolves({ TagSet: [{ Key: BACKUP_TAGS.verified, Value: 'true' }, { Key: BACKUP_TAGS.raftIndex, Value: '9' }] });
    s3.on(GetObjectTaggingCommand, { Key: 'b.snap' }).resolves({ TagSet: [] });
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });

    // Act
    const listed = await store.list('snapshots/c1/');

    // Assess
    expect(listed.map((o) => [o.key, o.versionId, o.verified, o.facts?.raftIndex])).toEqual([
      ['a.snap', 'va', true, 9],
      ['b.snap', 'vb', false, undefined],
    ]);
  });

  it('deletes by delete marker and reports objects S3 refused', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'a.snap', Code: 'AccessDenied', Message: 'forbidden by object lock' }] });
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });

    // Act
    const attempt = store.remove([{ key: 'a.snap', versionId: 'va' }]);

    // Assess
    await expect(attempt).rejects.toThrow('a.snap: AccessDenied forbidden by object lock');
    // The archive's contents object goes with it.
    expect(s3).toHaveReceivedCommandWith(DeleteObjectsCommand, { Delete: { Objects: [{ Key: 'a.snap' }, { Key: 'a.snap.contents.json' }], Quiet: true } });
  });

  it('stores contents beside the archive and reads them back only for the version they describe', async () => {
    // Prepare
    const contents = { version: 1 as const, key: 'snapshots/c1/a.snap', versionId: 'va', archiveSha256: 'ab'.repeat(32), warnings: ['w'] };
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand, { Key: 'snapshots/c1/a.snap.contents.json' }).resolves({ Body: sdkStream(JSON.stringify(contents)) } as never);
    s3.on(GetObjectCommand, { Key: 'snapshots/c1/none.snap.contents.json' }).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });

    // Act
    await store.saveContents(contents);
    const same = await store.loadContents('snapshots/c1/a.snap', 'va');
    const otherVersion = await store.loadContents('snapshots/c1/a.snap', 'vb');
    const none = await store.loadContents('snapshots/c1/none.snap', 'v1');

    // Assess
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'b', Key: 'snapshots/c1/a.snap.contents.json', Body: JSON.stringify(contents), ContentType: 'application/json; charset=utf-8' });
    expect(same).toEqual(contents);
    expect(otherVersion).toBeUndefined();
    expect(none).toBeUndefined();
  });
});

/** A response body as the SDK returns it (only `transformToString` is used). */
function sdkStream(text: string): { transformToString: () => Promise<string> } {
  return { transformToString: async () => text };
}
