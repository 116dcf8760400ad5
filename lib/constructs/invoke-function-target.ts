import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { InvalidInputError } from '../../functions/core/shared/errors';

/** What the scheduler role may do with the function: invoke exactly its unqualified ARN. */
export const SCHEDULER_INVOKE_ACTIONS = ['lambda:InvokeFunction'] as const;
/** Sending a failed invocation to a dead-letter queue (the scheduler role's, and Lambda's on-failure destination). */
export const DLQ_SEND_ACTIONS = ['sqs:SendMessage'] as const;

/** Properties of {@link InvokeFunctionTarget}. */
export interface InvokeFunctionTargetProps {
  /** The role EventBridge Scheduler assumes; it is granted exactly the invoke (and DLQ) actions. */
  readonly role: iam.IRole;
  /**
   * Where the scheduler puts invocations it could not deliver (SSE-SQS or an AWS-managed key only).
   * @default - undeliverable invocations are dropped
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * How often the scheduler retries a failed `Invoke` call (not a failed function run: that is Lambda's async retry).
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * How long the scheduler keeps retrying an undelivered invocation.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /**
   * The event passed to the function.
   * @default - no input
   */
  readonly input?: scheduler.ScheduleTargetInput;
}

/**
 * An EventBridge Scheduler target that invokes a Lambda function with a least-privilege role. Unlike
 * `aws-scheduler-targets.LambdaInvoke` it grants `lambda:InvokeFunction` on the function ARN only (not `arn:*`, which
 * would also cover every version and alias).
 */
export class InvokeFunctionTarget implements scheduler.IScheduleTarget {
  private readonly retryAttempts: number;
  private readonly maxEventAgeSeconds: number;

  constructor(
    private readonly fn: lambda.IFunction,
    private readonly props: InvokeFunctionTargetProps,
  ) {
    this.retryAttempts = props.retryAttempts ?? 3;
    if (!Number.isInteger(this.retryAttempts) || this.retryAttempts < 0 || this.retryAttempts > 185) {
      throw new InvalidInputError('InvokeFunctionTargetProps.retryAttempts', `expected a whole number from 0 to 185, got ${this.retryAttempts}`, '3');
    }
    this.maxEventAgeSeconds = (props.maxEventAge ?? Duration.hours(1)).toSeconds();
    if (this.maxEventAgeSeconds < 60 || this.maxEventAgeSeconds > 86_400) {
      throw new InvalidInputError('InvokeFunctionTargetProps.maxEventAge', `expected 60 to 86400 seconds, got ${this.maxEventAgeSeconds}`, 'Duration.hours(1)');
    }
  }

  /** Grants the role and returns the target config (called by `Schedule`). */
  bind(_schedule: scheduler.ISchedule): scheduler.ScheduleTargetConfig {
    const { role, deadLetterQueue } = this.props;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...SCHEDULER_INVOKE_ACTIONS], resources: [this.fn.functionArn] }));
    if (deadLetterQueue) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...DLQ_SEND_ACTIONS], resources: [deadLetterQueue.queueArn] }));
    }
    return {
      arn: this.fn.functionArn,
      role,
      input: this.props.input,
      deadLetterConfig: deadLetterQueue ? { arn: deadLetterQueue.queueArn } : undefined,
      retryPolicy: { maximumRetryAttempts: this.retryAttempts, maximumEventAgeInSeconds: this.maxEventAgeSeconds },
    };
  }
}
