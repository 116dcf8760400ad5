import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { assertClusterName } from '../core/backup/backup-key';
import { ConsulOpsError } from '../core/shared/errors';
import { REPORT_FEATURES, type Report, type ReportFeature } from '../core/report/report';
import type { ReportState } from '../core/report/dedupe';
import type { ReportStateOf, ReportStore } from '../core/report/ports';

/** Key prefixes of reporting data in the backup bucket; the CDK grants are scoped to `<prefix><cluster>/`. */
export const REPORT_KEY_PREFIXES = { state: 'state/', reports: 'reports/' } as const;

/** Settings of {@link S3ReportState}. */
export interface S3ReportStateProps {
  readonly client: S3Client;
  /** The backup bucket. */
  readonly bucket: string;
}

/** S3 refused or failed a report or state read/write. */
export class ReportStoreError extends ConsulOpsError {
  constructor(operation: string, bucket: string, key: string, cause: unknown) {
    const name = (cause as { name?: string })?.name ?? 'Error';
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'REPORT_STORE_FAILED',
      `S3 ${operation} of ${key} in bucket ${bucket} failed: ${name}: ${detail}`,
      'Check that the function may read and write the state/ and reports/ prefixes of its cluster (and use the bucket key), and that the S3 endpoint is reachable.',
      { context: { operation, bucket, key, errorName: name }, cause },
    );
  }
}

/** The saved state is not a consul-ops report state (hand-edited, or from a newer version). */
export class ReportStateInvalidError extends ConsulOpsError {
  constructor(bucket: string, key: string) {
    super('REPORT_STATE_INVALID', `s3://${bucket}/${key} is not a valid report state`, `Delete s3://${bucket}/${key}; the next run starts a fresh state (and notifies once).`, {
      context: { bucket, key },
    });
  }
}

/**
 * `state/<cluster>/<feature>.json`, or `state/<cluster>/<feature>/<scope>.json` for a scoped report (the scope made
 * key-safe: anything but letters, digits, `.`, `_` and `-` becomes `_`, with a short hash of the original when that
 * changed it, so two scopes never share a state).
 */
export function reportStateKey(cluster: string, feature: ReportFeature, scope?: string): string {
  assertClusterName(cluster);
  if (scope === undefined) return `${REPORT_KEY_PREFIXES.state}${cluster}/${feature}.json`;
  const safe = scope.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 200);
  const suffix = safe === scope ? '' : `-${createHash('sha256').update(scope).digest('hex').slice(0, 8)}`;
  return `${REPORT_KEY_PREFIXES.state}${cluster}/${feature}/${safe}${suffix}.json`;
}

/** `reports/<cluster>/<feature>/<yyyymmddThhmmss.sssZ>.json`, from the report's `occurredAt`. */
export function reportKey(report: Pick<Report, 'cluster' | 'feature' | 'occurredAt'>): string {
  assertClusterName(report.cluster);
  const stamp = new Date(report.occurredAt).toISOString().replace(/[-:]/g, '');
  return `${REPORT_KEY_PREFIXES.reports}${report.cluster}/${report.feature}/${stamp}.json`;
}

/**
 * Full JSON reports and the per-cluster, per-feature dedupe state, as small JSON objects in the backup bucket (its
 * default SSE-KMS encryption applies). Existence of the state is checked with a prefix-scoped `ListObjectsV2`
 * first: without `s3:ListBucket` on the key, S3 answers a missing key with 403 instead of 404, and the grant is
 * conditioned on `s3:prefix`, which a `GetObject` does not carry.
 */
export class S3ReportState implements ReportStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(props: S3ReportStateProps) {
    this.client = props.client;
    this.bucket = props.bucket;
  }

  /** @inheritdoc */
  async saveReport(report: Report): Promise<string> {
    const key = reportKey(report);
    await this.put(key, JSON.stringify({ ...report, reportUrl: `s3://${this.bucket}/${key}` }, null, 2));
    return `s3://${this.bucket}/${key}`;
  }

  /** @inheritdoc */
  async loadState(of: ReportStateOf): Promise<ReportState | undefined> {
    const key = reportStateKey(of.cluster, of.feature, of.scope);
    const listing = await this.call('ListObjectsV2', key, () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 })));
    if (!listing.Contents?.some((o) => o.Key === key)) return undefined;
    let text: string;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new ReportStoreError('GetObject', this.bucket, key, err);
    }
    return parseState(text, of) ?? throwInvalid(this.bucket, key);
  }

  /** @inheritdoc */
  async saveState(state: ReportState): Promise<void> {
    await this.put(reportStateKey(state.cluster, state.feature, state.scope), JSON.stringify(state));
  }

  private async put(key: string, body: string): Promise<void> {
    await this.call('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json; charset=utf-8' })),
    );
  }

  private async call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ReportStoreError(operation, this.bucket, key, err);
    }
  }
}

function parseState(text: string, of: ReportStateOf): ReportState | undefined {
  try {
    const state = JSON.parse(text) as Partial<ReportState>;
    const valid =
      state.version === 1 &&
      state.cluster === of.cluster &&
      state.feature === of.feature &&
      state.scope === of.scope &&
      (REPORT_FEATURES as readonly string[]).includes(state.feature) &&
      typeof state.fingerprint === 'string' &&
      typeof state.findings === 'object' &&
      state.findings !== null &&
      typeof state.complete === 'boolean' &&
      typeof state.lastRunAt === 'string';
    return valid ? (state as ReportState) : undefined;
  } catch {
    return undefined;
  }
}

function throwInvalid(bucket: string, key: string): never {
  throw new ReportStateInvalidError(bucket, key);
}
