import { z } from 'zod';
import { InvalidInputError } from '../core/errors';

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
} as const;

/** Extra environment of the take-snapshot Lambda. */
export const SNAPSHOT_FUNCTION_ENV = {
  ...CONSUL_FUNCTION_ENV,
  bucketName: 'BUCKET_NAME',
  snapshotPrefix: 'SNAPSHOT_PREFIX',
  /** `true` or `false`. */
  consulStale: 'CONSUL_STALE',
  consulMaxStaleMs: 'CONSUL_MAX_STALE_MS',
  /** JSON `RetentionPolicy` (`functions/core/retention-plan.ts`); `scheduleIntervalMs` only for `rate(…)` schedules. */
  retentionPolicy: 'RETENTION_POLICY',
  scheduleExpression: 'SCHEDULE_EXPRESSION',
  scheduleTimeZone: 'SCHEDULE_TIME_ZONE',
} as const;

const nonEmpty = z.string().trim().min(1);

/** The parsed environment common to Consul-facing Lambdas. */
export const consulFunctionEnvSchema = z.object({
  [CONSUL_FUNCTION_ENV.clusterName]: nonEmpty,
  [CONSUL_FUNCTION_ENV.consulAddresses]: nonEmpty,
  [CONSUL_FUNCTION_ENV.consulTokenSecretArn]: nonEmpty,
  [CONSUL_FUNCTION_ENV.consulCaSecretArn]: nonEmpty.optional(),
  [CONSUL_FUNCTION_ENV.consulCaPem]: nonEmpty.optional(),
  [CONSUL_FUNCTION_ENV.consulTlsServerName]: nonEmpty.optional(),
  [CONSUL_FUNCTION_ENV.reportTopicArn]: nonEmpty.optional(),
});

/**
 * Parses a Lambda's environment once, at cold start. A missing or bad variable is a deployment bug: the error names
 * the variable.
 */
export function parseLambdaEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(`environment variable ${issue.path.join('.')}`, issue.message, 'the value the consul-ops stack sets (redeploy the stack)');
  }
  return parsed.data;
}
