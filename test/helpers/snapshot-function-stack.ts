/**
 * The local stack a take-snapshot handler runs against in integration tests: the Consul simulator, the Secrets
 * Manager fake holding the management token, fauxqs with a report topic and a queue subscribed to it, a versioned
 * radosgw bucket, and the environment the CDK stack would give the function (cluster `demo`).
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { S3Client } from '@aws-sdk/client-s3';
import { SNAPSHOT_FUNCTION_ENV as E } from '../../functions/handlers/lambda-env';
import { startConsulSimulator, type ConsulSimulator, type ConsulSimulatorOptions } from '../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../local/secrets-manager-fake';
import { startLocalSns, type LocalSns, type QueueSubscription } from '../../local/sns';
import { createTestBucket } from './s3';

/** What {@link startSnapshotFunctionStack} started. */
export interface SnapshotFunctionStack {
  readonly sim: ConsulSimulator;
  readonly secrets: SecretsManagerFake;
  readonly sns: LocalSns;
  readonly topicArn: string;
  readonly inbox: QueueSubscription;
  readonly bucket: string;
  readonly s3: S3Client;
  /** The function's environment (without a retention policy), endpoints included. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts the stack; `stop()` stops what it started. */
export async function startSnapshotFunctionStack(consul: ConsulSimulatorOptions = {}): Promise<SnapshotFunctionStack> {
  const sim = await startConsulSimulator(consul);
  const secrets = await startSecretsManagerFake();
  const sns = await startLocalSns();
  const topicArn = sns.createTopic('consul-ops-reports');
  const inbox = sns.subscribeQueue(topicArn);
  const created = await new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1' }).send(
    new CreateSecretCommand({ Name: 'consul/demo/management', SecretString: JSON.stringify({ accessorId: sim.managementToken.accessorId, secretId: sim.managementToken.secretId }) }),
  );
  const { bucket, s3 } = await createTestBucket({ versioning: true });
  const env = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    [E.clusterName]: 'demo',
    [E.bucketName]: bucket,
    [E.snapshotPrefix]: 'snapshots',
    [E.consulAddresses]: sim.url,
    [E.consulTokenSecretArn]: created.ARN!,
    [E.reportTopicArn]: topicArn,
  };
  return {
    sim,
    secrets,
    sns,
    topicArn,
    inbox,
    bucket,
    s3,
    env,
    async stop() {
      await sim.stop();
      await secrets.stop();
      await sns.stop();
    },
  };
}
