/**
 * The whole local stack in one call, for `npm run demo` and `npm run bench`: the Consul API simulator, Ceph radosgw
 * (real versioned S3), the Secrets Manager fake holding the management token, and fauxqs (SNS) with an SQS inbox
 * subscribed to the report topic. Everything listens on loopback ports chosen at start and is stopped by `stop()`.
 */
import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawnSync } from 'node:child_process';
import { startConsulSimulator, type ConsulSimulator, type ConsulSimulatorOptions } from './consul-simulator';
import { isRadosgwInstalled, RADOSGW_SCRIPT, s3ClientForLocal, startRadosgw, type RadosgwHandle } from './radosgw';
import { startSecretsManagerFake, type SecretsManagerFake } from './secrets-manager-fake';
import { startLocalSns, type LocalSns, type QueueSubscription } from './sns';

/** A running local stack. */
export interface LocalStack {
  readonly consul: ConsulSimulator;
  readonly s3: RadosgwHandle;
  readonly secrets: SecretsManagerFake;
  readonly sns: LocalSns;
  /** A versioned bucket for backups. */
  readonly bucket: string;
  /** The report topic and an SQS queue subscribed to it (what an e-mail or Slack subscriber would get). */
  readonly topicArn: string;
  readonly inbox: QueueSubscription;
  /** ARN of the secret holding the management token as `{"accessorId", "secretId"}`. */
  readonly tokenSecretArn: string;
  /** The SDK environment that points product code at the stack (endpoints, test credentials, local checksums). */
  readonly awsEnv: Readonly<Record<string, string>>;
  /** Stops everything; idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** @default 'consul-ops-demo' */
  readonly bucket?: string;
  /** Passed to the Consul simulator. */
  readonly consul?: ConsulSimulatorOptions;
  /** radosgw memstore capacity (the benchmark stores GiB-sized snapshots). @default 1 GiB */
  readonly memstoreBytes?: number;
  /** Progress lines. @default - silent */
  readonly log?: (line: string) => void;
}

/**
 * Starts the stack. Installs radosgw from Debian's packages first when it is missing and this process may
 * (root with apt-get); otherwise fails with the command to run.
 *
 * @example
 * const stack = await startLocalStack({ log: console.log });
 * try { … } finally { await stack.stop(); }
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  ensureRadosgwInstalled(log);
  const started: { stop(): Promise<void> }[] = [];
  try {
    log('starting Ceph radosgw (single node, in memory; a few seconds)…');
    const s3 = await startRadosgw({ memstoreBytes: options.memstoreBytes });
    started.push(s3);
    const consul = await startConsulSimulator(options.consul);
    started.push(consul);
    const secrets = await startSecretsManagerFake();
    started.push(secrets);
    const sns = await startLocalSns();
    started.push(sns);
    log(`radosgw ${s3.endpoint} · Consul simulator ${consul.url} · Secrets Manager fake ${secrets.endpoint} · SNS (fauxqs) ${sns.endpoint}`);

    const awsEnv = {
      AWS_REGION: s3.region,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      AWS_ENDPOINT_URL_SQS: sns.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      // No local S3 server understands flexible checksums; production keeps the SDK default.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    };
    const bucket = options.bucket ?? 'consul-ops-demo';
    const client = s3ClientForLocal(s3);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const secret = await new SecretsManagerClient({ endpoint: secrets.endpoint, region: s3.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }).send(
      new CreateSecretCommand({
        Name: 'consul-ops/demo/management-token',
        SecretString: JSON.stringify({ accessorId: consul.managementToken.accessorId, secretId: consul.managementToken.secretId }),
      }),
    );
    const topicArn = sns.createTopic('consul-ops-reports');
    const inbox = sns.subscribeQueue(topicArn);
    let stopped = false;
    return {
      consul, s3, secrets, sns, bucket, topicArn, inbox, awsEnv, tokenSecretArn: secret.ARN!,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll(started);
      },
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(started: { stop(): Promise<void> }[]): Promise<void> {
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
}

function ensureRadosgwInstalled(log: (line: string) => void): void {
  if (isRadosgwInstalled()) return;
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!root || !apt) {
    throw new Error('Ceph radosgw is not installed. Install it with: sudo bash local/radosgw.sh install (Debian/Ubuntu packages radosgw ceph-mon ceph-osd).');
  }
  log('radosgw is not installed: installing it from Debian\'s packages (bash local/radosgw.sh install, about 30 s)…');
  const result = spawnSync('bash', [RADOSGW_SCRIPT, 'install'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('Installing radosgw failed (see above). Run: sudo bash local/radosgw.sh install');
}
