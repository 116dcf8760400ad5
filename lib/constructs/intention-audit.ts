import * as path from 'node:path';
import { Duration, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { loadIntentionBaselineFile } from '../../functions/adapters/intention-baseline-file';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { baselineDigest, serializeBaseline, type IntentionBaseline } from '../../functions/core/intentions/baseline';
import { INTENTION_AUDIT_FUNCTION_ENV, INTENTION_BASELINE_DEFINE } from '../../functions/handlers/lambda-env';
import type { ClusterNetworkConfig, ConsulConnectionConfig } from '../config/deploy-config';
import type { BackupBucket } from './backup-bucket';
import { DLQ_SEND_ACTIONS, SECRET_READ_ACTIONS } from './cluster-backup';
import { importClusterNetwork } from './cluster-network';
import { PROJECT_ROOT, snapshotBundling } from './function-bundling';
import { InvokeFunctionTarget } from './invoke-function-target';
import type { ReportTopic } from './report-topic';
import { createVpcFunctionRole } from './vpc-function-role';
import { acknowledgeNodeRuntime, consulConnectionEnvironment, consulSecretArns, createSchedulerRole , grantFeatureReportAccess } from './consul-function';

/** Larger baselines would overflow esbuild's command line (128 KiB per argument); split the mesh or trim. */
export const MAX_BASELINE_BASE64_CHARS = 100_000;

export { INTENTION_AUDIT_FUNCTION_ENV };

/** Properties of {@link IntentionAudit}. */
export interface IntentionAuditProps {
  /** The cluster's name: a lower-case DNS label; documents go to `reports/<name>/intentions/`. */
  readonly clusterName: string;
  /** How the function reaches the Consul servers (the token needs agent:read and intentions:read). */
  readonly consul: ConsulConnectionConfig;
  /** The VPC, subnets and security group the function runs in. */
  readonly network: ClusterNetworkConfig;
  /** Where audit documents and the report state go. */
  readonly bucket: BackupBucket;
  /** Where the report is published. */
  readonly reportTopic: ReportTopic;
  /**
   * EventBridge Scheduler expression.
   * @default 'rate(1 hour)'
   */
  readonly schedule?: string;
  /**
   * IANA time zone of a `cron(…)` schedule.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * JSON or YAML baseline file (relative to the working directory of `cdk synth`), validated at synth and bundled
   * into the function code. Not with `baseline`.
   * @default - no baseline: no drift checks
   */
  readonly baselineFile?: string;
  /**
   * An already validated baseline. Not with `baselineFile`.
   * @default - the baseline from `baselineFile`, if any
   */
  readonly baseline?: IntentionBaseline;
  /**
   * The handler file.
   * @default - functions/handlers/audit-intentions.ts
   */
  readonly entry?: string;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One Consul cluster's scheduled intention audit: a read-only, VPC-attached `audit-intentions` function, its failure
 * queue, log group and EventBridge Scheduler schedule. The baseline is validated at synth and baked into the bundle
 * (esbuild `define`, base64 of its canonical JSON); only its sha256 is an environment variable, because Lambda's
 * 4 KB environment limit is shared with the CA bundle and a real mesh's baseline outgrows it.
 */
export class IntentionAudit extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: scheduler.Schedule;
  /** The validated baseline, if any. */
  readonly baseline?: IntentionBaseline;

  constructor(scope: Construct, id: string, props: IntentionAuditProps) {
    super(scope, id);
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.clusterName)) {
      throw new InvalidInputError('IntentionAuditProps.clusterName', `expected a lower-case DNS label, got "${props.clusterName}"`, '"prod-east"');
    }
    if (props.baseline !== undefined && props.baselineFile !== undefined) {
      throw new InvalidInputError('IntentionAuditProps.baseline', 'give either baseline or baselineFile, not both', 'baselineFile: "config/intentions/prod-east.yaml"');
    }
    const schedule = props.schedule ?? 'rate(1 hour)';
    if (!/^(rate|cron)\(.+\)$/.test(schedule)) throw new InvalidInputError('IntentionAuditProps.schedule', `expected rate(…) or cron(…), got "${schedule}"`, '"rate(1 hour)"');
    this.baseline = props.baseline ?? (props.baselineFile === undefined ? undefined : loadIntentionBaselineFile(path.resolve(props.baselineFile)));
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the audit-intentions function and its schedule; a DLQ of a DLQ adds nothing.',
    });
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    this.role = this.createRole(logGroup);
    this.function = this.createFunction(props, logGroup);
    this.grantRuntimeAccess(props);
    this.schedule = this.createSchedule(props, schedule);
  }

  private createFunction(props: IntentionAuditProps, logGroup: logs.LogGroup): nodejs.NodejsFunction {
    const network = importClusterNetwork(this, props.network);
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `consul-ops: scheduled intention audit of Consul cluster ${props.clusterName}`,
      entry: props.entry ?? path.join(PROJECT_ROOT, 'functions/handlers/audit-intentions.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // Six small reads and pure CPU work (10,000 intentions audit in well under a second).
      timeout: Duration.minutes(2),
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
      bundling: { ...snapshotBundling(), define: { [INTENTION_BASELINE_DEFINE]: this.embeddedBaseline() } },
      environment: this.environment(props),
    });
    acknowledgeNodeRuntime(fn);
    return fn;
  }

  /** The esbuild `define` value: a base64 string literal (shell-safe), or `undefined` so no environment can inject one. */
  private embeddedBaseline(): string {
    if (!this.baseline) return 'undefined';
    const b64 = Buffer.from(serializeBaseline(this.baseline), 'utf8').toString('base64');
    if (b64.length > MAX_BASELINE_BASE64_CHARS) {
      throw new InvalidInputError('intentions.baselineFile', `the baseline is ${b64.length} base64 characters, more than the ${MAX_BASELINE_BASE64_CHARS} that can be bundled`, 'a baseline with fewer intentions (use wildcard denies instead of listing every deny)');
    }
    return JSON.stringify(b64);
  }

  private environment(props: IntentionAuditProps): Record<string, string> {
    const e = INTENTION_AUDIT_FUNCTION_ENV;
    const env: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: 'consul-ops-audit-intentions',
      POWERTOOLS_METRICS_NAMESPACE: 'ConsulOps',
      [e.clusterName]: props.clusterName,
      [e.bucketName]: props.bucket.bucket.bucketName,
      ...consulConnectionEnvironment(props.consul),
      [e.reportTopicArn]: props.reportTopic.topic.topicArn,
    };
    if (this.baseline) env[e.baselineSha256] = baselineDigest(this.baseline);
    return env;
  }

  private grantRuntimeAccess(props: IntentionAuditProps): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...DLQ_SEND_ACTIONS], resources: [this.deadLetterQueue.queueArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...SECRET_READ_ACTIONS], resources: consulSecretArns(props.consul) }));
    grantFeatureReportAccess(this.role, props.bucket, props.clusterName, 'intentions');
    props.reportTopic.grantPublish(this.role);
  }


  private createRole(logGroup: logs.LogGroup): iam.Role {
    return createVpcFunctionRole(this, { description: 'consul-ops audit-intentions function', logGroup });
  }

  private createSchedule(props: IntentionAuditProps, expression: string): scheduler.Schedule {
    const role = createSchedulerRole(this, 'audit-intentions');
    return new scheduler.Schedule(this, 'Schedule', {
      description: `consul-ops: intention audit of Consul cluster ${props.clusterName}`,
      schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.of(props.timeZone ?? 'UTC')),
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
