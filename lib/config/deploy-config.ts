import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { resolveCertThresholds } from '../../functions/core/certs/thresholds';
import { ConsulOpsError, type InvalidInputError } from '../../functions/core/shared/errors';
import { SEVERITIES } from '../../functions/core/shared/severity';
import { errorMessage, expected, strictObject } from './schema-messages';

/**
 * The deployment config of consul-ops: which Consul clusters to back up, where their servers and secrets are, and how
 * the shared bucket, topic and network are set up. Read from YAML or JSON by {@link loadDeployConfig}; every field with
 * a default can be left out.
 */

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[A-Za-z0-9/_+=,.@-]+$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RATE = /^rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const CRON = /^cron\(\s*\S+(\s+\S+){5}\s*\)$/;
const ec2Id = (prefix: string) => new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

/** Largest inline CA bundle we accept: Lambda allows 4 KB of environment variables in total. */
export const MAX_INLINE_CA_PEM_CHARS = 3000;

const EX = {
  secret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/prod/management-token-AbCdEf',
  url: 'https://consul.internal:8501',
  azs: '["eu-west-1a","eu-west-1b"]',
} as const;

const secretArn = (what: string) =>
  z.string({ error: expected(`a full Secrets Manager ARN of ${what} (with its 6-character suffix), e.g. ${EX.secret}`) })
    .regex(SECRET_ARN, { error: expected(`a full Secrets Manager ARN of ${what} (with its 6-character suffix), e.g. ${EX.secret}`) });

const count = (desc: string, example: number, max = 100_000) =>
  z.number({ error: expected(`${desc}, e.g. ${example}`) })
    .int({ error: expected(`${desc}, e.g. ${example}`) })
    .min(0, { error: expected(`${desc}, e.g. ${example}`) })
    .max(max, { error: expected(`${desc} of at most ${max}, e.g. ${example}`) });

/** A retention count as restic reads it: 0 disables the rule, -1 keeps one snapshot of every period. */
const keepCount = (period: string, example: number) =>
  z.number({ error: expected(`a whole number of ${period} snapshots to keep (-1 = all), e.g. ${example}`) })
    .int({ error: expected(`a whole number of ${period} snapshots to keep (-1 = all), e.g. ${example}`) })
    .min(-1, { error: expected(`a whole number of ${period} snapshots to keep (-1 = all), e.g. ${example}`) })
    .max(100_000, { error: expected(`at most 100000 ${period} snapshots (or -1 for all), e.g. ${example}`) });

const positiveInt = (desc: string, example: number, max: number) =>
  z.number({ error: expected(`${desc}, e.g. ${example}`) })
    .int({ error: expected(`${desc}, e.g. ${example}`) })
    .min(1, { error: expected(`${desc} of at least 1, e.g. ${example}`) })
    .max(max, { error: expected(`${desc} of at most ${max}, e.g. ${example}`) });

const pattern = (re: RegExp, desc: string) => z.string({ error: expected(desc) }).regex(re, { error: expected(desc) });

const list = <T extends z.ZodType>(item: T, desc: string, min = 0) =>
  z.array(item, { error: expected(desc) }).min(min, {
    error: desc.startsWith('a list of') ? `expected ${desc.replace('a list of', 'a non-empty list of')}` : `expected at least one entry: ${desc}`,
  });

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    // Credentials in the URL would leak into the Lambda environment and logs: the token lives in Secrets Manager.
    return url.protocol === 'https:' && url.hostname !== '' && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const retentionSchema = strictObject('e.g. { hourly: 24, daily: 7 }', {
  keepLast: keepCount('most recent', 5).optional(),
  hourly: keepCount('hourly', 24).default(24),
  daily: keepCount('daily', 7).default(7),
  weekly: keepCount('weekly', 4).default(4),
  monthly: keepCount('monthly', 6).default(6),
  yearly: keepCount('yearly', 1).default(0),
  keepMin: keepCount('never-pruned newest', 3)
    .refine((n) => n !== 0, { error: 'expected a whole number of never-pruned newest snapshots of at least 1 (-1 = all), e.g. 3' })
    .default(3),
});

