import * as path from 'node:path';
import { Aws, Duration, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import type { ReportFeature } from '../../functions/core/report/report';
import { CONSUL_FUNCTION_ENV as E } from '../../functions/handlers/lambda-env';
import type { ClusterNetworkConfig, ConsulConnectionConfig } from '../config/deploy-config';
import { DNS_LABEL } from '../config/schema-fields';
import { PROJECT_ROOT, snapshotBundling } from './function-bundling';
import { DLQ_SEND_ACTIONS, InvokeFunctionTarget } from './invoke-function-target';
import { createVpcFunctionRole } from './vpc-function-role';

/** The Consul-facing jobs: the handler file of each, and the {@link ReportFeature} it reports as. */
export const CONSUL_JOBS = {
  'take-snapshot': { entry: 'functions/handlers/take-snapshot.ts', feature: 'backup', verifyWorker: true },
  restore: { entry: 'functions/handlers/restore.ts', feature: 'restore', verifyWorker: true },
  'rotate-token': { entry: 'functions/handlers/rotate-token.ts', feature: 'rotation' },
  'audit-intentions': { entry: 'functions/handlers/audit-intentions.ts', feature: 'intentions' },
  'check-certs': { entry: 'functions/handlers/check-certs.ts', feature: 'certificates' },
} as const satisfies Record<string, { readonly entry: string; readonly feature: ReportFeature; readonly verifyWorker?: boolean }>;

/** One of {@link CONSUL_JOBS}. */
export type ConsulJob = keyof typeof CONSUL_JOBS;

/** Namespace of the EMF metrics every handler emits. */
export const METRICS_NAMESPACE = 'ConsulOps';

/**
 * The Powertools service name of a job's handler: the `service` dimension of every metric it emits, next to
 * `Cluster` (CloudWatch matches dimensions exactly, so alarms and graphs name both).
 */
export function jobServiceName(job: ConsulJob | 'slack-forwarder'): string {
  return `consul-ops-${job}`;
}

/** Reading a secret. */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue'] as const;
/** Reading a secret and its version stages (which version is AWSCURRENT, AWSPREVIOUS). */
export const SECRET_DESCRIBE_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] as const;
/** What a rotation function does on each secret it rotates (the Secrets Manager rotation contract). */
export const ROTATION_SECRET_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'] as const;
/** Decrypting secrets under a customer-managed key (through Secrets Manager only). */
export const SECRET_KEY_READ_ACTIONS = ['kms:Decrypt'] as const;
/** Storing a new secret version under a customer-managed key (rotation). */
export const SECRET_KEY_WRITE_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;
export { DLQ_SEND_ACTIONS };

