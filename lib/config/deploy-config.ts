import * as path from 'node:path';
import { z } from 'zod';
import { readYamlFile, YamlFileProblem } from '../../functions/adapters/yaml-file';
import { ConsulOpsError } from '../../functions/core/shared/errors';
import { SEVERITIES } from '../../functions/core/shared/severity';
import { DEFAULT_BUCKET, DEFAULT_STACK_NAME_PREFIX } from '../../functions/core/shared/defaults';
import { clusterSchema } from './cluster-schema';
import { checkCrossFieldRules } from './config-rules';
import { ACCOUNT, EMAIL, PRINCIPAL_ARN, REGION, S3_BUCKET_ARN, bool, count, kmsKeyArn, list, pattern, positiveInt, secretArn } from './schema-fields';
import { errorMessage, strictObject } from './schema-messages';

/**
 * The deployment config of consul-ops: which Consul clusters to back up, where their servers and secrets are, and how
 * the shared bucket, topics and network are set up. Read from YAML or JSON by {@link loadDeployConfig}; every field
 * with a default can be left out. The field types live in `schema-fields.ts`, a cluster in `cluster-schema.ts`, the
 * rules that span fields in `config-rules.ts`.
 */

/** Stack name prefix: a letter, then letters, digits and dashes (CloudFormation stack names), at most 40 characters. */
const STACK_PREFIX = /^[A-Za-z](?:[A-Za-z0-9-]{0,38}[A-Za-z0-9])?$/;

const deploymentSchema = strictObject(`e.g. { stackNamePrefix: "ConsulOps-staging", account: "123456789012", region: "eu-west-1" }`, {
  stackNamePrefix: pattern(STACK_PREFIX, `a stack name prefix (a letter, then letters, digits or dashes; at most 40 characters), e.g. ${DEFAULT_STACK_NAME_PREFIX}-staging`).default(DEFAULT_STACK_NAME_PREFIX),
  account: pattern(ACCOUNT, 'a 12-digit AWS account id in quotes, e.g. "123456789012"').optional(),
  region: pattern(REGION, 'an AWS Region, e.g. eu-west-1').optional(),
});

const replicaSchema = strictObject('e.g. { bucketArn: "arn:aws:s3:::consul-ops-replica", kmsKeyArn: "arn:aws:kms:eu-central-1:210987654321:key/…" }', {
  bucketArn: pattern(S3_BUCKET_ARN, 'an S3 bucket ARN, e.g. arn:aws:s3:::consul-ops-replica'),
  kmsKeyArn: kmsKeyArn('encrypts the replica bucket (replicas are re-encrypted with it)'),
  region: pattern(REGION, 'an AWS Region, e.g. eu-central-1').optional(),
  account: pattern(ACCOUNT, 'a 12-digit AWS account id in quotes, e.g. "210987654321"').optional(),
  replicationTimeControl: bool().default(false),
});

const bucketSchema = strictObject(`e.g. { noncurrentVersionExpirationDays: ${DEFAULT_BUCKET.noncurrentVersionExpirationDays} }`, {
  noncurrentVersionExpirationDays: positiveInt('a whole number of days', DEFAULT_BUCKET.noncurrentVersionExpirationDays, 36_500).default(DEFAULT_BUCKET.noncurrentVersionExpirationDays),
  objectLock: strictObject('e.g. { mode: "GOVERNANCE", days: 7 }', {
    mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { error: 'expected GOVERNANCE or COMPLIANCE' }),
    days: positiveInt('a whole number of days', 7, 36_500),
  }).optional(),
  transitionToGlacierAfterDays: count('a whole number of days', 30, 36_500).optional(),
  accessLogging: bool().default(false),
  replica: replicaSchema.optional(),
});

