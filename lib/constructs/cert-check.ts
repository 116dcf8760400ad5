import * as path from 'node:path';
import { Annotations, Duration, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_AUDITOR_SERVICE, parseHostPort } from '../../functions/core/certs/workflow';
import { resolveCertThresholds, type CertificateThresholdsInput } from '../../functions/core/certs/thresholds';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { CERT_CHECK_FUNCTION_ENV } from '../../functions/handlers/lambda-env';
import type { ClusterNetworkConfig, ConsulConnectionConfig } from '../config/deploy-config';
import type { BackupBucket } from './backup-bucket';
import { DLQ_SEND_ACTIONS, SECRET_READ_ACTIONS, rateIntervalMs } from './cluster-backup';
import { createVpcFunctionRole } from './vpc-function-role';
import { importClusterNetwork } from './cluster-network';
import { PROJECT_ROOT, snapshotBundling } from './function-bundling';
import { InvokeFunctionTarget } from './invoke-function-target';
import type { ReportTopic } from './report-topic';
import { acknowledgeNodeRuntime, consulConnectionEnvironment, consulSecretArns, createSchedulerRole , grantFeatureReportAccess } from './consul-function';

/** 500 sidecars at 16 handshakes in flight and a 5 s probe timeout take under 3 minutes even if every one hangs. */
export const CERT_CHECK_TIMEOUT = Duration.minutes(5);

export { CERT_CHECK_FUNCTION_ENV };

