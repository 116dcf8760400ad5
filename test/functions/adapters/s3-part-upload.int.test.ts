/**
 * The backup's own multipart upload against radosgw (local S3 runs with `WHEN_REQUIRED` checksums and path style):
 * S3 checks the precomputed SigV4 payload hash against the body it received.
 */
import { GetObjectCommand, ListMultipartUploadsCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { signWithPayloadSha256, startPartUpload, type PartUploadTarget } from '../../../functions/adapters/s3-part-upload';
import { createTestBucket } from '../../helpers/s3';

const MiB = 1024 * 1024;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  ({ s3, bucket } = await createTestBucket({ versioning: true }));
});

function target(key: string): PartUploadTarget {
  return { client: s3, bucket, key, contentType: 'application/x-gzip', metadata: { 'consul-cluster': 'c1' }, call: (_operation, fn) => fn() };
}

describe('S3 part upload on radosgw', () => {
  it('stores exactly the parts sent, each signed with its own digest', async () => {
    // Prepare
    const parts = [randomBytes(5 * MiB), randomBytes(123_457)];

    // Act
    const upload = await startPartUpload(target('whole.snap'));
    await upload.uploadPart(1, parts[0]);
    await upload.uploadPart(2, parts[1]);
    const { versionId } = await upload.complete();

    // Assess
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'whole.snap', VersionId: versionId }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    expect(bytes.equals(Buffer.concat(parts))).toBe(true);
  });

  it('is refused by S3 when the body does not match the signed payload hash', async () => {
    // Prepare
    const upload = await startPartUpload(target('tampered.snap'));
    const created = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'tampered.snap' }));
    const uploadId = created.Uploads?.[0]?.UploadId as string;
    const body = randomBytes(1000);
    const otherDigest = createHash('sha256').update(randomBytes(1000)).digest('hex');

    // Act
    const attempt = s3.send(signWithPayloadSha256(new UploadPartCommand({ Bucket: bucket, Key: 'tampered.snap', UploadId: uploadId, PartNumber: 1, Body: body }), otherDigest));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: expect.stringMatching(/XAmzContentSHA256Mismatch|BadDigest|SignatureDoesNotMatch/) });
    await upload.abort();
    const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'tampered.snap' }));
    expect(left.Uploads ?? []).toEqual([]);
  });
});