/** Properties of {@link ConsulFunction}. */
export interface ConsulFunctionProps {
  /** The job: names the handler file, the Powertools service and the description. */
  readonly job: ConsulJob;
  /** The cluster: a lower-case DNS label. */
  readonly clusterName: string;
  /** One line saying what the function does, e.g. `scheduled, verified snapshot`. */
  readonly purpose: string;
  /** How the function reaches the Consul servers; their token and CA bundle secrets are read. */
  readonly consul: ConsulConnectionConfig;
  /** The subnets and security group the function runs in (imported by id: only its VPC config names them). */
  readonly network: ClusterNetworkConfig;
  /** Memory, MB. */
  readonly memorySize: number;
  /** Timeout. */
  readonly timeout: Duration;
  /**
   * Reserved concurrency.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Lambda's retries of a failed asynchronous invocation.
   * @default 1
   */
  readonly retryAttempts?: number;
  /**
   * Whether failed asynchronous invocations (and undeliverable schedule runs) go to a dead-letter queue.
   * @default true
   */
  readonly deadLetterQueue?: boolean;
  /**
   * More secrets the function reads (beside the Consul token and CA bundle), e.g. per-endpoint CA bundles.
   * @default []
   */
  readonly readSecretArns?: readonly string[];
  /**
   * Secrets the function reads and describes (their versions and staging labels) without writing them, e.g. the
   * token secrets a restore reconciles: they get the describe action besides the read action.
   * @default []
   */
  readonly describedSecretArns?: readonly string[];
  /**
   * Secrets the function rotates: they get the rotation actions instead of the read action.
   * @default []
   */
  readonly rotatedSecretArns?: readonly string[];
  /** Job-specific environment, beside the Consul connection, cluster name and Powertools settings. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Layers, e.g. the cluster's intention baseline.
   * @default []
   */
  readonly layers?: readonly lambda.ILayerVersion[];
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One consul-ops job of one cluster: its log group, its VPC role (log group and ENI actions inline, everything else
 * granted by the job), the function (nodejs22.x on arm64, bundled once per handler with the local esbuild, in the
 * cluster's subnets), the Consul secrets (and their customer-managed key) it reads, an optional dead-letter queue,
 * and {@link addSchedule} for an EventBridge Scheduler schedule.
 *
 * @example
 * const job = new ConsulFunction(this, 'TakeSnapshot', { job: 'take-snapshot', clusterName, purpose: 'scheduled snapshot', … });
 * job.addSchedule('rate(1 hour)', 'UTC');
 */
export class ConsulFunction extends Construct {
  /** The job. */
  readonly job: ConsulJob;
  /** The cluster. */
  readonly clusterName: string;
  /** The report feature of the job (`reports/<cluster>/<feature>/`, `state/<cluster>/<feature>.json`). */
  readonly feature: ReportFeature;
  /** The handler's Powertools service name (the `service` metric dimension). */
  readonly serviceName: string;
  /** The function. */
  readonly function: nodejs.NodejsFunction;
  /** The function's role. */
  readonly role: iam.Role;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;
  /** Failed asynchronous invocations (after Lambda's retries) and undeliverable schedule runs, when enabled. */
  readonly deadLetterQueue?: sqs.Queue;
  /** The schedules added with {@link addSchedule}. */
  readonly schedules: scheduler.Schedule[] = [];
  private schedulerRole?: iam.Role;

  constructor(scope: Construct, id: string, props: ConsulFunctionProps) {
    super(scope, id);
    if (!DNS_LABEL.test(props.clusterName)) {
      throw new InvalidInputError('ConsulFunctionProps.clusterName', `expected a lower-case DNS label, got "${props.clusterName}"`, '"prod-east"');
    }
    this.job = props.job;
    this.clusterName = props.clusterName;
    this.feature = CONSUL_JOBS[props.job].feature;
    this.serviceName = jobServiceName(props.job);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    this.role = createVpcFunctionRole(this, { description: `consul-ops ${props.job} function of cluster ${props.clusterName}`, logGroup: this.logGroup });
    if (props.deadLetterQueue ?? true) this.deadLetterQueue = this.createDeadLetterQueue();
    this.function = this.createFunction(props);
    this.grantSecrets(props);
  }

  /**
   * Runs the function on an EventBridge Scheduler schedule, through a role that may invoke exactly this function (and
   * write to its dead-letter queue). The schedule waits for that role's policy and the function's permissions: a
   * `rate(…)` schedule fires as soon as it exists.
   *
   * @param expression a `rate(…)` or `cron(…)` expression, already validated
   * @param timeZone the IANA time zone of a cron expression
   * @param input the event the function receives @default { trigger: 'schedule', cluster }
   */
  addSchedule(expression: string, timeZone: string, input: Record<string, unknown> = { trigger: 'schedule', cluster: this.clusterName }): scheduler.Schedule {
    this.schedulerRole ??= new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // Confused-deputy guard: only schedules of this account may assume the role.
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `consul-ops: lets EventBridge Scheduler invoke ${this.job} of cluster ${this.clusterName}`,
    });
    const schedule = new scheduler.Schedule(this, this.schedules.length === 0 ? 'Schedule' : `Schedule${this.schedules.length + 1}`, {
      description: `consul-ops: ${this.job} of Consul cluster ${this.clusterName}`,
      schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.of(timeZone)),
      timeWindow: scheduler.TimeWindow.off(),
      target: new InvokeFunctionTarget(this.function, {
        role: this.schedulerRole,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        input: scheduler.ScheduleTargetInput.fromObject(input),
      }),
    });
    // Not only the roles (which the references give) but their policies: the first run must find its permissions.
    schedule.node.addDependency(this.schedulerRole, this.role);
    this.schedules.push(schedule);
    return schedule;
  }

  private createDeadLetterQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter destination of the ${this.job} function and its schedule; a DLQ of a DLQ adds nothing.`,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...DLQ_SEND_ACTIONS], resources: [queue.queueArn] }));
    return queue;
  }

  private createFunction(props: ConsulFunctionProps): nodejs.NodejsFunction {
    const dlq = this.deadLetterQueue;
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `consul-ops: ${props.purpose} of Consul cluster ${props.clusterName}`,
      entry: path.join(PROJECT_ROOT, CONSUL_JOBS[props.job].entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      layers: props.layers ? [...props.layers] : undefined,
      // Least privilege: the destination needs only sqs:SendMessage (granted above), not SqsDestination's extra reads.
      onFailure: dlq ? { bind: () => ({ destination: dlq.queueArn }) } : undefined,
      retryAttempts: props.retryAttempts ?? 1,
      // A queued run older than an hour is superseded by the next scheduled one.
      maxEventAge: dlq ? Duration.hours(1) : undefined,
      bundling: snapshotBundling({ verifyWorker: 'verifyWorker' in CONSUL_JOBS[props.job] }),
      environment: {
        POWERTOOLS_SERVICE_NAME: this.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        [E.clusterName]: props.clusterName,
        ...consulConnectionEnvironment(props.consul),
        ...props.environment,
      },
    });
    // The subnets and security group by id: no VPC import, so a config without availabilityZones needs nothing more.
    (fn.node.defaultChild as lambda.CfnFunction).vpcConfig = { subnetIds: [...props.network.subnetIds], securityGroupIds: [props.network.securityGroupId] };
    acknowledgeNodeRuntime(fn);
    return fn;
  }

  /** Read access to the Consul secrets and `readSecretArns`, rotation access to `rotatedSecretArns`, and their key. */
  private grantSecrets(props: ConsulFunctionProps): void {
    const rotated = new Set(props.rotatedSecretArns ?? []);
    const described = new Set((props.describedSecretArns ?? []).filter((arn) => !rotated.has(arn)));
    const read = [...new Set([...consulSecretArns(props.consul), ...(props.readSecretArns ?? [])])].filter((arn) => !rotated.has(arn) && !described.has(arn));
    const allow = (actions: readonly string[], resources: string[], conditions?: Record<string, unknown>) =>
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources, ...(conditions ? { conditions } : {}) }));
    if (read.length > 0) allow(SECRET_READ_ACTIONS, read.sort());
    if (described.size > 0) allow(SECRET_DESCRIBE_ACTIONS, [...described].sort());
    if (rotated.size > 0) allow(ROTATION_SECRET_ACTIONS, [...rotated].sort());
    const key = props.consul.secretsKmsKeyArn;
    if (key !== undefined) {
      allow(rotated.size > 0 ? SECRET_KEY_WRITE_ACTIONS : SECRET_KEY_READ_ACTIONS, [key], { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } });
    }
  }
}

/** The cdk-nag acknowledgement of the deliberate nodejs22.x runtime. */
export function acknowledgeNodeRuntime(fn: IConstruct): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'nodejs22.x is deliberate: it is the runtime the handlers are built (esbuild target node22) and tested for; nodejs24.x comes with the move of local tooling to Node 24.',
  });
}

/** How a handler reaches Consul: addresses, the management-token secret, and the CA bundle and TLS name if set. */
export function consulConnectionEnvironment(consul: ConsulConnectionConfig): Record<string, string> {
  const env: Record<string, string> = {
    [E.consulAddresses]: consul.addresses.join(','),
    [E.consulTokenSecretArn]: consul.managementTokenSecretArn,
  };
  if (consul.caBundleSecretArn) env[E.consulCaSecretArn] = consul.caBundleSecretArn;
  if (consul.caBundlePem) env[E.consulCaPem] = consul.caBundlePem;
  if (consul.tlsServerName) env[E.consulTlsServerName] = consul.tlsServerName;
  return env;
}

/** The secrets a Consul-facing function reads: the management token and, when configured, the CA bundle. */
export function consulSecretArns(consul: ConsulConnectionConfig): string[] {
  return [consul.managementTokenSecretArn, ...(consul.caBundleSecretArn ? [consul.caBundleSecretArn] : [])];
}