/** Properties of {@link CertCheck}. */
export interface CertCheckProps {
  /** The cluster's name: a lower-case DNS label; reports go to `reports/<name>/certificates/`. */
  readonly clusterName: string;
  /** How the function reaches the Consul servers; their HTTPS (and gRPC TLS) listeners are checked too. */
  readonly consul: ConsulConnectionConfig;
  /**
   * The VPC, subnets and security group the function runs in. The security group must allow egress to the sidecars'
   * public listener ports (Consul assigns 21000–21255 by default) and the endpoints.
   */
  readonly network: ClusterNetworkConfig;
  /** Where full reports and the report state go. */
  readonly bucket: BackupBucket;
  /** Where the report is published. */
  readonly reportTopic: ReportTopic;
  /**
   * EventBridge Scheduler expression (UTC).
   * @default 'rate(1 hour)'
   */
  readonly schedule?: string;
  /**
   * More `host:port` TLS endpoints to check (ALB, UI, Vault…).
   * @default []
   */
  readonly endpoints?: readonly string[];
  /**
   * The service identity whose leaf is presented to sidecars; the token needs `service:write` on it.
   * @default 'consul-ops-auditor'
   */
  readonly auditorService?: string;
  /**
   * Overrides of the `{ warning, critical }` thresholds per kind.
   * @default - DEFAULT_CERT_THRESHOLDS (roots 90/30 days, endpoints 28/14 days, leaves 90/90 % of lifetime)
   */
  readonly thresholds?: CertificateThresholdsInput;
  /**
   * The handler file.
   * @default - functions/handlers/check-certs.ts
   */
  readonly entry?: string;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One Consul cluster's scheduled certificate check: a read-only, VPC-attached `check-certs` function that reads the
 * Connect CA, handshakes with every sidecar and TLS endpoint and publishes a `certificates` report; its failure
 * queue, log group and EventBridge Scheduler schedule.
 */
export class CertCheck extends Construct {
  /** The check-certs function. */
  readonly function: nodejs.NodejsFunction;
  /** The function's role. */
  readonly role: iam.Role;
  /** Failed async invocations (after Lambda's retry) and undeliverable schedule runs. */
  readonly deadLetterQueue: sqs.Queue;
  /** The schedule. */
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: CertCheckProps) {
    super(scope, id);
    const schedule = this.validate(props);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the check-certs function and its schedule; a DLQ of a DLQ adds nothing.',
    });
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    this.role = this.createRole(logGroup);
    this.function = this.createFunction(props, logGroup);
    this.grantRuntimeAccess(props);
    this.schedule = this.createSchedule(props, schedule);
  }

  private validate(props: CertCheckProps): string {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.clusterName)) {
      throw new InvalidInputError('CertCheckProps.clusterName', `expected a lower-case DNS label, got "${props.clusterName}"`, '"prod-east"');
    }
    const schedule = props.schedule ?? 'rate(1 hour)';
    if (!/^(rate|cron)\(.+\)$/.test(schedule)) throw new InvalidInputError('CertCheckProps.schedule', `expected rate(…) or cron(…), got "${schedule}"`, '"rate(1 hour)"');
    (props.endpoints ?? []).forEach((e, i) => parseHostPort(e, `CertCheckProps.endpoints[${i}]`));
    if (props.auditorService !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(props.auditorService)) {
      throw new InvalidInputError('CertCheckProps.auditorService', `expected a Consul service name, got "${props.auditorService}"`, `"${DEFAULT_AUDITOR_SERVICE}"`);
    }
    resolveCertThresholds(props.thresholds, 'CertCheckProps.thresholds');
    const interval = rateIntervalMs(schedule);
    if (interval !== undefined && interval < CERT_CHECK_TIMEOUT.toMilliseconds()) {
      Annotations.of(this).addWarningV2('consul-ops:certCheckFasterThanTimeout', `Cluster ${props.clusterName}: certificate check schedule ${schedule} is faster than its ${CERT_CHECK_TIMEOUT.toMinutes()}-minute timeout; slow runs will overlap.`);
    }
    return schedule;
  }

  private createFunction(props: CertCheckProps, logGroup: logs.LogGroup): nodejs.NodejsFunction {
    const network = importClusterNetwork(this, props.network);
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `consul-ops: scheduled certificate check of Consul cluster ${props.clusterName}`,
      entry: props.entry ?? path.join(PROJECT_ROOT, 'functions/handlers/check-certs.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      // ECDSA handshakes and certificate parsing are light; memory buys CPU share for 16 handshakes in flight.
      memorySize: 512,
      timeout: CERT_CHECK_TIMEOUT,
      role: this.role,
      logGroup,
      vpc: network.vpc,
      vpcSubnets: { subnets: network.subnets },
      securityGroups: [network.securityGroup],
      // Least privilege: the destination needs only sqs:SendMessage (granted below), not SqsDestination's extra reads.
      onFailure: { bind: () => ({ destination: this.deadLetterQueue.queueArn }) },
      retryAttempts: 1,
      // The next scheduled run supersedes a stale one.
      maxEventAge: Duration.hours(1),
      bundling: snapshotBundling(),
      environment: this.environment(props),
    });
    acknowledgeNodeRuntime(fn);
    return fn;
  }

  private environment(props: CertCheckProps): Record<string, string> {
    const e = CERT_CHECK_FUNCTION_ENV;
    const env: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: 'consul-ops-check-certs',
      POWERTOOLS_METRICS_NAMESPACE: 'ConsulOps',
      [e.clusterName]: props.clusterName,
      [e.bucketName]: props.bucket.bucket.bucketName,
      ...consulConnectionEnvironment(props.consul),
      [e.reportTopicArn]: props.reportTopic.topic.topicArn,
      [e.certAuditorService]: props.auditorService ?? DEFAULT_AUDITOR_SERVICE,
    };
    if ((props.endpoints ?? []).length > 0) env[e.certEndpoints] = props.endpoints!.join(',');
    if (props.thresholds && Object.keys(props.thresholds).length > 0) env[e.certThresholds] = JSON.stringify(props.thresholds);
    return env;
  }

  private grantRuntimeAccess(props: CertCheckProps): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...DLQ_SEND_ACTIONS], resources: [this.deadLetterQueue.queueArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...SECRET_READ_ACTIONS], resources: consulSecretArns(props.consul) }));
    grantFeatureReportAccess(this.role, props.bucket, props.clusterName, 'certificates');
    props.reportTopic.grantPublish(this.role);
  }


  private createRole(logGroup: logs.LogGroup): iam.Role {
    return createVpcFunctionRole(this, { description: 'consul-ops check-certs function', logGroup });
  }

  private createSchedule(props: CertCheckProps, expression: string): scheduler.Schedule {
    const role = createSchedulerRole(this, 'check-certs');
    return new scheduler.Schedule(this, 'Schedule', {
      description: `consul-ops: certificate check of Consul cluster ${props.clusterName}`,
      schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.of('UTC')),
      timeWindow: scheduler.TimeWindow.off(),
      target: new InvokeFunctionTarget(this.function, {
        role,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule', cluster: props.clusterName }),
      }),
    });
  }
}
