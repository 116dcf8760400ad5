import { Aws } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_TIME_ZONE } from '../../functions/core/shared/defaults';
import type { ConsulFunction } from './consul-function';

export { ROTATION_SECRET_ACTIONS } from './consul-function';

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

/** One rotated secret. */
export interface RotatedSecret {
  /** The secret's full ARN. */
  readonly secretArn: string;
  /** Days between rotations. */
  readonly intervalDays: number;
}

/** Properties of {@link TokenRotation}. */
export interface TokenRotationProps {
  /** The cluster's rotate-token job (its role already holds the rotation actions on exactly these secrets). */
  readonly job: ConsulFunction;
  /** The secrets it rotates, each with its interval. */
  readonly secrets: readonly RotatedSecret[];
}

/**
 * The Secrets Manager side of one cluster's ACL token rotation: per secret a Lambda permission (this secret of this
 * account only) and a rotation schedule that never rotates on deploy, and an hourly sweep that deletes rotated-out
 * tokens after the grace period.
 *
 * A rotation schedule is not inert: when it is created, Secrets Manager tests the configuration by running the
 * function's `testSecret` step once (see README "Token rotation"). So each schedule waits for everything that test
 * needs in this stack: the function, its role and policies (secrets, their key), its log group and its permission.
 * The network path (VPC endpoints) is in the shared stack, which is deployed first.
 *
 * The schedules are `CfnRotationSchedule`s: the L2 `RotationSchedule` would also grant `secretsmanager:GetRandomPassword`
 * on `*` and let Secrets Manager invoke the function for any secret of any account.
 */
export class TokenRotation extends Construct {
  /** One rotation schedule per rotated secret. */
  readonly schedules: secretsmanager.CfnRotationSchedule[] = [];

  constructor(scope: Construct, id: string, props: TokenRotationProps) {
    super(scope, id);
    const fn = props.job.function;
    props.secrets.forEach(({ secretArn, intervalDays }, i) => {
      fn.addPermission(`SecretsManagerInvoke${i}`, {
        principal: new iam.ServicePrincipal(SECRETS_MANAGER_PRINCIPAL),
        action: 'lambda:InvokeFunction',
        sourceAccount: Aws.ACCOUNT_ID,
        sourceArn: secretArn,
      });
      const schedule = new secretsmanager.CfnRotationSchedule(this, `Schedule${i}`, {
        secretId: secretArn,
        rotationLambdaArn: fn.functionArn,
        rotationRules: { automaticallyAfterDays: intervalDays },
        // A deploy must never rotate: rotations start on the schedule or by hand.
        rotateImmediatelyOnUpdate: false,
      });
      schedule.node.addDependency(props.job);
      this.schedules.push(schedule);
    });
    props.job.addSchedule(ROTATION_SWEEP_SCHEDULE, DEFAULT_TIME_ZONE, { action: 'sweep' });
  }
}

/** Properties of {@link RotationFailureAlerts}. */
export interface RotationFailureAlertsProps {
  /**
   * Where failures go. Use a topic without a severity filter on its e-mail subscriptions (the monitoring alarm
   * topic): EventBridge cannot set SNS message attributes, so severity-filtered subscriptions would drop them.
   */
  readonly topic: sns.ITopic;
  /** The topic's key, created in this app: it gets a key-policy statement letting EventBridge publish. */
  readonly encryptionKey: kms.Key;
}

/**
 * One EventBridge rule per deployment that forwards Secrets Manager's `RotationFailed` and `RotationAbandoned`
 * CloudTrail events to SNS. It matches every secret of the account and Region: where these service events carry the
 * secret ARN is not documented, so the rule does not filter on it (the message includes the whole event detail).
 */
export class RotationFailureAlerts extends Construct {
  /** The rule. */
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
    // The topic policy statement is ours (not SnsTopic's), so that it names this rule: EventBridge sends aws:SourceArn.
    props.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRotationFailureRule',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [props.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
      }),
    );
    const message = events.RuleTargetInput.fromObject({
      feature: 'token-rotation',
      severity: 'high',
      summary: `Secrets Manager reported ${events.EventField.fromPath('$.detail.eventName')} in ${events.EventField.region} at ${events.EventField.time}`,
      remedy: 'Read "rotation step failed" in the rotate-token function log, fix the cause, then let Secrets Manager reattempt, or clear the stuck rotation as the README ("Token rotation") shows.',
      detail: events.EventField.fromPath('$.detail'),
    });
    this.rule.addTarget({ bind: () => ({ arn: props.topic.topicArn, input: message }) });
    props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: [...EVENTS_KEY_ACTIONS],
        // In a key policy "*" means this key. No aws:SourceAccount/aws:SourceArn here on purpose: the KMS request SNS
        // makes for an EventBridge delivery does not carry them (SNS developer guide, "encrypted topics"), so such a
        // condition would drop every alert; the topic policy statement above is the one scoped to the rule.
        resources: ['*'],
      }),
    );
  }
}
