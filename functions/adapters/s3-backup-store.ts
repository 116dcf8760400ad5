import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type {
  BackupMetadata,
  BackupStore,
  IncompleteUpload,
  PartUpload,
  StoredBackup,
  StoredContents,
  VerifiedBackupFacts,
} from '../core/backup/ports';
import { normalizePrefix } from '../core/backup/backup-key';
import { BACKUP_KINDS, type BackupKind } from '../core/backup/ports';
import { ConsulOpsError } from '../core/shared/errors';
import { putWithSha256, startPartUpload, type PartUploadTarget } from './s3-part-upload';

/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
/** The default part size: 8 MiB (three part buffers, 24 MiB, are the backup's whole working memory). */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;

/** Object tags that mark a verified backup. Tags (unlike metadata) can be added after the upload completed. */
export const BACKUP_TAGS = {
  verified: 'consul-ops:verified',
  sha256: 'consul-ops:sha256',
  raftIndex: 'consul-ops:raft-index',
  raftTerm: 'consul-ops:raft-term',
  kind: 'consul-ops:kind',
} as const;

/** The key of a backup's contents object: `<key>.contents.json`, beside the archive (same prefix, same grants). */
export function contentsKey(backupKey: string): string {
  return `${backupKey}.contents.json`;
}

const METADATA_KEYS: Record<keyof BackupMetadata, string> = {
  cluster: 'consul-cluster',
  datacenter: 'consul-datacenter',
  consulVersion: 'consul-version',
  takenAt: 'taken-at',
  raftIndex: 'raft-index',
};

/** Settings of {@link S3BackupStore}. */
export interface S3BackupStoreProps {
  readonly client: S3Client;
  readonly bucket: string;
  /** Multipart part size; memory use is about partSize × (queueSize + 1) whatever the snapshot size. @default 8 MiB */
  readonly partSizeBytes?: number;
  /** Parts uploaded in parallel. @default 2 */
  readonly queueSize?: number;
}

/** S3 said no (permissions, KMS, missing bucket): the operator has to fix access. */
export class BackupStoreError extends ConsulOpsError {
  constructor(operation: string, bucket: string, cause: unknown) {
    const name = (cause as { name?: string })?.name ?? 'Error';
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('BACKUP_STORE_FAILED', `S3 ${operation} on bucket ${bucket} failed: ${name}: ${detail}`, 'Check that the bucket exists, the function may use it and its KMS key, and the S3 endpoint is reachable.', {
      context: { operation, bucket, errorName: name },
      cause,
    });
  }
}

/**
 * The S3 implementation of {@link BackupStore}: multipart uploads from the caller's part buffers with one SHA-256
 * per part (`s3-part-upload.ts`), verified-marking
 * by object tags, listing by `ListObjectVersions`, deletes as delete markers (recoverable until lifecycle expiry).
 */
