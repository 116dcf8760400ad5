import { CfnCondition, CfnParameter, CfnRule, Fn, Stack, type ICfnRuleConditionExpression } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Values of the {@link OBJECT_LOCK_PARAMETER} parameter: how the deployed bucket got (or did not get) Object Lock. */
export const OBJECT_LOCK_STATES = {
  /** The bucket was created with `ObjectLockEnabled: true` (create-only in CloudFormation). */
  atCreation: 'enabled-at-creation',
  /** Object Lock was turned on later with S3's own API; CloudFormation only manages the default retention. */
  later: 'enabled-later',
  /** No Object Lock. */
  disabled: 'disabled',
} as const;

/** Name of the stack parameter that remembers the bucket's Object Lock state. */
export const OBJECT_LOCK_PARAMETER = 'BackupBucketObjectLock';

/** Properties of {@link ObjectLockGuard}. */
export interface ObjectLockGuardProps {
  /** The bucket whose create-only `ObjectLockEnabled` is guarded. */
  readonly bucket: s3.Bucket;
  /** Whether the deploy config asks for Object Lock (`bucket.objectLock` is set). */
  readonly wanted: boolean;
  /** Where the migration is explained, e.g. `README "Object Lock"`. */
  readonly docs: string;
}

/**
 * Keeps a config change from ever replacing the backup bucket through its create-only `ObjectLockEnabled`.
 *
 * CloudFormation itself remembers how the bucket was created: the stack parameter {@link OBJECT_LOCK_PARAMETER}
 * defaults to what the config asks for at the first deploy, and `cdk deploy` keeps a parameter's previous value on
 * every update (`UsePreviousValue`, unless `--no-previous-parameters`). `ObjectLockEnabled` is rendered from the
 * parameter, never from the config, so it cannot change. A stack Rule compares the parameter with the config, so
 * turning Object Lock on or off later fails the deploy at change-set creation, before anything changes, with a
 * message saying how to migrate. (Synth alone cannot know what an existing deployment has.)
 */
export class ObjectLockGuard extends Construct {
  /** The parameter holding the deployed state. */
  readonly parameter: CfnParameter;

  constructor(scope: Construct, id: string, props: ObjectLockGuardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.parameter = new CfnParameter(stack, OBJECT_LOCK_PARAMETER, {
      type: 'String',
      allowedValues: Object.values(OBJECT_LOCK_STATES),
      default: props.wanted ? OBJECT_LOCK_STATES.atCreation : OBJECT_LOCK_STATES.disabled,
      description: `How the backup bucket got Object Lock. Set by the first deploy and kept by every later one; change it only as ${props.docs} describes.`,
    });
    const is = (state: string) => Fn.conditionEquals(this.parameter.valueAsString, state);
    const atCreation = new CfnCondition(stack, 'BackupBucketObjectLockAtCreation', { expression: is(OBJECT_LOCK_STATES.atCreation) });
    const cfnBucket = props.bucket.node.defaultChild as s3.CfnBucket;
    // Rendered from the parameter, not from the config: the same expression whatever the config says.
    cfnBucket.addPropertyOverride('ObjectLockEnabled', Fn.conditionIf(atCreation.logicalId, true, Fn.ref('AWS::NoValue')));

    const stackName = stack.stackName;
    const assertion: { assert: ICfnRuleConditionExpression; assertDescription: string } = props.wanted
      ? {
          assert: Fn.conditionOr(is(OBJECT_LOCK_STATES.atCreation), is(OBJECT_LOCK_STATES.later)),
          assertDescription:
            `bucket.objectLock is set, but this deployment's backup bucket has no Object Lock, and CloudFormation could only add it by replacing the bucket (every backup would disappear from list, restore and retention). ` +
            `Turn it on in place with "aws s3api put-object-lock-configuration" and deploy with --parameters ${stackName}:${OBJECT_LOCK_PARAMETER}=${OBJECT_LOCK_STATES.later}, or move to a new deployment and copy the backups; see ${props.docs}. Or remove bucket.objectLock.`,
        }
      : {
          assert: is(OBJECT_LOCK_STATES.disabled),
          assertDescription: `bucket.objectLock is not set, but this deployment's backup bucket has Object Lock, which S3 never turns off. Put bucket.objectLock back; see ${props.docs}.`,
        };
    new CfnRule(stack, 'BackupBucketObjectLockUnchanged', { assertions: [assertion] });
  }
}
