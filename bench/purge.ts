/**
 * Keeps radosgw's memstore small during the benchmark: every run stores a copy of a 0.4–1 GB archive, and a full run
 * would otherwise hold ~12 GB in memory (radosgw's memstore lives in RAM). After each run everything is deleted
 * except the one backup the restores read, including restic's repositories (one bucket per run).
 */
import { DeleteBucketCommand, DeleteObjectsCommand, ListBucketsCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';

/** Deletes every version and delete marker in `bucket` whose key is not `keep`. */
export async function purgeBucket(s3: S3Client, bucket: string, keep?: string): Promise<void> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    const doomed = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((v) => v.Key !== undefined && v.Key !== keep && v.Key !== 'warm-up')
      .map((v) => ({ Key: v.Key as string, VersionId: v.VersionId }));
    for (let i = 0; i < doomed.length; i += 1000) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: doomed.slice(i, i + 1000), Quiet: true } }));
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
}

/** Empties and removes the buckets whose name starts with `prefix` (restic's repositories). */
export async function removeBuckets(s3: S3Client, prefix: string): Promise<void> {
  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
  for (const b of Buckets.filter((x) => x.Name?.startsWith(prefix))) {
    await purgeBucket(s3, b.Name as string);
    await s3.send(new DeleteBucketCommand({ Bucket: b.Name as string }));
  }
}
