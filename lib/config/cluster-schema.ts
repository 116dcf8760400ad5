import * as path from 'node:path';
import { z } from 'zod';
import { loadIntentionBaselineFile } from '../../functions/adapters/intention-baseline-file';
import { DEFAULT_CERT_THRESHOLDS, resolveCertThresholds } from '../../functions/core/certs/thresholds';
import type { InvalidInputError } from '../../functions/core/shared/errors';
import { SEVERITIES } from '../../functions/core/shared/severity';
import { DEFAULT_CONTENT_DROP_THRESHOLDS as D } from '../../functions/core/snapshot-contents';
import { type IntentionBaseline } from '../../functions/core/intentions/baseline';
import { IntentionBaselineError } from '../../functions/core/intentions/errors';
import {
  DEFAULT_AUDITOR_SERVICE,
  DEFAULT_BACKUP_MEMORY_MB,
  DEFAULT_RETENTION_COUNTS as R,
  DEFAULT_ROTATION,
  DEFAULT_SCHEDULES,
} from '../../functions/core/shared/defaults';
import {
  AZ,
  DNS_LABEL,
  DNS_NAME,
  EX,
  HOST_PORT,
  SERVICE_NAME,
  bool,
  ec2Id,
  isHttpsUrl,
  keepCount,
  kmsKeyArn,
  list,
  pattern,
  positiveInt,
  scheduleField,
  secretArn,
  timeZoneField,
} from './schema-fields';
import { expected, strictObject } from './schema-messages';

/** Largest inline CA bundle we accept: Lambda allows 4 KB of environment variables in total. */
export const MAX_INLINE_CA_PEM_CHARS = 3000;

const retentionSchema = strictObject(`e.g. { hourly: ${R.hourly}, daily: ${R.daily} }`, {
  keepLast: keepCount('most recent', 5).optional(),
  hourly: keepCount('hourly', R.hourly).default(R.hourly),
  daily: keepCount('daily', R.daily).default(R.daily),
  weekly: keepCount('weekly', R.weekly).default(R.weekly),
  monthly: keepCount('monthly', R.monthly).default(R.monthly),
  yearly: keepCount('yearly', 1).default(R.yearly),
  keepMin: keepCount('never-pruned newest', R.keepMin)
    .refine((n) => n !== 0, { error: `expected a whole number of never-pruned newest snapshots of at least 1 (-1 = all), e.g. ${R.keepMin}` })
    .default(R.keepMin),
});

const dropPercent = (what: string, example: number) =>
  z
    .number({ error: expected(`a percentage of ${what} lost between two backups that is alarmed (100 = off), e.g. ${example}`) })
    .min(0, { error: `expected a percentage from 0 to 100, e.g. ${example}` })
    .max(100, { error: `expected a percentage from 0 to 100 (100 turns the check off), e.g. ${example}` });

/** The content-drop alarm of one cluster (functions/core/snapshot-contents/content-drop.ts); the Lambda gets it as JSON. */
const contentDropSchema = strictObject(`e.g. { kvEntriesDropPercent: ${D.kvEntriesDropPercent}, intentionRemovedSeverity: "${D.intentionRemovedSeverity}" }`, {
  kvEntriesDropPercent: dropPercent('KV entries', D.kvEntriesDropPercent).default(D.kvEntriesDropPercent),
  aclTokensDropPercent: dropPercent('ACL tokens', D.aclTokensDropPercent).default(D.aclTokensDropPercent),
  servicesDropPercent: dropPercent('services', D.servicesDropPercent).default(D.servicesDropPercent),
  intentionRemovedSeverity: z
    .enum([...SEVERITIES, 'off'], { error: `expected one of ${[...SEVERITIES, 'off'].join(', ')}` })
    .default(D.intentionRemovedSeverity),
});