const consulSchema = strictObject(`e.g. { addresses: ["${EX.url}"], managementTokenSecretArn: "${EX.secret}" }`, {
  addresses: list(
    z.string({ error: expected(`an https:// URL, e.g. ${EX.url}`) }).refine(isHttpsUrl, {
      error: `expected an https:// URL, e.g. ${EX.url}`,
    }),
    `a list of https:// URLs of Consul servers, e.g. ["${EX.url}"]`,
    1,
  ),
  caBundleSecretArn: secretArn('a secret holding the PEM CA bundle').optional(),
  caBundlePem: z
    .string({ error: expected('a PEM CA bundle starting with -----BEGIN CERTIFICATE-----') })
    .regex(/-----BEGIN CERTIFICATE-----/, { error: expected('a PEM CA bundle starting with -----BEGIN CERTIFICATE-----') })
    .max(MAX_INLINE_CA_PEM_CHARS, {
      error: `expected at most ${MAX_INLINE_CA_PEM_CHARS} characters (Lambda environment limit); put a larger bundle in Secrets Manager and set caBundleSecretArn instead`,
    })
    .optional(),
  tlsServerName: pattern(DNS_NAME, 'a DNS name the server certificate is valid for, e.g. server.dc1.consul').optional(),
  managementTokenSecretArn: secretArn('the management token secret'),
});

const clusterNetworkSchema = strictObject('e.g. { vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"], securityGroupId: "sg-0123456789abcdef0" }', {
  vpcId: pattern(ec2Id('vpc'), 'a VPC id, e.g. vpc-0123456789abcdef0'),
  subnetIds: list(pattern(ec2Id('subnet'), 'a subnet id, e.g. subnet-0123456789abcdef0'), 'a list of subnet ids, e.g. ["subnet-0123456789abcdef0"]', 1),
  securityGroupId: pattern(ec2Id('sg'), 'a security group id, e.g. sg-0123456789abcdef0'),
  availabilityZones: list(pattern(AZ, 'an availability zone name, e.g. eu-west-1a'), `one availability zone per subnet id, e.g. ${EX.azs}`, 1).optional(),
  routeTableIds: list(pattern(ec2Id('rtb'), 'a route table id, e.g. rtb-0123456789abcdef0'), 'a list of route table ids, e.g. ["rtb-0123456789abcdef0"]', 1).optional(),
});

/** A `rate(…)` or `cron(…)` schedule expression (EventBridge Scheduler syntax), hourly by default. */
const scheduleField = () =>
  z
    .string({ error: expected('a schedule expression, e.g. rate(1 hour) or cron(0 * * * ? *)') })
    .refine((s) => RATE.test(s) || CRON.test(s), { error: 'expected a schedule expression, e.g. rate(1 hour) or cron(0 * * * ? *)' })
    .default('rate(1 hour)');

/** An IANA time zone for cron schedules, UTC by default. */
const timeZoneField = () =>
  z
    .string({ error: expected('an IANA time zone, e.g. Europe/Berlin or UTC') })
    .refine(isTimeZone, { error: 'expected an IANA time zone, e.g. Europe/Berlin or UTC' })
    .default('UTC');

const backupSchema = strictObject('e.g. { schedule: "rate(1 hour)" }', {
  schedule: scheduleField(),
  timeZone: timeZoneField(),
  stale: z.boolean({ error: expected('true or false') }).default(false),
  maxStaleMs: positiveInt('a whole number of milliseconds of leader-contact lag to accept', 10_000, 86_400_000).optional(),
  /**
   * Memory of the snapshot function. Peak memory stays under ~160 MB whatever the snapshot size (see BENCHMARKS.md),
   * but verification is CPU-bound and Lambda gives CPU in proportion to memory: 1024 MB verifies about 4× faster than
   * 256 MB at a similar cost per run.
   */
  memoryMb: positiveInt('the snapshot function memory in MB', 1024, 10_240)
    .refine((v) => v >= 256, { error: 'expected at least 256 (MB), e.g. 1024' })
    .default(1024),
  retention: retentionSchema.prefault({}),
});

