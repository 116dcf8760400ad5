import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { isSeverity, type Severity } from '../../functions/core/shared/severity';

/** Publishing a report. */
export const REPORT_PUBLISH_ACTIONS = ['sns:Publish'] as const;
/** What a publisher needs on the topic's key: SNS asks KMS for a data key and decrypts it on the publisher's behalf. */
export const REPORT_KEY_PUBLISH_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;
/** Properties of {@link ReportTopic}. */
export interface ReportTopicProps {
  /**
   * The key that encrypts messages at rest.
   * @default - a new key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Email addresses subscribed to the topic (each must confirm the subscription).
   * @default - no email subscriptions
   */
  readonly emails?: readonly string[];
  /**
   * Which `severity` message attribute values reach email subscribers; everything else goes only to other subscribers.
   * @default ['critical', 'high']
   */
  readonly emailSeverities?: readonly Severity[];
}

/**
 * The KMS-encrypted, TLS-only SNS topic every consul-ops report goes to. Publishers set the message attributes
 * `severity`, `feature` and `cluster`; email subscriptions filter on `severity`.
 */
export class ReportTopic extends Construct {
  /** The topic. */
  readonly topic: sns.Topic;
  /** The key that encrypts the topic. */
  readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ReportTopicProps = {}) {
    super(scope, id);
    const emailSeverities = props.emailSeverities ?? ['critical', 'high'];
    if (emailSeverities.length === 0 || !emailSeverities.every((s) => isSeverity(s))) {
      throw new InvalidInputError('ReportTopicProps.emailSeverities', 'expected a non-empty list of severities', "['critical', 'high']");
    }
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', { description: 'consul-ops: encrypts reports', enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'consul-ops reports',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(email, {
          filterPolicy: { severity: sns.SubscriptionFilter.stringFilter({ allowlist: [...emailSeverities] }) },
        }),
      );
    }
  }

  /** Lets `grantee` publish reports (`sns:Publish` plus the key use SNS makes on its behalf). */
  grantPublish(grantee: iam.IGrantable): void {
    grantPublishReports(grantee, this.topic, this.encryptionKey);
  }
}

/**
 * Lets `grantee` publish to an encrypted topic: `sns:Publish` on it, and the key use SNS makes on the publisher's
 * behalf (through SNS only). Works for the topic of this stack and for one imported into a cluster stack.
 */
export function grantPublishReports(grantee: iam.IGrantable, topic: sns.ITopic, key: kms.IKey): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...REPORT_PUBLISH_ACTIONS], resources: [topic.topicArn] }));
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...REPORT_KEY_PUBLISH_ACTIONS],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${Aws.REGION}.amazonaws.com` } },
    }),
  );
}
