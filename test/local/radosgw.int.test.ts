/**
 * What the snapshot store relies on, checked against the local radosgw (see local-aws.md): versions, delete
 * markers, hand-paged ListObjectVersions, streamed multipart uploads, aborted uploads, Object Lock.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createTestBucket } from '../helpers/s3';

const MiB = 1024 * 1024;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  ({ s3, bucket } = await createTestBucket({ versioning: true }));
});

async function readText(key: string, versionId?: string): Promise<string> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return Body!.transformToString();
}

/** Every version and delete marker under `prefix`, one entry per page (MaxKeys=1), paged by hand. */
async function listVersionsByHand(prefix: string): Promise<{ pages: number; entries: { key: string; versionId: string; marker: boolean; latest: boolean }[] }> {
  const entries: { key: string; versionId: string; marker: boolean; latest: boolean }[] = [];
  let page: ListObjectVersionsCommandOutput | undefined;
  let pages = 0;
  do {
    page = await s3.send(new ListObjectVersionsCommand({
      Bucket: bucket, Prefix: prefix, MaxKeys: 1, KeyMarker: page?.NextKeyMarker, VersionIdMarker: page?.NextVersionIdMarker,
    }));
    pages += 1;
    for (const v of page.Versions ?? []) entries.push({ key: v.Key!, versionId: v.VersionId!, marker: false, latest: v.IsLatest! });
    for (const m of page.DeleteMarkers ?? []) entries.push({ key: m.Key!, versionId: m.VersionId!, marker: true, latest: m.IsLatest! });
    expect(pages).toBeLessThan(20);
  } while (page.IsTruncated);
  return { pages, entries };
}

/** A deterministic, non-repeating byte stream of `size` bytes, and its SHA-256 once fully read. */
function generatedStream(size: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let counter = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(256 * 1024, size - sent));
      for (let offset = 0; offset < chunk.length; offset += 32) {
        createHash('sha256').update(String(counter++)).digest().copy(chunk, offset);
      }
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

describe('local radosgw (integration)', () => {
  it('keeps two versions of a key, readable by VersionId and listed page by page', async () => {
    // Prepare
    const key = 'versions/snap.tgz';

    // Act
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'second' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'versions/z-other', Body: 'other' }));
    const listed = await listVersionsByHand('versions/');

    // Assess
    expect(first.VersionId).toBeTruthy();
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(await readText(key, first.VersionId)).toBe('first');
    expect(await readText(key, second.VersionId)).toBe('second');
    expect(await readText(key)).toBe('second');
    expect(listed.pages).toBeGreaterThanOrEqual(3);
    expect(listed.entries.filter((e) => e.key === key)).toEqual([
      { key, versionId: second.VersionId, marker: false, latest: true },
      { key, versionId: first.VersionId, marker: false, latest: false },
    ]);
    expect(listed.entries).toHaveLength(3);
  });

  it('answers a delete without VersionId with a delete marker and keeps the versions', async () => {
    // Prepare
    const key = 'deleted/snap.tgz';
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'kept' }));

    // Act
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

    // Assess
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toBeTruthy();
    await expect(readText(key)).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(await readText(key, put.VersionId)).toBe('kept');
    const listed = (await listVersionsByHand('deleted/')).entries;
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(expect.arrayContaining([
      { key, versionId: put.VersionId, marker: false, latest: false },
      { key, versionId: deleted.VersionId, marker: true, latest: true },
    ]));
  });

  it('round-trips a streamed ~12 MiB lib-storage Upload with 5 MiB parts byte for byte', async () => {
    // Prepare
    const size = 12 * MiB + 12345;
    const source = generatedStream(size);
    const parts: number[] = [];

    // Act
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: 'big/snap.tgz', Body: source.stream }, partSize: 5 * MiB, queueSize: 2 });
    upload.on('httpUploadProgress', (p) => parts.push(p.part ?? 0));
    const done = await upload.done();
    const { Body, ContentLength } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/snap.tgz', VersionId: done.VersionId }));
    const downloaded = createHash('sha256');
    for await (const chunk of Body as Readable) downloaded.update(chunk as Buffer);

    // Assess
    expect(new Set(parts)).toEqual(new Set([1, 2, 3]));
    expect(ContentLength).toBe(size);
    expect(downloaded.digest('hex')).toBe(source.sha256());
  });

  it('leaves nothing in ListMultipartUploads after an aborted multipart upload', async () => {
    // Prepare
    const key = 'aborted/snap.tgz';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, 1) }));
    const before = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'aborted/' }));

    // Act
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));

    // Assess
    expect(before.Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
    const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'aborted/' }));
    expect(after.Uploads ?? []).toEqual([]);
    expect((await listVersionsByHand('aborted/')).entries).toEqual([]);
  });

  it('enforces Object Lock: a retained version cannot be deleted', async () => {
    // Prepare
    const locked = await createTestBucket({ objectLock: true });
    const retainUntil = new Date(Date.now() + 24 * 3600 * 1000);
    const put = await locked.s3.send(new PutObjectCommand({
      Bucket: locked.bucket, Key: 'locked/snap.tgz', Body: 'retained',
      ContentMD5: createHash('md5').update('retained').digest('base64'),
      ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: retainUntil,
    }));

    // Act
    const deletion = locked.s3.send(new DeleteObjectCommand({ Bucket: locked.bucket, Key: 'locked/snap.tgz', VersionId: put.VersionId }));

    // Assess
    await expect(deletion).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});
