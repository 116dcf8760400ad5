import * as path from 'node:path';
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { ROTATION_FUNCTION_ENV } from '../../functions/handlers/lambda-env';
import type { ClusterNetworkConfig, ConsulConnectionConfig, RotationConfig } from '../config/deploy-config';
import { SECRET_READ_ACTIONS } from './cluster-backup';
import { importClusterNetwork } from './cluster-network';
import { PROJECT_ROOT, snapshotBundling } from './function-bundling';
import { createVpcFunctionRole } from './vpc-function-role';
import { acknowledgeNodeRuntime, consulConnectionEnvironment, consulSecretArns } from './consul-function';

/** What a rotation function does on each secret it rotates (the Secrets Manager rotation contract). */
export const ROTATION_SECRET_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
] as const;
/** Who invokes the rotation function. */
export const SECRETS_MANAGER_PRINCIPAL = 'secretsmanager.amazonaws.com';
/**
 * CloudTrail service events of a rotation gone wrong. The names are in the Secrets Manager user guide ("Logging
 * Secrets Manager events with CloudTrail"); that EventBridge delivers them with detail-type
 * `AWS Service Event via CloudTrail` is the general rule for CloudTrail service events, not verified for these two.
 */
export const ROTATION_FAILURE_EVENT_NAMES = ['RotationFailed', 'RotationAbandoned'] as const;
/** How often the function deletes rotated-out tokens whose grace period is over. */
export const ROTATION_SWEEP_SCHEDULE = 'rate(1 hour)';
/** What EventBridge needs on the topic's key to publish to an encrypted topic. */
export const EVENTS_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'] as const;

export { ROTATION_FUNCTION_ENV };

/** Properties of {@link TokenRotation}. */
export interface TokenRotationProps {
  /** The cluster's name: a lower-case DNS label; secrets of other clusters are refused at run time. */
  readonly clusterName: string;
  /** How the function reaches the Consul servers; `managementTokenSecretArn` authenticates it. */
  readonly consul: ConsulConnectionConfig;
  /** The VPC, subnets and security group the function runs in (imported, no lookups). */
  readonly network: ClusterNetworkConfig;
  /** Which secrets to rotate, how often, and the grace period. */
  readonly rotation: RotationConfig;
  /**
   * The handler file.
   * @default - functions/handlers/rotate-token.ts
   */
  readonly entry?: string;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One Consul cluster's ACL token rotation: a VPC-attached `rotate-token` function that Secrets Manager invokes for
 * every configured secret (and the management token secret with `rotateManagementToken`), one rotation schedule per
 * secret (never rotating on deploy), and an hourly sweep that deletes rotated-out tokens after the grace period.
 *
 * The schedules are `CfnRotationSchedule`s: the L2 `RotationSchedule` would also grant `secretsmanager:GetRandomPassword`
 * on `*` and let Secrets Manager invoke the function for any secret of any account.
 */
export class TokenRotation extends Construct {
  /** The rotate-token function. */
  readonly function: nodejs.NodejsFunction;
  /** The function's role. */
  readonly role: iam.Role;
  /** One rotation schedule per rotated secret. */
  readonly schedules: secretsmanager.CfnRotationSchedule[] = [];
  /** The secrets this function rotates. */
  readonly rotatedSecretArns: readonly string[];

  constructor(scope: Construct, id: string, props: TokenRotationProps) {
    super(scope, id);
    const entries = this.validate(props);
    this.rotatedSecretArns = entries.map((e) => e.secretArn);
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    this.role = this.createRole(logGroup);
    this.function = this.createFunction(props, logGroup);
    this.grantSecretAccess(props);
    entries.forEach((e, i) => this.schedules.push(this.schedule(i, e.secretArn, e.intervalDays)));
    new events.Rule(this, 'SweepSchedule', {
      description: `consul-ops: delete rotated-out Consul tokens of cluster ${props.clusterName} after the grace period`,
      schedule: events.Schedule.expression(ROTATION_SWEEP_SCHEDULE),
      targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({ action: 'sweep' }), retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }

  private validate(props: TokenRotationProps): { secretArn: string; intervalDays: number }[] {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.clusterName)) {
      throw new InvalidInputError('TokenRotationProps.clusterName', `expected a lower-case DNS label, got "${props.clusterName}"`, '"prod-east"');
    }
    const { rotation } = props;
    const entries = [
      ...rotation.tokens,
      ...(rotation.rotateManagementToken ? [{ secretArn: props.consul.managementTokenSecretArn, intervalDays: rotation.managementTokenIntervalDays }] : []),
    ];
    if (entries.length === 0) throw new InvalidInputError('TokenRotationProps.rotation.tokens', 'expected at least one secret to rotate', '[{ secretArn: "arn:aws:secretsmanager:…", intervalDays: 30 }]');
    const duplicate = entries.find((e, i) => entries.findIndex((x) => x.secretArn === e.secretArn) !== i);
    if (duplicate) throw new InvalidInputError('TokenRotationProps.rotation.tokens', `${duplicate.secretArn} is listed twice (or is the rotated management token secret)`, 'each secret once');
    entries.forEach((e, i) => {
      if (!Number.isInteger(e.intervalDays) || e.intervalDays < 1 || e.intervalDays > 1000) {
        throw new InvalidInputError(`TokenRotationProps.rotation.tokens[${i}].intervalDays`, `expected 1 to 1000 days, got ${e.intervalDays}`, '30');
      }
    });
    if (!Number.isInteger(rotation.gracePeriodHours) || rotation.gracePeriodHours < 1) {
      throw new InvalidInputError('TokenRotationProps.rotation.gracePeriodHours', `expected a positive whole number of hours, got ${rotation.gracePeriodHours}`, '24');
    }
    return entries;
  }