/** The scheduled intention audit (on by default: without a baseline it still checks defaults, wildcards and mTLS). */
const intentionsSchema = strictObject('e.g. { schedule: "rate(1 hour)", baselineFile: "config/intentions/prod-east.yaml" }', {
  enabled: z.boolean({ error: expected('true or false') }).default(true),
  schedule: scheduleField(),
  timeZone: timeZoneField(),
  /** JSON or YAML baseline, relative to the directory `cdk synth` runs in; validated and bundled at synth. */
  baselineFile: z.string({ error: expected('a path to a JSON or YAML intention baseline, e.g. config/intentions/prod-east.yaml') })
    .min(1, { error: 'expected a path to a JSON or YAML intention baseline, e.g. config/intentions/prod-east.yaml' })
    .optional(),
});

/** ACL token rotation of one cluster (issue 5); absent means off. See README "Token rotation". */
const rotationSchema = strictObject(`e.g. { tokens: [{ secretArn: "${EX.secret}" }], gracePeriodHours: 24 }`, {
  tokens: list(
    strictObject(`e.g. { secretArn: "${EX.secret}", intervalDays: 30 }`, {
      secretArn: secretArn('a Consul token secret to rotate'),
      intervalDays: positiveInt('a whole number of days between rotations', 30, 1000).default(30),
    }),
    `a list of token secrets to rotate, e.g. [{ secretArn: "${EX.secret}" }]`,
  ).default([]),
  rotateManagementToken: z.boolean({ error: expected('true or false') }).default(false),
  managementTokenIntervalDays: positiveInt('a whole number of days between rotations of the management token', 30, 1000).default(30),
  gracePeriodHours: positiveInt('a whole number of hours a replaced token stays valid', 24, 24_000).default(24),
});

/** `host:port` or `[v6]:port` of a TLS endpoint. */
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

const thresholdPair = (unit: string, ex: { warning: number; critical: number }) =>
  strictObject(`e.g. { warning: ${ex.warning}, critical: ${ex.critical} }`, {
    warning: z.number({ error: expected(`${unit}, e.g. ${ex.warning}`) }).min(0, { error: `expected ${unit} of at least 0, e.g. ${ex.warning}` }).optional(),
    critical: z.number({ error: expected(`${unit}, e.g. ${ex.critical}`) }).min(0, { error: `expected ${unit} of at least 0, e.g. ${ex.critical}` }).optional(),
  });

/** The scheduled certificate check (issue 7; on by default). Thresholds left out take the defaults of functions/core/certs/thresholds.ts. */
const certificatesSchema = strictObject('e.g. { schedule: "rate(1 hour)", endpoints: ["consul.example.com:8501"] }', {
  enabled: z.boolean({ error: expected('true or false') }).default(true),
  schedule: scheduleField(),
  endpoints: list(pattern(HOST_PORT, 'a host:port, e.g. consul.example.com:8501'), 'a list of host:port TLS endpoints, e.g. ["consul.example.com:8501"]').default([]),
  auditorService: pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a Consul service name, e.g. consul-ops-auditor').default('consul-ops-auditor'),
  thresholds: strictObject('e.g. { endpoint: { warning: 28, critical: 14 } }', {
    caRoot: thresholdPair('a number of days left', { warning: 90, critical: 30 }).optional(),
    endpoint: thresholdPair('a number of days left', { warning: 28, critical: 14 }).optional(),
    leaf: thresholdPair('a percent of the leaf lifetime used', { warning: 90, critical: 90 }).optional(),
  })
    .superRefine((t, ctx) => {
      try {
        resolveCertThresholds(t);
      } catch (err) {
        const field = String((err as InvalidInputError).context?.field ?? 'thresholds');
        ctx.addIssue({ code: 'custom', path: field.split('.').slice(1), message: (err as Error).message.slice(field.length + 2) });
      }
    })
    .prefault({}),
});