const consulSchema = strictObject(`e.g. { addresses: ["${EX.url}"], managementTokenSecretArn: "${EX.secret}" }`, {
  addresses: list(
    z.string({ error: expected(`an https:// URL, e.g. ${EX.url}`) }).refine(isHttpsUrl, { error: `expected an https:// URL, e.g. ${EX.url}` }),
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
  /** The customer-managed key of the cluster's secrets (token, CA bundles, rotated tokens): its functions get kms:Decrypt. */
  secretsKmsKeyArn: kmsKeyArn("encrypts this cluster's secrets").optional(),
});

const networkSchema = strictObject('e.g. { vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"], securityGroupId: "sg-0123456789abcdef0" }', {
  vpcId: pattern(ec2Id('vpc'), 'a VPC id, e.g. vpc-0123456789abcdef0'),
  subnetIds: list(pattern(ec2Id('subnet'), 'a subnet id, e.g. subnet-0123456789abcdef0'), 'a list of subnet ids, e.g. ["subnet-0123456789abcdef0"]', 1),
  securityGroupId: pattern(ec2Id('sg'), 'a security group id, e.g. sg-0123456789abcdef0'),
  availabilityZones: list(pattern(AZ, 'an availability zone name, e.g. eu-west-1a'), `one availability zone per subnet id, e.g. ${EX.azs}`, 1).optional(),
  routeTableIds: list(pattern(ec2Id('rtb'), 'a route table id, e.g. rtb-0123456789abcdef0'), 'a list of route table ids, e.g. ["rtb-0123456789abcdef0"]', 1).optional(),
});

const backupSchema = strictObject(`e.g. { schedule: "${DEFAULT_SCHEDULES.backup}" }`, {
  schedule: scheduleField(DEFAULT_SCHEDULES.backup),
  timeZone: timeZoneField(),
  stale: bool().default(false),
  maxStaleMs: positiveInt('a whole number of milliseconds of leader-contact lag to accept', 10_000, 86_400_000).optional(),
  /**
   * Memory of the snapshot function. Peak memory stays under ~160 MB whatever the snapshot size (see BENCHMARKS.md),
   * but verification is CPU-bound and Lambda gives CPU in proportion to memory.
   */
  memoryMb: positiveInt('the snapshot function memory in MB', DEFAULT_BACKUP_MEMORY_MB, 10_240)
    .refine((v) => v >= 256, { error: `expected at least 256 (MB), e.g. ${DEFAULT_BACKUP_MEMORY_MB}` })
    .default(DEFAULT_BACKUP_MEMORY_MB),
  retention: retentionSchema.prefault({}),
  contentDrop: contentDropSchema.prefault({}),
});

/** The scheduled intention audit (on by default: without a baseline it still checks defaults, wildcards and mTLS). */
const intentionsSchema = strictObject(`e.g. { schedule: "${DEFAULT_SCHEDULES.intentions}", baselineFile: "config/intentions/prod-east.yaml" }`, {
  enabled: bool().default(true),
  schedule: scheduleField(DEFAULT_SCHEDULES.intentions),
  timeZone: timeZoneField(),
  /** JSON or YAML baseline, relative to the directory `cdk synth` runs in; validated at synth, shipped in a layer. */
  baselineFile: z.string({ error: expected('a path to a JSON or YAML intention baseline, e.g. config/intentions/prod-east.yaml') })
    .min(1, { error: 'expected a path to a JSON or YAML intention baseline, e.g. config/intentions/prod-east.yaml' })
    .optional(),
}).transform((intentions, ctx) => ({ ...intentions, baseline: loadBaseline(intentions.baselineFile, ctx) }));

/** The validated baseline of `baselineFile` (read at synth), each of its problems an issue of that field. */
function loadBaseline(file: string | undefined, ctx: z.RefinementCtx): IntentionBaseline | undefined {
  if (file === undefined) return undefined;
  try {
    return loadIntentionBaselineFile(path.resolve(file));
  } catch (err) {
    if (!(err instanceof IntentionBaselineError)) throw err;
    for (const problem of err.problems) ctx.addIssue({ code: 'custom', path: ['baselineFile'], message: `${file}: ${problem.startsWith(path.resolve(file)) ? problem.slice(path.resolve(file).length + 2) : problem}` });
    return z.NEVER;
  }
}

/** ACL token rotation of one cluster; absent means off. See README "Token rotation". */
const rotationSchema = strictObject(`e.g. { tokens: [{ secretArn: "${EX.secret}" }], gracePeriodHours: ${DEFAULT_ROTATION.gracePeriodHours} }`, {
  tokens: list(
    strictObject(`e.g. { secretArn: "${EX.secret}", intervalDays: ${DEFAULT_ROTATION.intervalDays} }`, {
      secretArn: secretArn('a Consul token secret to rotate'),
      intervalDays: positiveInt('a whole number of days between rotations', DEFAULT_ROTATION.intervalDays, 1000).default(DEFAULT_ROTATION.intervalDays),
    }),
    `a list of token secrets to rotate, e.g. [{ secretArn: "${EX.secret}" }]`,
  ).default([]),
  rotateManagementToken: bool().default(false),
  managementTokenIntervalDays: positiveInt('a whole number of days between rotations of the management token', DEFAULT_ROTATION.intervalDays, 1000).default(DEFAULT_ROTATION.intervalDays),
  gracePeriodHours: positiveInt('a whole number of hours a replaced token stays valid', DEFAULT_ROTATION.gracePeriodHours, 24_000).default(DEFAULT_ROTATION.gracePeriodHours),
});

const thresholdPair = (unit: string, ex: { warning: number; critical: number }) =>
  strictObject(`e.g. { warning: ${ex.warning}, critical: ${ex.critical} }`, {
    warning: z.number({ error: expected(`${unit}, e.g. ${ex.warning}`) }).min(0, { error: `expected ${unit} of at least 0, e.g. ${ex.warning}` }).optional(),
    critical: z.number({ error: expected(`${unit}, e.g. ${ex.critical}`) }).min(0, { error: `expected ${unit} of at least 0, e.g. ${ex.critical}` }).optional(),
  });

const ENDPOINT_EXAMPLE = 'e.g. "consul-ui.internal:443" or { address: "vault.internal:8200", caBundleSecretArn: "arn:aws:secretsmanager:…" }';

/**
 * A TLS endpoint to check: `host:port`, or `{ address, caBundleSecretArn }` for an endpoint behind its own CA (the
 * check then trusts that bundle for it). Both forms come out as an object.
 */
const endpointSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { address: value } : value),
  strictObject(ENDPOINT_EXAMPLE, {
    address: pattern(HOST_PORT, 'a host:port, e.g. consul.example.com:8501'),
    caBundleSecretArn: secretArn("a secret holding this endpoint's PEM CA bundle").optional(),
  }),
);