  private createFunction(props: TokenRotationProps, logGroup: logs.LogGroup): nodejs.NodejsFunction {
    const network = importClusterNetwork(this, props.network);
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `consul-ops: rotates Consul ACL tokens of cluster ${props.clusterName} (Secrets Manager rotation function)`,
      entry: props.entry ?? path.join(PROJECT_ROOT, 'functions/handlers/rotate-token.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A step is a few Consul and Secrets Manager calls (Consul retries end after 20 s); the sweep visits each secret.
      timeout: Duration.minutes(5),
      // No reserved concurrency: Secrets Manager may run rotations of several secrets at once, and a rotation
      // function throttled below 10 concurrent runs fails its steps (Secrets Manager guidance).
      role: this.role,
      logGroup,
      vpc: network.vpc,
      vpcSubnets: { subnets: network.subnets },
      securityGroups: [network.securityGroup],
      bundling: snapshotBundling(),
      environment: this.environment(props),
    });
    acknowledgeNodeRuntime(fn);
    return fn;
  }

  private environment(props: TokenRotationProps): Record<string, string> {
    const e = ROTATION_FUNCTION_ENV;
    const env: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: 'consul-ops-rotate-token',
      [e.clusterName]: props.clusterName,
      ...consulConnectionEnvironment(props.consul),
      [e.gracePeriodHours]: String(props.rotation.gracePeriodHours),
      [e.rotatedSecretArns]: this.rotatedSecretArns.join(','),
    };
    const size = Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (size > 3500) {
      Annotations.of(this).addWarningV2('consul-ops:rotationEnvironmentTooLarge', `Cluster ${props.clusterName}: the rotation function's environment is ${size} bytes, close to Lambda's 4 KB limit; move the CA bundle to caBundleSecretArn or rotate fewer secrets per cluster.`);
    }
    return env;
  }

  /** Exactly the rotated secrets get the rotation actions; the management token and CA bundle are only read. */
  private grantSecretAccess(props: TokenRotationProps): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...ROTATION_SECRET_ACTIONS], resources: [...this.rotatedSecretArns] }));
    const readOnly = consulSecretArns(props.consul).filter((arn) => !this.rotatedSecretArns.includes(arn));
    if (readOnly.length > 0) this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...SECRET_READ_ACTIONS], resources: readOnly }));
  }

  /** Lets Secrets Manager invoke the function for this secret only (source account and ARN), then schedules it. */
  private schedule(i: number, secretArn: string, intervalDays: number): secretsmanager.CfnRotationSchedule {
    this.function.addPermission(`SecretsManagerInvoke${i}`, {
      principal: new iam.ServicePrincipal(SECRETS_MANAGER_PRINCIPAL),
      action: 'lambda:InvokeFunction',
      sourceAccount: Stack.of(this).account,
      sourceArn: secretArn,
    });
    const schedule = new secretsmanager.CfnRotationSchedule(this, `Schedule${i}`, {
      secretId: secretArn,
      rotationLambdaArn: this.function.functionArn,
      rotationRules: { automaticallyAfterDays: intervalDays },
      // A deploy must never rotate: rotations start on the schedule or by hand.
      rotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager checks the invoke permission when rotation is configured; the role must be complete by the first run.
    schedule.node.addDependency(this.function.node.findChild(`SecretsManagerInvoke${i}`), this.role);
    return schedule;
  }

  private createRole(logGroup: logs.LogGroup): iam.Role {
    return createVpcFunctionRole(this, { description: 'consul-ops rotate-token function', logGroup });
  }
}

/** Properties of {@link RotationFailureAlerts}. */
export interface RotationFailureAlertsProps {
  /**
   * Where failures go. Use a topic without a severity filter on its e-mail subscriptions (the monitoring alarm
   * topic): EventBridge cannot set SNS message attributes, so severity-filtered subscriptions would drop them.
   */
  readonly topic: sns.ITopic;
  /**
   * The topic's key; a `kms.Key` of this app gets a key-policy statement letting EventBridge publish.
   * @default - the topic is not encrypted with a customer managed key
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * One EventBridge rule per stack that forwards Secrets Manager's `RotationFailed` and `RotationAbandoned` CloudTrail
 * events to SNS. It matches every secret of the account and Region: where these service events carry the secret ARN
 * is not documented, so the rule does not filter on it (the message includes the whole event detail).
 */
export class RotationFailureAlerts extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RotationFailureAlertsProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'consul-ops: a Secrets Manager rotation failed or was abandoned',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: [...ROTATION_FAILURE_EVENT_NAMES] },
      },
    });
    this.rule.addTarget(
      new targets.SnsTopic(props.topic, {
        message: events.RuleTargetInput.fromObject({
          feature: 'token-rotation',
          severity: 'high',
          summary: `Secrets Manager reported ${events.EventField.fromPath('$.detail.eventName')} in ${events.EventField.region} at ${events.EventField.time}`,
          remedy: 'Read "rotation step failed" in the rotate-token function log, fix the cause, then let Secrets Manager reattempt, or clear the stuck rotation as the README ("Token rotation") shows.',
          detail: events.EventField.fromPath('$.detail'),
        }),
      }),
    );
    if (props.encryptionKey instanceof kms.Key) {
      props.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowEventBridgeToPublishToEncryptedTopic',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: [...EVENTS_KEY_ACTIONS],
          // In a key policy "*" means this key.
          resources: ['*'],
        }),
      );
    }
  }
}