const clusterSchema = strictObject('e.g. { name: "prod-east", consul: {…}, network: {…} }', {
  name: pattern(DNS_LABEL, 'a lower-case DNS label (a-z, 0-9, -; at most 63 characters), e.g. prod-east'),
  consul: consulSchema,
  network: clusterNetworkSchema,
  backup: backupSchema.prefault({}),
  intentions: intentionsSchema.prefault({}),
  rotation: rotationSchema.optional(),
  certificates: certificatesSchema.prefault({}),
});

/** The zod schema of a deployment config file. Prefer {@link loadDeployConfig}, which formats errors. */
export const deployConfigSchema = strictObject('e.g. { clusters: [{ name: "prod-east", … }] }', {
  clusters: list(clusterSchema, 'a list of clusters, e.g. [{ name: "prod-east", consul: {…}, network: {…} }]', 1),
  notifications: strictObject('e.g. { emails: ["ops@example.com"] }', {
    emails: list(pattern(EMAIL, 'an email address, e.g. ops@example.com'), 'a list of email addresses, e.g. ["ops@example.com"]').default([]),
    slackWebhookSecretArn: secretArn('the Slack webhook URL secret').optional(),
    emailSeverities: list(
      z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` }),
      'a list of severities, e.g. ["critical","high"]',
      1,
    ).default(['critical', 'high']),
  }).prefault({}),
  bucket: strictObject('e.g. { noncurrentVersionExpirationDays: 30 }', {
    noncurrentVersionExpirationDays: positiveInt('a whole number of days', 30, 36_500).default(30),
    objectLock: strictObject('e.g. { mode: "GOVERNANCE", days: 7 }', {
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { error: 'expected GOVERNANCE or COMPLIANCE' }),
      days: positiveInt('a whole number of days', 7, 36_500),
    }).optional(),
    transitionToGlacierAfterDays: count('a whole number of days', 30, 36_500).optional(),
    accessLogging: z.boolean({ error: expected('true or false') }).default(false),
  }).prefault({}),
  network: strictObject('e.g. { createVpcEndpoints: true }', {
    createVpcEndpoints: z.boolean({ error: expected('true or false') }).default(false),
  }).prefault({}),
  restore: strictObject('e.g. { allowedPrincipalArns: ["arn:aws:iam::123456789012:role/consul-restore"] }', {
    allowedPrincipalArns: list(
      pattern(PRINCIPAL_ARN, 'an IAM role or user ARN, e.g. arn:aws:iam::123456789012:role/consul-restore'),
      'a list of IAM role or user ARNs, e.g. ["arn:aws:iam::123456789012:role/consul-restore"]',
    ).default([]),
  }).prefault({}),
}).superRefine(checkCrossFieldRules);

/** Rules that span fields; zod runs them only once every field is valid on its own. */
function checkCrossFieldRules(config: CrossFieldInput, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  const rotated = new Map<string, string>();
  config.clusters.forEach((cluster, i) => {
    const at = (...p: (string | number)[]) => ['clusters', i, ...p];
    checkRotationRules(cluster, at, rotated, ctx);
    if (seen.has(cluster.name)) {
      ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate cluster name "${cluster.name}"; expected a unique name, e.g. ${cluster.name}-2` });
    }
    seen.add(cluster.name);
    if (cluster.consul.caBundleSecretArn !== undefined && cluster.consul.caBundlePem !== undefined) {
      ctx.addIssue({ code: 'custom', path: at('consul', 'caBundlePem'), message: 'expected either caBundleSecretArn or caBundlePem, not both' });
    }
    const { availabilityZones: azs, subnetIds, routeTableIds } = cluster.network;
    if (azs !== undefined && azs.length !== subnetIds.length) {
      ctx.addIssue({ code: 'custom', path: at('network', 'availabilityZones'), message: `expected one availability zone per subnet id (${subnetIds.length}), e.g. ${EX.azs}` });
    }
    if (config.network.createVpcEndpoints && azs === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: at('network', 'availabilityZones'),
        message: `is required when network.createVpcEndpoints is true (interface endpoints take one subnet per zone); expected one availability zone per subnet id, e.g. ${EX.azs}`,
      });
    }
    if (config.network.createVpcEndpoints && routeTableIds === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: at('network', 'routeTableIds'),
        message: 'is required when network.createVpcEndpoints is true (for the S3 gateway endpoint); expected a list of route table ids, e.g. ["rtb-0123456789abcdef0"]',
      });
    }
  });
}

