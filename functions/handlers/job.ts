/**
 * The one skeleton every consul-ops Lambda handler uses. A handler file only says how to read its environment once
 * (`init`), how to turn an event into a core job call (`run`) and which metrics its result adds; the skeleton does
 * the rest the same way for every job:
 *
 * - a Powertools logger and metrics (namespace `ConsulOps`, service `consul-ops-<job>`, dimension `Cluster`);
 * - the deadline: an `AbortSignal` that fires `deadlineMarginMs` before the Lambda times out;
 * - Consul: connected on first use through the cluster's wiring, closed after the run;
 * - the report: published through the one report path (S3 state + dedupe + SNS) when the stack gave a topic, never
 *   throwing (a lost report is logged and counted as `ReportFailure`, the alarmed metric);
 * - the outcome: `<Job>Failure` and an error log on failure, then the error is thrown (mapped by `lambdaError`
 *   when the job wants its code and remedy in Lambda's `errorType`/`errorMessage`); metrics are always flushed.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { createS3Client, createSecretsManagerClient, createSnsClient } from '../adapters/aws-clients';
import type { ConsulApi } from '../adapters/consul/api';
import { S3ReportState } from '../adapters/s3-report-state';
import { SnsReportPublisher } from '../adapters/sns-report-publisher';
import type { JobOutcome } from '../core/report/job';
import { publishReport, type ReportDeps } from '../core/report/publish';
import type { Report } from '../core/report/report';
import { summarizeError } from '../core/shared/errors';
import { consulWiring, type ConsulWiring } from './consul-wiring';
import { CONSUL_FUNCTION_ENV, LambdaEnv } from './lambda-env';

/** The process environment, as handlers read it. */
export type HandlerEnv = Readonly<Record<string, string | undefined>>;

/** The jobs, by name: the Powertools service is `consul-ops-<name>` (the `service` dimension of every metric). */
export const JOB_NAMES = ['take-snapshot', 'restore', 'rotate-token', 'audit-intentions', 'check-certs'] as const;
/** One of {@link JOB_NAMES}. */
export type JobName = (typeof JOB_NAMES)[number];

/** The Powertools service name of a job. */
export function jobService(name: JobName): string {
  return `consul-ops-${name}`;
}

/** The metric every job emits when its report could not be published (alarmed per job). */
export const REPORT_FAILURE_METRIC = 'ReportFailure';

/** What every job's `init` gets. */
export interface JobInit {
  readonly env: LambdaEnv;
  readonly raw: HandlerEnv;
  readonly secrets: SecretsManagerClient;
}

/** What a job's `init` returns at least: the cluster it serves. */
export interface JobWiring {
  readonly cluster: string;
}

/** What a job's `run` gets for one invocation. */
export interface JobRun<W extends JobWiring> {
  readonly wiring: W;
  /** Fires `deadlineMarginMs` before the Lambda's timeout (never without a Lambda context). */
  readonly signal: AbortSignal;
  /** The Lambda context, when there is one. */
  readonly context?: LambdaContext;
  /** The Consul API of the cluster, connected on first call and closed by the skeleton. */
  consul(): Promise<ConsulApi>;
  /** The cluster's Consul CA bundle (PEM); `undefined` means the system trust store. */
  consulCaBundle(): Promise<string | undefined>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
}

/** The parts of the Lambda context the skeleton and jobs use. */
export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'awsRequestId' | 'identity' | 'clientContext'>>;

/** One job, as a Lambda handler runs it. */
export interface JobSpec<W extends JobWiring, R, O = R> {
  readonly name: JobName;
  /** Reads the environment once per cold start and builds what does not change between invocations. */
  init(init: JobInit): W;
  /** One invocation: parse the event, build the deps, call the core job. Throw only for a bad event. */
  run(event: unknown, run: JobRun<W>): Promise<JobOutcome<R>>;
  /** What the Lambda returns for a result. @default the result itself */
  output?(result: R): O;
  /** Adds the job's own metrics for a finished run (the skeleton flushes them). @default none */
  recordMetrics?(outcome: JobOutcome<R>, run: JobRun<W>, event: unknown): void;
  /** Emitted (Count 1) when the job fails, e.g. `BackupFailure`. @default none */
  readonly failureMetric?: string;
  /** Time kept back from the Lambda deadline to stop cleanly and report. @default 30 000 */
  readonly deadlineMarginMs?: number;
  /** How a failure is thrown to Lambda. @default the error as it is */
  lambdaError?(error: unknown): Error;
}

