import * as path from 'node:path';
import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { SLACK_FORWARDER_ENV } from '../../functions/handlers/slack-forwarder-env';
import { SECRET_ARN } from '../config/schema-fields';
import { DLQ_SEND_ACTIONS, SECRET_READ_ACTIONS, acknowledgeNodeRuntime, jobServiceName } from './consul-function';
import { LOG_WRITE_ACTIONS } from './vpc-function-role';
import { PROJECT_ROOT, snapshotBundling } from './function-bundling';

/** Properties of {@link SlackForwarder}. */
export interface SlackForwarderProps {
  /** The secret whose string is the Slack incoming-webhook URL (or JSON `{"webhookUrl": "…"}`). */
  readonly webhookSecretArn: string;
  /**
   * Customer-managed key of the webhook secret: the forwarder gets `kms:Decrypt` on it through Secrets Manager.
   * @default - the secret uses the AWS managed key
   */
  readonly webhookKmsKeyArn?: string;
  /** Topics forwarded to Slack, unfiltered (every severity). */
  readonly topics: readonly sns.ITopic[];
  /**
   * Lambda's retries of a failed post (0–2); after them the event goes to the dead-letter queue.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Lambda subscribed to the report and alarm topics that posts each message to a Slack incoming webhook (URL in
 * Secrets Manager, never in the template, the environment or logs).
 *
 * Nothing is lost: SNS → Lambda is asynchronous, so Lambda retries a failed post (`retryAttempts`, with back-off,
 * up to `maxEventAge`) and then sends the event to {@link deadLetterQueue}; SNS itself parks messages it cannot
 * deliver to Lambda at all (throttling beyond its own retries, permissions) in the same queue through the
 * subscription's redrive policy.
 */
export class SlackForwarder extends Construct {
  /** The forwarder function. */
  readonly function: nodejs.NodejsFunction;
  /** Messages that could not be posted (Lambda on-failure destination and SNS subscription redrive). */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SlackForwarderProps) {
    super(scope, id);
    if (!SECRET_ARN.test(props.webhookSecretArn)) {
      throw new InvalidInputError('SlackForwarderProps.webhookSecretArn', `expected a Secrets Manager secret ARN, got "${props.webhookSecretArn}"`, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-ops/slack-webhook-AbCdEf');
    }
    const retryAttempts = props.retryAttempts ?? 2;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 2) {
      throw new InvalidInputError('SlackForwarderProps.retryAttempts', `expected 0, 1 or 2, got ${retryAttempts}`, '2');
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the Slack forwarder (Lambda on-failure and SNS redrive); a DLQ of a DLQ adds nothing.',
    });
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'consul-ops Slack forwarder',
      inlinePolicies: {
        Runtime: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: [...LOG_WRITE_ACTIONS], resources: [logGroup.logGroupArn] }),
            new iam.PolicyStatement({ actions: [...SECRET_READ_ACTIONS], resources: [props.webhookSecretArn] }),
            new iam.PolicyStatement({ actions: [...DLQ_SEND_ACTIONS], resources: [this.deadLetterQueue.queueArn] }),
            ...(props.webhookKmsKeyArn
              ? [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.webhookKmsKeyArn], conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } } })]
              : []),
          ],
        }),
      },
    });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'consul-ops: forwards report and alarm notifications to Slack',
      entry: path.join(PROJECT_ROOT, 'functions/handlers/slack-forwarder.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // The webhook call times out after 10 s; the rest is the secret read and a cold start.
      timeout: Duration.seconds(30),
      role,
      logGroup,
      // Least privilege: the destination needs only sqs:SendMessage (granted above), not SqsDestination's extra reads.
      onFailure: { bind: () => ({ destination: this.deadLetterQueue.queueArn }) },
      retryAttempts,
      maxEventAge: Duration.hours(6),
      bundling: snapshotBundling(),
      environment: {
        POWERTOOLS_SERVICE_NAME: jobServiceName('slack-forwarder'),
        [SLACK_FORWARDER_ENV.webhookSecretArn]: props.webhookSecretArn,
      },
    });
    acknowledgeNodeRuntime(this.function);
    for (const topic of props.topics) {
      topic.addSubscription(new subscriptions.LambdaSubscription(this.function, { deadLetterQueue: this.deadLetterQueue }));
    }
  }
}
