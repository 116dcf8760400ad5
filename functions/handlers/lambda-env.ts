import { InvalidInputError } from '../core/shared/errors';

/**
 * Environment variables of the Consul-facing Lambdas. The CDK constructs import these names, so the stack and the
 * handlers cannot drift apart; this file must stay free of CDK imports (it is bundled into every handler).
 */
export const CONSUL_FUNCTION_ENV = {
  clusterName: 'CLUSTER_NAME',
  /** Comma-separated https URLs, tried in order. */
  consulAddresses: 'CONSUL_ADDRESSES',
  consulTokenSecretArn: 'CONSUL_TOKEN_SECRET_ARN',
  consulCaSecretArn: 'CONSUL_CA_SECRET_ARN',
  consulCaPem: 'CONSUL_CA_PEM',
  consulTlsServerName: 'CONSUL_TLS_SERVER_NAME',
  reportTopicArn: 'REPORT_TOPIC_ARN',
  /** The backup bucket: backups, and every job's report state (`state/<cluster>/`) and full reports (`reports/<cluster>/`). */
  bucketName: 'BUCKET_NAME',
} as const;

/** Extra environment of the take-snapshot Lambda. */
export const SNAPSHOT_FUNCTION_ENV = {
  ...CONSUL_FUNCTION_ENV,
  bucketName: 'BUCKET_NAME',
  snapshotPrefix: 'SNAPSHOT_PREFIX',
  /** `true` or `false`. */
  consulStale: 'CONSUL_STALE',
  consulMaxStaleMs: 'CONSUL_MAX_STALE_MS',
  /** JSON `RetentionPolicy` (`functions/core/retention/retention-plan.ts`); `scheduleIntervalMs` only for `rate(…)` schedules. */
  retentionPolicy: 'RETENTION_POLICY',
  scheduleExpression: 'SCHEDULE_EXPRESSION',
  scheduleTimeZone: 'SCHEDULE_TIME_ZONE',
  /**
   * JSON `ContentDropThresholds` (`functions/core/snapshot-contents/content-drop.ts`, deploy config
   * `backup.contentDrop`); unset means the defaults.
   */
  contentDropThresholds: 'CONTENT_DROP_THRESHOLDS',
} as const;

/**
 * Reads a Lambda's environment (once, at cold start). A missing or bad variable is a deployment bug: the error names
 * the variable. Hand-written rather than zod: zod would add ~400 KiB to every handler bundle.
 */
export class LambdaEnv {
  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** A variable that must be set and non-empty. */
  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw this.invalid(name, 'is not set');
    return value;
  }

  /** A variable that may be unset (empty counts as unset). */
  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** `true` or `false`; unset gives `fallback`. */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') throw this.invalid(name, `is "${value}", expected true or false`);
    return value === 'true';
  }

  /** A positive whole number, or undefined when unset. */
  positiveInteger(name: string): number | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw this.invalid(name, `is "${value}", expected a positive whole number`);
    return n;
  }

  /** A JSON object; unset gives `{}`. */
  json<T extends object>(name: string): Partial<T> {
    const value = this.optional(name);
    if (value === undefined) return {};
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as Partial<T>;
    } catch {
      throw this.invalid(name, 'is not a JSON object');
    }
  }

  private invalid(name: string, problem: string): InvalidInputError {
    return new InvalidInputError(`environment variable ${name}`, problem, 'the value the consul-ops stack sets (redeploy the stack)');
  }
}

/**
 * Extra environment of the restore Lambda. `SNAPSHOT_PREFIX` is the root prefix passed to the workflows
 * (`snapshots`), under which the cluster folder `<prefix>/<cluster>/` is read and the safety snapshot written.
 * `CONSUL_TOKEN_SECRET_ARN` (the management token) is always reconciled after a restore, first.
 */
export const RESTORE_FUNCTION_ENV = {
  ...CONSUL_FUNCTION_ENV,
  bucketName: 'BUCKET_NAME',
  snapshotPrefix: 'SNAPSHOT_PREFIX',
  /**
   * Comma-separated ARNs of the cluster's application token secrets (the rotated ones): the preflight lists those
   * whose AWSCURRENT token was created after the backup, and the restore re-creates them. Unset: none.
   */
  tokenSecretArns: 'RESTORE_TOKEN_SECRET_ARNS',
  /** Whole hours of the cluster's rotation grace period (for secrets written before the retired-token ledger). */
  gracePeriodHours: 'ROTATION_GRACE_PERIOD_HOURS',
} as const;

/**
 * Extra environment of the rotate-token Lambda. `CONSUL_TOKEN_SECRET_ARN` is the management token secret: its
 * AWSCURRENT version authenticates every Consul call (also while that secret itself is being rotated). `BUCKET_NAME`
 * holds the job's report state (`state/<cluster>/rotation.json`) and full reports (`reports/<cluster>/rotation/`).
 */
export const ROTATION_FUNCTION_ENV = {
  ...CONSUL_FUNCTION_ENV,
  bucketName: 'BUCKET_NAME',
  /** Whole hours a rotated-out token stays valid before it is deleted. */
  gracePeriodHours: 'ROTATION_GRACE_PERIOD_HOURS',
  /** Comma-separated ARNs of the secrets this function rotates: the hourly sweep visits each. */
  rotatedSecretArns: 'ROTATION_SECRET_ARNS',
} as const;

/**
 * Extra environment of the audit-intentions Lambda. The baseline itself is not an environment variable (Lambda
 * allows 4 KB for all of them): the stack validates it at synth and ships its canonical JSON in a small Lambda layer
 * of the cluster, at {@link INTENTION_BASELINE_LAYER_PATH}. Its sha256 is set here, so the console shows which
 * baseline is deployed and the handler refuses a file that does not match it.
 */
export const INTENTION_AUDIT_FUNCTION_ENV = {
  ...CONSUL_FUNCTION_ENV,
  bucketName: 'BUCKET_NAME',
  /** Path of the baseline file (the layer's); unset when the cluster has none. */
  baselineFile: 'INTENTION_BASELINE_FILE',
  /** sha256 (hex) of the baseline file's content; unset when the cluster has none. */
  baselineSha256: 'INTENTION_BASELINE_SHA256',
} as const;

/** Where the cluster's baseline layer puts the baseline (layers are unpacked under `/opt`). */
export const INTENTION_BASELINE_LAYER_PATH = '/opt/consul-ops/intention-baseline.json';

/**
 * Extra environment of the check-certs Lambda. `BUCKET_NAME` holds the report state (`state/<cluster>/`) and full
 * reports (`reports/<cluster>/`), as for the other jobs.
 */
export const CERT_CHECK_FUNCTION_ENV = {
  ...CONSUL_FUNCTION_ENV,
  bucketName: 'BUCKET_NAME',
  /**
   * JSON array of the TLS endpoints to check besides Consul's own HTTPS and gRPC TLS ports:
   * `[{"address":"host:port","caBundleSecretArn":"arn:…"}]` (`caBundleSecretArn` only for an endpoint with its own CA);
   * the older comma-separated `host:port` list is still read (`functions/handlers/cert-endpoints-env.ts`).
   */
  certEndpoints: 'CERT_ENDPOINTS',
  /** The service identity presented to sidecars. */
  certAuditorService: 'CERT_AUDITOR_SERVICE',
  /** JSON `CertificateThresholdsInput` (`functions/core/certs/thresholds.ts`); unset means the defaults. */
  certThresholds: 'CERT_THRESHOLDS',
} as const;
