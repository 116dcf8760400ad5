import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { PartUpload } from '../core/backup/ports';

/**
 * The backup's multipart upload, on the SDK's S3 client with no buffering of its own (the caller's part buffers are
 * sent as they are) and one SHA-256 per part: the digest is sent as the part's `x-amz-checksum-sha256`
 * (`ChecksumSHA256`, so the SDK's flexible-checksum step computes none) and as SigV4's payload hash
 * (`x-amz-content-sha256`, so the signer hashes nothing either). lib-storage instead copies every byte into new part
 * buffers and hashes each part twice.
 */

/** One SHA-256 over a part: base64 for the S3 checksum, hex for SigV4's payload hash. */
export interface PartDigest {
  readonly base64: string;
  readonly hex: string;
}

/** The part's SHA-256, computed once. */
export function digestPart(bytes: Uint8Array): PartDigest {
  const digest = createHash('sha256').update(bytes).digest();
  return { base64: digest.toString('base64'), hex: digest.toString('hex') };
}

/** What to send: the body and the digest the request is checked and signed with. */
type BodyCommand = UploadPartCommand | PutObjectCommand;

/**
 * Makes the signer use `hex` as the payload hash: SigV4 takes `x-amz-content-sha256` as is when the request carries
 * it (`getPayloadHash` in @smithy/signature-v4), which S3 then checks against the body it receives.
 */
export function signWithPayloadSha256<C extends BodyCommand>(command: C, hex: string): C {
  const stack = command.middlewareStack as unknown as BuildStack;
  stack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = hex;
      return next(args);
    },
    { step: 'build', name: 'consulOpsPayloadSha256', override: true },
  );
  return command;
}

/** The one middleware-stack signature used above (the SDK's own type is a union per command). */
interface BuildStack {
  add(
    middleware: (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>,
    options: { step: 'build'; name: string; override: boolean },
  ): void;
}

/** Where an upload goes and how it is described. */
export interface PartUploadTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly signal?: AbortSignal;
  /** Wraps an S3 call so its failure names the operation (the store's error type). */
  readonly call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>;
}

/** Stores `bytes` with one PutObject, SHA-256 checked. */
export async function putWithSha256(target: PartUploadTarget, bytes: Uint8Array): Promise<{ versionId: string }> {
  const digest = digestPart(bytes);
  const command = new PutObjectCommand({
    Bucket: target.bucket,
    Key: target.key,
    Body: bytes,
    ContentLength: bytes.length,
    ContentType: target.contentType,
    Metadata: target.metadata,
    ChecksumAlgorithm: 'SHA256',
    ChecksumSHA256: digest.base64,
  });
  const result = await target.call('PutObject', () => target.client.send(signWithPayloadSha256(command, digest.hex), { abortSignal: target.signal }));
  // An unversioned bucket answers without a version id; S3 calls that version "null".
  return { versionId: result.VersionId ?? 'null' };
}

/** Starts a multipart upload with SHA-256 checksums. */
export async function startPartUpload(target: PartUploadTarget): Promise<PartUpload> {
  const created = await target.call('CreateMultipartUpload', () =>
    target.client.send(
      new CreateMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        ContentType: target.contentType,
        Metadata: target.metadata,
        ChecksumAlgorithm: 'SHA256',
      }),
      { abortSignal: target.signal },
    ),
  );
  if (!created.UploadId) throw new Error(`CreateMultipartUpload for ${target.key} returned no upload id`);
  return new S3PartUpload(target, created.UploadId);
}

class S3PartUpload implements PartUpload {
  private readonly parts: CompletedPart[] = [];

  constructor(
    private readonly target: PartUploadTarget,
    private readonly uploadId: string,
  ) {}

  async uploadPart(partNumber: number, bytes: Uint8Array): Promise<void> {
    const { client, bucket, key, signal } = this.target;
    const digest = digestPart(bytes);
    const command = new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: this.uploadId,
      PartNumber: partNumber,
      Body: bytes,
      ContentLength: bytes.length,
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: digest.base64,
    });
    const result = await this.target.call('UploadPart', () => client.send(signWithPayloadSha256(command, digest.hex), { abortSignal: signal }));
    this.parts.push({ PartNumber: partNumber, ETag: result.ETag, ChecksumSHA256: digest.base64 });
  }

  async complete(): Promise<{ versionId: string }> {
    const { client, bucket, key, signal } = this.target;
    const Parts = [...this.parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const result = await this.target.call('CompleteMultipartUpload', () =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId, MultipartUpload: { Parts } }), { abortSignal: signal }),
    );
    return { versionId: result.VersionId ?? 'null' };
  }

  async abort(): Promise<void> {
    const { client, bucket, key } = this.target;
    // No abort signal: the abort must go out even when the run is being stopped.
    await this.target.call('AbortMultipartUpload', () => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId })));
  }
}
