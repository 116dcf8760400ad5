/**
 * Factories for the AWS SDK v3 clients used by handlers and the CLI.
 *
 * The clients take everything from the SDK's standard configuration, which the SDK reads itself: `AWS_REGION`,
 * the credential chain, `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `AWS_ENDPOINT_URL_S3`),
 * `AWS_REQUEST_CHECKSUM_CALCULATION` and `AWS_RESPONSE_CHECKSUM_VALIDATION`. Local runs point those at radosgw,
 * fauxqs or the Secrets Manager fake; production sets none of the endpoint or checksum variables.
 *
 * Invariant: product code never weakens S3 checksums. Production keeps the SDK default (flexible checksums on
 * every upload); backup archives always carry a SHA-256 per part (`x-amz-checksum-sha256`), whatever the setting:
 * the backup computes each part's SHA-256 once itself (`s3-part-upload.ts`) and sends that digest both as the
 * checksum (`ChecksumSHA256`, so the SDK adds none of its own) and as SigV4's payload hash
 * (`x-amz-content-sha256`, which S3 checks against the body too), instead of the SDK hashing each part twice.
 * Only the environment of a local run relaxes the SDK's own checksums to `WHEN_REQUIRED`, because no local S3 server
 * understands them; radosgw still checks the signed payload hash.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

/** The environment variables the factories look at (a subset of `process.env`). */
export type AwsClientEnv = Readonly<Record<string, string | undefined>>;

/**
 * The custom S3 endpoint the SDK will use, or `undefined` for the real AWS endpoint.
 *
 * Mirrors the SDK's own precedence: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, both switched off by
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
 */
export function configuredS3Endpoint(env: AwsClientEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  return nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
}

/**
 * An S3 client for the snapshot store.
 *
 * Path-style addressing is switched on whenever a custom endpoint is configured: local servers (radosgw, fauxqs)
 * cannot resolve `<bucket>.127.0.0.1`. Against real AWS the SDK default (virtual-hosted style) stays.
 *
 * @param env the process environment; tests may pass a copy. The SDK itself always reads `process.env`, so pass
 *   the same variables there when the endpoint matters.
 * @example
 * const s3 = createS3Client();
 */
export function createS3Client(env: AwsClientEnv = process.env): S3Client {
  return new S3Client(configuredS3Endpoint(env) === undefined ? {} : { forcePathStyle: true });
}

/** An SNS client for operator reports (endpoint override: `AWS_ENDPOINT_URL_SNS`). */
export function createSnsClient(): SNSClient {
  return new SNSClient({});
}

/** A Secrets Manager client for token storage and rotation (endpoint override: `AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}

/** A Lambda client, e.g. for the CLI to invoke a deployed handler (endpoint override: `AWS_ENDPOINT_URL_LAMBDA`). */
export function createLambdaClient(): LambdaClient {
  return new LambdaClient({});
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