/** Rotation rules of one cluster; `rotated` maps each rotated secret ARN to the path that rotates it (all clusters). */
function checkRotationRules(cluster: CrossFieldInput['clusters'][number], at: (...p: (string | number)[]) => (string | number)[], rotated: Map<string, string>, ctx: z.RefinementCtx): void {
  const rotation = cluster.rotation;
  if (rotation === undefined) return;
  if (rotation.tokens.length === 0 && !rotation.rotateManagementToken) {
    ctx.addIssue({ code: 'custom', path: at('rotation'), message: 'expected at least one entry in tokens, or rotateManagementToken: true (leave rotation out to turn it off)' });
  }
  const entries = [
    ...rotation.tokens.map((t, j) => ({ arn: t.secretArn, days: t.intervalDays, path: at('rotation', 'tokens', j) })),
    ...(rotation.rotateManagementToken ? [{ arn: cluster.consul.managementTokenSecretArn, days: rotation.managementTokenIntervalDays, path: at('rotation', 'rotateManagementToken') }] : []),
  ];
  for (const { arn, days, path } of entries) {
    const isToken = path.includes('tokens');
    if (isToken && arn === cluster.consul.managementTokenSecretArn) {
      ctx.addIssue({ code: 'custom', path: [...path, 'secretArn'], message: 'is the management token secret; expected rotateManagementToken: true instead' });
    } else if (rotated.has(arn)) {
      ctx.addIssue({ code: 'custom', path, message: `rotates ${arn} again (already rotated by ${rotated.get(arn)}); a secret has one rotation schedule` });
    }
    rotated.set(arn, path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1));
    // A rotation inside the grace period of the previous one is refused (it would lose track of the old token).
    if (rotation.gracePeriodHours > days * 24) {
      const intervalPath = isToken ? [...path, 'intervalDays'] : at('rotation', 'managementTokenIntervalDays');
      ctx.addIssue({ code: 'custom', path: intervalPath, message: `expected at least ${Math.ceil(rotation.gracePeriodHours / 24)} days: rotations must be further apart than gracePeriodHours (${rotation.gracePeriodHours})` });
    }
  }
}

/** The part of a parsed config the cross-field rules read (typed apart to avoid a circular type). */
interface CrossFieldInput {
  readonly clusters: readonly z.output<typeof clusterSchema>[];
  readonly network: { readonly createVpcEndpoints: boolean };
}

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
/** Who is told about reports. */
export type NotificationsConfig = DeployConfig['notifications'];
/** ACL token rotation of one cluster (absent: off). */
export type RotationConfig = NonNullable<ClusterConfig['rotation']>;
/** The certificate check of one cluster. */
export type CertificatesConfig = ClusterConfig['certificates'];

/**
 * A deploy config that failed to load or validate. `problems` holds one line per problem, each naming the field path
 * and an example of a valid value; `message` is those lines joined by newlines.
 */
export class DeployConfigError extends ConsulOpsError {
  /** One message per problem, e.g. `clusters[0].consul.addresses[1]: expected an https:// URL, e.g. https://consul.internal:8501`. */
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', problems.join('\n'), `Fix ${source} and run cdk synth again; see lib/config/deploy-config.ts for the schema.`, {
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
  const file = path.resolve(pathOrObject);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot read file';
    throw new DeployConfigError(pathOrObject, [`${pathOrObject}: ${reason}; expected a YAML or JSON deploy config, e.g. config/prod.yaml`], { cause: err });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `:${err.linePos[0].line}:${err.linePos[0].col}` : '';
    const why = (err instanceof Error ? err.message : String(err)).split(' at line')[0].split('\n')[0];
    throw new DeployConfigError(pathOrObject, [`${pathOrObject}${where}: invalid YAML/JSON: ${why}`], { cause: err });
  }
  return parseDeployConfig(raw, pathOrObject);
}
