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
import { createHash } from 'node:crypto';
import { BACKUP_TAGS, S3BackupStore } from '../../../functions/adapters/s3-backup-store';

const metadata = { cluster: 'c1', datacenter: 'dc1', consulVersion: '1.17.0', takenAt: '2026-11-21T23:00:00.000Z', raftIndex: '42' };
const MiB = 1024 * 1024;

function sha256Base64(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

describe('S3BackupStore', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('uploads each part from the caller\'s buffer with its SHA-256 and completes with every part checksum', async () => {
    // Prepare
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand, { PartNumber: 1 }).resolves({ ETag: '"e1"' });
    s3.on(UploadPartCommand, { PartNumber: 2 }).resolves({ ETag: '"e2"' });
    s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v1' });
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b', partSizeBytes: 5 * MiB });
    const part1 = Buffer.alloc(5 * MiB, 1);
    const part2 = Buffer.alloc(1000, 2);

    // Act
    const upload = await store.beginUpload({ key: 'k.snap', metadata });
    await upload.uploadPart(1, part1);
    await upload.uploadPart(2, part2);
    const result = await upload.complete();

    // Assess
    expect(result).toEqual({ versionId: 'v1' });
    expect(s3.commandCalls(CreateMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'b',
        Key: 'k.snap',
        ContentType: 'application/x-gzip',
        ChecksumAlgorithm: 'SHA256',
        Metadata: { 'consul-cluster': 'c1', 'consul-datacenter': 'dc1', 'consul-version': '1.17.0', 'taken-at': metadata.takenAt, 'raft-index': '42' },
      },
    ]);
    expect(s3.commandCalls(UploadPartCommand).map((c) => ({ ...c.args[0].input, Body: undefined }))).toEqual([
      { Bucket: 'b', Key: 'k.snap', UploadId: 'u1', PartNumber: 1, ContentLength: 5 * MiB, ChecksumAlgorithm: 'SHA256', ChecksumSHA256: sha256Base64(part1), Body: undefined },
      { Bucket: 'b', Key: 'k.snap', UploadId: 'u1', PartNumber: 2, ContentLength: 1000, ChecksumAlgorithm: 'SHA256', ChecksumSHA256: sha256Base64(part2), Body: undefined },
    ]);
    // The part is sent from the caller's buffer, not from a copy.
    expect(s3.commandCalls(UploadPartCommand)[0].args[0].input.Body).toBe(part1);
    expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      Bucket: 'b',
      Key: 'k.snap',
      UploadId: 'u1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"e1"', ChecksumSHA256: sha256Base64(part1) },
          { PartNumber: 2, ETag: '"e2"', ChecksumSHA256: sha256Base64(part2) },
        ],
      },
    });
    expect(s3).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
  });

  it('stores an archive that fits one part with one SHA-256-checked PutObject', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({ VersionId: 'v2' });
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });
    const bytes = Buffer.alloc(1000, 7);

    // Act
    const result = await store.putArchive({ key: 'k.snap', bytes, metadata });

    // Assess
    expect(result.versionId).toBe('v2');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Key: 'k.snap', ContentLength: 1000, ChecksumAlgorithm: 'SHA256', ChecksumSHA256: sha256Base64(bytes), ContentType: 'application/x-gzip' });
    expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  });

  it('aborts the multipart upload it started, and names the failing operation', async () => {
    // Prepare
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown' }));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b' });

    // Act
    const upload = await store.beginUpload({ key: 'k.snap', metadata });
    const attempt = upload.uploadPart(1, Buffer.alloc(10));
    await expect(attempt).rejects.toMatchObject({ code: 'BACKUP_STORE_FAILED', message: expect.stringContaining('S3 UploadPart on bucket b failed: SlowDown') });
    await upload.abort();

    // Assess
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: 'b', Key: 'k.snap', UploadId: 'u1' });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('refuses a part size S3 would refuse', () => {
    // Act / Assess
    expect(() => new S3BackupStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'b', partSizeBytes: MiB })).toThrow(/at least 5242880/);
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