/** The scheduled certificate check (on by default). Thresholds left out take the core defaults (cert-thresholds.ts). */
const certificatesSchema = strictObject(`e.g. { schedule: "${DEFAULT_SCHEDULES.certificates}", endpoints: ["consul.example.com:8501"] }`, {
  enabled: bool().default(true),
  schedule: scheduleField(DEFAULT_SCHEDULES.certificates),
  endpoints: list(endpointSchema, `a list of TLS endpoints, ${ENDPOINT_EXAMPLE}`).default([]),
  auditorService: pattern(SERVICE_NAME, `a Consul service name, e.g. ${DEFAULT_AUDITOR_SERVICE}`).default(DEFAULT_AUDITOR_SERVICE),
  thresholds: strictObject('e.g. { endpoint: { warning: 28, critical: 14 } }', {
    caRoot: thresholdPair('a number of days left', DEFAULT_CERT_THRESHOLDS.caRoot).optional(),
    endpoint: thresholdPair('a number of days left', DEFAULT_CERT_THRESHOLDS.endpoint).optional(),
    leaf: thresholdPair('a percent of the leaf lifetime used', DEFAULT_CERT_THRESHOLDS.leaf).optional(),
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

/** One Consul cluster of the deploy config. */
export const clusterSchema = strictObject('e.g. { name: "prod-east", consul: {…}, network: {…} }', {
  name: pattern(DNS_LABEL, 'a lower-case DNS label (a-z, 0-9, -; at most 63 characters), e.g. prod-east'),
  consul: consulSchema,
  network: networkSchema,
  backup: backupSchema.prefault({}),
  intentions: intentionsSchema.prefault({}),
  rotation: rotationSchema.optional(),
  certificates: certificatesSchema.prefault({}),
});

/** One parsed cluster, with every default applied. */
export type ClusterConfig = z.output<typeof clusterSchema>;