/** What tests (and local runs) may give a handler instead of the real world. */
export interface JobHandlerOptions {
  /** @default process.env */
  readonly env?: HandlerEnv;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default createSecretsManagerClient() */
  readonly secretsClient?: SecretsManagerClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

const DEFAULT_DEADLINE_MARGIN_MS = 30_000;

/**
 * Builds a Lambda handler from a {@link JobSpec}.
 *
 * @example
 * export const handler = createJobHandler({ name: 'check-certs', init, run: (event, run) => runCertificateCheckJob(...), failureMetric: 'CertCheckFailure' });
 */
export function createJobHandler<W extends JobWiring, R, O = R>(spec: JobSpec<W, R, O>, options: JobHandlerOptions = {}): (event: unknown, context?: LambdaContext) => Promise<O> {
  const service = jobService(spec.name);
  const logger = options.logger ?? new Logger({ serviceName: service });
  const metrics = options.metrics ?? new Metrics({ namespace: 'ConsulOps', serviceName: service });
  const now = options.now ?? (() => new Date());
  let cold: { wiring: W; consul?: ConsulWiring; reports?: ReportDeps } | undefined;

  function coldStart() {
    const raw = options.env ?? process.env;
    const env = new LambdaEnv(raw);
    const secrets = options.secretsClient ?? createSecretsManagerClient();
    const wiring = spec.init({ env, raw, secrets });
    const consul = raw[CONSUL_FUNCTION_ENV.consulAddresses] ? consulWiring(raw, secrets) : undefined;
    return { wiring, consul, reports: reportDepsFromEnv(env, now) };
  }

  return async (event, context) => {
    cold ??= coldStart();
    const { wiring, reports } = cold;
    const consulSetup = cold.consul;
    metrics.addDimension('Cluster', wiring.cluster);
    const deadline = new AbortController();
    const margin = spec.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
    const timer = context
      ? setTimeout(() => deadline.abort(new Error('the Lambda is about to time out')), Math.max(context.getRemainingTimeInMillis() - margin, 1_000))
      : undefined;
    let connection: Promise<{ api: ConsulApi; close(): Promise<void> }> | undefined;
    const requireConsul = (): ConsulWiring => {
      if (!consulSetup) throw new Error(`${service} has no Consul wiring (${CONSUL_FUNCTION_ENV.consulAddresses} is not set)`);
      return consulSetup;
    };
    const run: JobRun<W> = {
      wiring,
      signal: deadline.signal,
      ...(context ? { context } : {}),
      consul: async () => {
        connection ??= requireConsul().connect();
        return (await connection).api;
      },
      consulCaBundle: () => requireConsul().caBundle(),
      logger,
      metrics,
      now,
    };
    try {
      const outcome = await spec.run(event, run);
      spec.recordMetrics?.(outcome, run, event);
      if (outcome.report) await deliverReport(reports, outcome.report, logger, metrics);
      if (!outcome.ok) {
        if (spec.failureMetric) metrics.addMetric(spec.failureMetric, MetricUnit.Count, 1);
        logger.error(`${spec.name} failed`, { cluster: wiring.cluster, error: summarizeError(outcome.error) });
        throw spec.lambdaError ? spec.lambdaError(outcome.error) : outcome.error;
      }
      return spec.output ? spec.output(outcome.result) : (outcome.result as unknown as O);
    } finally {
      if (timer) clearTimeout(timer);
      await connection?.then((c) => c.close(), () => undefined);
      // Publishing no metrics at all would make Powertools log a warning. Publishing clears the dimensions; without it
      // they are cleared here, or the next warm run's addDimension('Cluster') would warn that it overwrites one.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      else metrics.clearDimensions();
    }
  };
}

/**
 * The report path of a function: the dedupe state and full reports in its bucket, notifications on its topic; or
 * `undefined` when the stack gave no topic (`REPORT_TOPIC_ARN`).
 */
export function reportDepsFromEnv(env: LambdaEnv, now: () => Date): ReportDeps | undefined {
  const topicArn = env.optional(CONSUL_FUNCTION_ENV.reportTopicArn);
  if (!topicArn) return undefined;
  const bucket = env.required(CONSUL_FUNCTION_ENV.bucketName);
  return {
    store: new S3ReportState({ client: createS3Client(), bucket }),
    publisher: new SnsReportPublisher({ client: createSnsClient(), topicArn }),
    now,
  };
}

/**
 * Publishes a run's report. Never throws: a report that cannot be published is logged and counted
 * (`ReportFailure`), and the job's own result or error stands.
 */
export async function deliverReport(reports: ReportDeps | undefined, report: Report, logger: Logger, metrics: Metrics): Promise<void> {
  if (!reports) return;
  try {
    const { warnings, ...facts } = await publishReport(reports, report);
    logger.info('report processed', { cluster: report.cluster, feature: report.feature, ...facts });
    for (const warning of warnings) logger.warn('report step failed', { cluster: report.cluster, step: warning.step, error: warning.error });
  } catch (err) {
    metrics.addMetric(REPORT_FAILURE_METRIC, MetricUnit.Count, 1);
    logger.error('report not published', { cluster: report.cluster, feature: report.feature, error: summarizeError(err) });
  }
}