export class S3BackupStore implements BackupStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  /** @inheritdoc */
  readonly partSizeBytes: number;
  /** @inheritdoc */
  readonly partsInFlight: number;

  constructor(props: S3BackupStoreProps) {
    this.client = props.client;
    this.bucket = props.bucket;
    this.partSizeBytes = props.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
    this.partsInFlight = props.queueSize ?? 2;
    if (this.partSizeBytes < MIN_PART_SIZE_BYTES) throw new RangeError(`partSizeBytes must be at least ${MIN_PART_SIZE_BYTES} (S3's minimum part size), got ${this.partSizeBytes}`);
  }

  /** @inheritdoc */
  async putArchive(request: { key: string; bytes: Uint8Array; metadata: BackupMetadata; signal?: AbortSignal }): Promise<{ versionId: string }> {
    return putWithSha256(this.target(request), request.bytes);
  }

  /** @inheritdoc */
  async beginUpload(request: { key: string; metadata: BackupMetadata; signal?: AbortSignal }): Promise<PartUpload> {
    return startPartUpload(this.target(request));
  }

  /** @inheritdoc */
  async markVerified(key: string, versionId: string, facts: VerifiedBackupFacts): Promise<void> {
    const TagSet: Tag[] = [
      { Key: BACKUP_TAGS.verified, Value: 'true' },
      { Key: BACKUP_TAGS.sha256, Value: facts.sha256 },
      { Key: BACKUP_TAGS.raftIndex, Value: String(facts.raftIndex) },
      { Key: BACKUP_TAGS.raftTerm, Value: String(facts.raftTerm) },
      { Key: BACKUP_TAGS.kind, Value: facts.kind },
    ];
    await this.call('PutObjectTagging', () => this.client.send(new PutObjectTaggingCommand({ Bucket: this.bucket, Key: key, VersionId: versionId, Tagging: { TagSet } })));
  }

  /** @inheritdoc */
  async list(folder: string): Promise<StoredBackup[]> {
    const versions: { key: string; versionId: string; sizeBytes: number; lastModified: Date }[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    // client-s3 has no paginator for ListObjectVersions: page by hand on both markers.
    do {
      const page = await this.call('ListObjectVersions', () =>
        this.client.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: folder, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker })),
      );
      for (const v of page.Versions ?? []) {
        if (!v.IsLatest || !v.Key?.endsWith('.snap')) continue;
        versions.push({ key: v.Key, versionId: v.VersionId ?? 'null', sizeBytes: v.Size ?? 0, lastModified: v.LastModified ?? new Date(0) });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
    return mapLimit(versions, 8, async (v) => ({ ...v, ...(await this.readTags(v.key, v.versionId)) }));
  }

  /** @inheritdoc */
  async listClusters(prefix: string): Promise<string[]> {
    const root = normalizePrefix(prefix) ? `${normalizePrefix(prefix)}/` : '';
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root, Delimiter: '/', ContinuationToken: token })),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) names.add(p.Prefix.slice(root.length, -1));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return [...names].sort();
  }

  /** @inheritdoc */
  async listIncompleteUploads(folder: string): Promise<IncompleteUpload[]> {
    const uploads: IncompleteUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.call('ListMultipartUploads', () =>
        this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: folder, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
      );
      for (const u of page.Uploads ?? []) {
        if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return uploads;
  }

  /** @inheritdoc */
  async abortIncompleteUpload(upload: IncompleteUpload): Promise<void> {
    await this.call('AbortMultipartUpload', () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId })));
  }

  /** @inheritdoc */
  async remove(objects: readonly { key: string; versionId: string }[]): Promise<void> {
    for (let i = 0; i < objects.length; i += 500) {
      // No VersionId: S3 adds a delete marker, so a mistaken prune can be undone until lifecycle expiry.
      // With each archive goes its contents object (a delete marker too; harmless where none was stored).
      const batch = objects.slice(i, i + 500).flatMap((o) => [{ Key: o.key }, { Key: contentsKey(o.key) }]);
      const result = await this.call('DeleteObjects', () => this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } })));
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new BackupStoreError('DeleteObjects', this.bucket, new Error(`${failed.length} object(s) not deleted, first: ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message ?? ''}`.trim()));
      }
    }
  }

  /** @inheritdoc */
  async describe(key: string, versionId?: string): Promise<StoredBackup & { metadata: Partial<BackupMetadata> }> {
    const head = await this.call('HeadObject', () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId })));
    const resolvedVersion = head.VersionId ?? versionId ?? 'null';
    const metadata: Partial<Record<keyof BackupMetadata, string>> = {};
    for (const [field, metaKey] of Object.entries(METADATA_KEYS) as [keyof BackupMetadata, string][]) {
      const value = head.Metadata?.[metaKey];
      if (value !== undefined) metadata[field] = value;
    }
    const tags = await this.readTags(key, resolvedVersion);
    return { key, versionId: resolvedVersion, sizeBytes: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0), ...tags, metadata };
  }

  /** @inheritdoc */
  async open(key: string, versionId: string): Promise<Readable> {
    const object = await this.call('GetObject', () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId })));
    if (!(object.Body instanceof Readable)) throw new BackupStoreError('GetObject', this.bucket, new Error('response body is not a stream'));
    return object.Body;
  }

  /** @inheritdoc */
  async saveContents(contents: StoredContents): Promise<void> {
    const body = JSON.stringify(contents);
    await this.call('PutObject', () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: contentsKey(contents.key), Body: body, ContentType: 'application/json; charset=utf-8' })),
    );
  }

  /** @inheritdoc */
  async loadContents(key: string, versionId: string): Promise<StoredContents | undefined> {
    let text: string;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: contentsKey(key) }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new BackupStoreError('GetObject', this.bucket, err);
    }
    let parsed: StoredContents;
    try {
      parsed = JSON.parse(text) as StoredContents;
    } catch {
      return undefined;
    }
    // Contents of another version of the key describe another archive.
    return parsed?.version === 1 && parsed.key === key && parsed.versionId === versionId ? parsed : undefined;
  }

  private target(request: { key: string; metadata: BackupMetadata; signal?: AbortSignal }): PartUploadTarget {
    const metadata = Object.fromEntries(
      (Object.keys(METADATA_KEYS) as (keyof BackupMetadata)[]).map((k) => [METADATA_KEYS[k], request.metadata[k]]),
    );
    return {
      client: this.client,
      bucket: this.bucket,
      key: request.key,
      contentType: 'application/x-gzip',
      metadata,
      signal: request.signal,
      call: (operation, fn) => this.call(operation, fn),
    };
  }

  private async readTags(key: string, versionId: string): Promise<Pick<StoredBackup, 'verified' | 'facts'>> {
    const tagging = await this.call('GetObjectTagging', () => this.client.send(new GetObjectTaggingCommand({ Bucket: this.bucket, Key: key, VersionId: versionId })));
    const tags = new Map((tagging.TagSet ?? []).map((t) => [t.Key, t.Value]));
    if (tags.get(BACKUP_TAGS.verified) !== 'true') return { verified: false };
    const kind = tags.get(BACKUP_TAGS.kind) as BackupKind | undefined;
    return {
      verified: true,
      facts: {
        sha256: tags.get(BACKUP_TAGS.sha256) ?? '',
        raftIndex: Number(tags.get(BACKUP_TAGS.raftIndex) ?? 0),
        raftTerm: Number(tags.get(BACKUP_TAGS.raftTerm) ?? 0),
        kind: kind && BACKUP_KINDS.includes(kind) ? kind : 'scheduled',
      },
    };
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new BackupStoreError(operation, this.bucket, err);
    }
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}