const notificationsSchema = strictObject('e.g. { emails: ["ops@example.com"] }', {
  emails: list(pattern(EMAIL, 'an email address, e.g. ops@example.com'), 'a list of email addresses, e.g. ["ops@example.com"]').default([]),
  slackWebhookSecretArn: secretArn('the Slack webhook URL secret').optional(),
  slackWebhookKmsKeyArn: kmsKeyArn('encrypts the Slack webhook secret').optional(),
  emailSeverities: list(z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` }), 'a list of severities, e.g. ["critical","high"]', 1).default(['critical', 'high']),
});

/** The zod schema of a deployment config file. Prefer {@link loadDeployConfig}, which formats errors. */
export const deployConfigSchema = strictObject('e.g. { clusters: [{ name: "prod-east", … }] }', {
  deployment: deploymentSchema.prefault({}),
  clusters: list(clusterSchema, 'a list of clusters, e.g. [{ name: "prod-east", consul: {…}, network: {…} }]', 1),
  notifications: notificationsSchema.prefault({}),
  bucket: bucketSchema.prefault({}),
  network: strictObject('e.g. { createVpcEndpoints: true }', { createVpcEndpoints: bool().default(false) }).prefault({}),
  restore: strictObject('e.g. { allowedPrincipalArns: ["arn:aws:iam::123456789012:role/consul-restore"] }', {
    allowedPrincipalArns: list(
      pattern(PRINCIPAL_ARN, 'an IAM role or user ARN, e.g. arn:aws:iam::123456789012:role/consul-restore'),
      'a list of IAM role or user ARNs, e.g. ["arn:aws:iam::123456789012:role/consul-restore"]',
    ).default([]),
  }).prefault({}),
  // Only once every field is valid on its own: a rule over an invalid value would add a second, confusing line.
}).superRefine(checkCrossFieldRules, { when: (payload) => payload.issues.length === 0 });

/** A parsed deployment config with every default applied. */
export type DeployConfig = z.output<typeof deployConfigSchema>;
/** What a config file may contain: defaulted fields are optional. */
export type DeployConfigInput = z.input<typeof deployConfigSchema>;
/** One Consul cluster of a {@link DeployConfig}. */
export type ClusterConfig = DeployConfig['clusters'][number];
/** How one cluster's servers are reached. */
export type ConsulConnectionConfig = ClusterConfig['consul'];
/** The VPC, subnets and security group a cluster's Lambdas run in. */
export type ClusterNetworkConfig = ClusterConfig['network'];
/** When and how one cluster is backed up. */
export type BackupConfig = ClusterConfig['backup'];
/** The scheduled intention audit of one cluster. */
export type IntentionAuditConfig = ClusterConfig['intentions'];
/** GFS retention of one cluster's snapshots. */
export type RetentionConfig = BackupConfig['retention'];
/** Settings of the shared snapshot bucket. */
export type BucketConfig = DeployConfig['bucket'];
/** The optional cross-Region / cross-account copy of every backup. */
export type ReplicaConfig = NonNullable<BucketConfig['replica']>;
/** Who is told about reports. */
export type NotificationsConfig = DeployConfig['notifications'];
/** ACL token rotation of one cluster (absent: off). */
export type RotationConfig = NonNullable<ClusterConfig['rotation']>;
/** The certificate check of one cluster. */
export type CertificatesConfig = ClusterConfig['certificates'];
/** Stack name prefix, account and Region of the deployment. */
export type DeploymentConfig = DeployConfig['deployment'];

/**
 * A deploy config that failed to load or validate. `problems` holds one line per problem, each naming the field path
 * and an example of a valid value; `message` is those lines joined by newlines.
 */
export class DeployConfigError extends ConsulOpsError {
  /** One message per problem, e.g. `clusters[0].consul.addresses[1]: expected an https:// URL, e.g. https://consul.internal:8501`. */
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', problems.join('\n'), `Fix ${source} and run cdk synth again; see README "Deployment config reference".`, {
      context: { source },
      cause: options.cause,
    });
    this.problems = problems;
  }
}

/**
 * Validates a config object and applies defaults.
 *
 * @param raw the parsed YAML/JSON value
 * @param source where it came from, used in the error remedy
 * @throws DeployConfigError with one problem per invalid field
 */
export function parseDeployConfig(raw: unknown, source = 'the deploy config'): DeployConfig {
  const result = deployConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new DeployConfigError(source, result.error.issues.flatMap(errorMessage));
}

/**
 * Loads a deployment config from a YAML or JSON file (or takes an already parsed object) and validates it.
 *
 * @example
 * const config = loadDeployConfig(process.env.CONSUL_OPS_CONFIG ?? DEFAULT_DEPLOY_CONFIG);
 * @throws DeployConfigError when the file cannot be read or parsed, or a field is invalid
 */
export function loadDeployConfig(pathOrObject: string | DeployConfigInput | Record<string, unknown>): DeployConfig {
  if (typeof pathOrObject !== 'string') return parseDeployConfig(pathOrObject);
  let raw: unknown;
  try {
    raw = readYamlFile(path.resolve(pathOrObject), pathOrObject, 'a YAML or JSON deploy config, e.g. config/prod.yaml');
  } catch (err) {
    if (err instanceof YamlFileProblem) throw new DeployConfigError(pathOrObject, [err.message], { cause: err.cause });
    throw err;
  }
  return parseDeployConfig(raw, pathOrObject);
}
