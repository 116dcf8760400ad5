/**
 * S3 helpers for integration tests (`*.int.test.ts`), which run against the radosgw started by
 * `test/global-setup.ts`.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3ClientForLocal } from '../../local/radosgw';

let client: S3Client | undefined;

/**
 * The S3 client of the integration run: radosgw's endpoint, path-style, `WHEN_REQUIRED` checksums.
 * Throws outside the `integration` project, where no radosgw runs.
 */
export function testS3Client(): S3Client {
  const endpoint = process.env.CONSUL_OPS_TEST_S3_ENDPOINT;
  if (endpoint === undefined) {
    throw new Error('CONSUL_OPS_TEST_S3_ENDPOINT is not set: S3 tests must be *.int.test.ts files (jest --selectProjects integration).');
  }
  client ??= s3ClientForLocal({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'testkey',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'testsecret',
  });
  return client;
}

/** Options of {@link createTestBucket}. */
export interface TestBucketOptions {
  /** @default true */
  readonly versioning?: boolean;
  /** Create the bucket with `ObjectLockEnabledForBucket` (which implies versioning). @default false */
  readonly objectLock?: boolean;
}

/**
 * Creates a bucket with a name unique to the calling test file (and call), e.g. `ct-radosgw-3f9a1c20`.
 * Buckets are not deleted: the whole radosgw is thrown away at the end of the run.
 *
 * @example
 * const { bucket, s3 } = await createTestBucket({ versioning: true });
 */
export async function createTestBucket(options: TestBucketOptions = {}): Promise<{ bucket: string; s3: S3Client }> {
  const s3 = testS3Client();
  const testFile = basename(expect.getState().testPath ?? 'test').replace(/(\.int)?\.test\.ts$/, '');
  const slug = testFile.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  const bucket = `ct-${slug || 'test'}-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: options.objectLock === true ? true : undefined }));
  if ((options.versioning ?? true) && options.objectLock !== true) {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  }
  return { bucket, s3 };
}
