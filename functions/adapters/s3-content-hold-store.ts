import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { assertClusterName } from '../core/backup/backup-key';
import { CONTENT_HOLD_STATUSES, retentionHoldOf, type ContentHold } from '../core/backup/content-hold';
import type { ContentHoldStore } from '../core/backup/ports';
import type { RetentionHold } from '../core/retention/ports';
import { ConsulOpsError } from '../core/shared/errors';
import { REPORT_KEY_PREFIXES, ReportStoreError } from './s3-report-state';

/** `state/<cluster>/content-drop-hold.json`: beside the report state, inside the grants every backup function has. */
export function contentHoldKey(cluster: string): string {
  assertClusterName(cluster);
  return `${REPORT_KEY_PREFIXES.state}${cluster}/content-drop-hold.json`;
}

/** The stored hold is not one consul-ops wrote: retention refuses to guess. */
export class ContentHoldInvalidError extends ConsulOpsError {
  constructor(bucket: string, key: string) {
    super('CONTENT_HOLD_INVALID', `s3://${bucket}/${key} is not a valid content-drop hold`, `Look at it (an earlier version is kept by bucket versioning); if no hold should be open, run \`consul-ops ack-drop\` or delete it. Until then retention deletes nothing it might protect.`, {
      context: { bucket, key },
    });
  }
}

/**
 * The content-drop hold of each cluster as a small JSON object in the backup bucket (its SSE-KMS applies). A closed
 * hold is overwritten with its closed status rather than deleted (the functions may put, not delete, under
 * `state/`), so the last drop and who closed it stay readable. Existence is checked with a prefix-scoped
 * `ListObjectsV2` first, as for the report state (a missing key reads as 403 without `s3:ListBucket`).
 */
export class S3ContentHoldStore implements ContentHoldStore {
  constructor(private readonly props: { readonly client: S3Client; readonly bucket: string }) {}

  /** @inheritdoc */
  async load(cluster: string): Promise<ContentHold | undefined> {
    const key = contentHoldKey(cluster);
    const { client, bucket } = this.props;
    const listing = await this.call('ListObjectsV2', key, () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 })));
    if (!listing.Contents?.some((o) => o.Key === key)) return undefined;
    const text = await this.call('GetObject', key, async () => (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString('utf8'));
    const hold = parseHold(text ?? '', cluster);
    if (hold === undefined) throw new ContentHoldInvalidError(bucket, key);
    return hold;
  }

  /** @inheritdoc */
  async save(hold: ContentHold): Promise<void> {
    const key = contentHoldKey(hold.cluster);
    await this.call('PutObject', key, () =>
      this.props.client.send(new PutObjectCommand({ Bucket: this.props.bucket, Key: key, Body: JSON.stringify(hold, null, 1), ContentType: 'application/json; charset=utf-8' })),
    );
  }

  /** @inheritdoc */
  async listHolds(cluster: string): Promise<readonly RetentionHold[]> {
    return retentionHoldOf(await this.load(cluster));
  }

  private async call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ReportStoreError(operation, this.props.bucket, key, err);
    }
  }
}

function parseHold(text: string, cluster: string): ContentHold | undefined {
  try {
    const hold = JSON.parse(text) as Partial<ContentHold>;
    const valid =
      hold.version === 1 &&
      hold.cluster === cluster &&
      (CONTENT_HOLD_STATUSES as readonly string[]).includes(hold.status ?? '') &&
      typeof hold.held?.key === 'string' &&
      typeof hold.held.versionId === 'string' &&
      typeof hold.baseline === 'object' &&
      Array.isArray(hold.findings);
    return valid ? (hold as ContentHold) : undefined;
  } catch {
    return undefined;
  }
}
