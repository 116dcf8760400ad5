import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { IntentionAuditDocument, IntentionAuditStore } from '../core/intentions/ports';
import { reportKey, ReportStoreError } from './s3-report-state';

/** Settings of {@link S3IntentionAuditStore}. */
export interface S3IntentionAuditStoreProps {
  readonly client: S3Client;
  /** The backup bucket (its default SSE-KMS encryption applies). */
  readonly bucket: string;
}

/** `reports/<cluster>/intentions/<yyyymmddThhmmss.sssZ>.json`, from the document's `scannedAt`. */
export function intentionAuditKey(document: Pick<IntentionAuditDocument, 'cluster' | 'scannedAt'>): string {
  return reportKey({ cluster: document.cluster, feature: 'intentions', occurredAt: document.scannedAt });
}

/**
 * Stores full intention audit documents as JSON in the backup bucket, where the reports of every feature live. The
 * function's role may put objects under `reports/<cluster>/intentions/` only.
 */
export class S3IntentionAuditStore implements IntentionAuditStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(props: S3IntentionAuditStoreProps) {
    this.client = props.client;
    this.bucket = props.bucket;
  }

  /** @inheritdoc */
  async saveAudit(document: IntentionAuditDocument): Promise<string> {
    const key = intentionAuditKey(document);
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(document, null, 2), ContentType: 'application/json; charset=utf-8' }),
      );
    } catch (err) {
      throw new ReportStoreError('PutObject', this.bucket, key, err);
    }
    return `s3://${this.bucket}/${key}`;
  }
}
