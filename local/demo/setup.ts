/**
 * The demo's cluster and job wiring: what is in the simulated Consul cluster (KV, services, a drifted intention, an
 * application token in Secrets Manager), and the environment the CDK stack would give each Lambda, pointed at the
 * local stack.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  INTENTION_AUDIT_FUNCTION_ENV as AUDIT,
  RESTORE_FUNCTION_ENV as RESTORE,
  SNAPSHOT_FUNCTION_ENV as SNAPSHOT,
} from '../../functions/handlers/lambda-env';
import type { Sidecar } from '../consul-simulator';
import type { LocalStack } from '../stack';

/** The cluster's name in keys, reports and metrics. */
export const CLUSTER = 'demo';
const DAY_MS = 86_400_000;

/** What {@link seedCluster} created that later steps use. */
export interface SeededCluster {
  /** ARN of the secret holding the `web` service's token. */
  readonly webTokenSecretArn: string;
}

/**
 * Some state worth backing up, and worth auditing: configuration keys, three services with sidecars, the intentions
 * the baseline allows plus one nobody intended (`*` → `*` allow), and an application token in Secrets Manager.
 */
export async function seedCluster(stack: LocalStack): Promise<SeededCluster> {
  const state = stack.consul.state;
  for (const [key, value] of [
    ['config/payments/currency', 'EUR'],
    ['config/payments/provider', 'acme-pay'],
    ['config/payments/timeout-ms', '2500'],
    ['config/web/replicas', '3'],
    ['feature-flags/new-ui', 'on'],
  ]) {
    state.kvPut(key, value);
  }
  for (const service of ['web', 'payments', 'db']) state.registerService({ name: service, port: 8080 });
  state.setConfigEntry({ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'payments', Action: 'allow' }] });
  state.setConfigEntry({ Kind: 'service-intentions', Name: 'payments', Sources: [{ Name: 'web', Action: 'allow' }] });
  // The drift: a wildcard allow someone added "for a quick test".
  state.setConfigEntry({ Kind: 'service-intentions', Name: '*', Sources: [{ Name: '*', Action: 'allow' }] });
  const web = state.createToken({ Description: 'web service token', ServiceIdentities: [{ ServiceName: 'web' }] });
  const secrets = new SecretsManagerClient({ endpoint: stack.secrets.endpoint, region: stack.s3.region, credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } });
  try {
    const created = await secrets.send(
      new CreateSecretCommand({ Name: 'consul-ops/demo/web-token', SecretString: JSON.stringify({ accessorId: web.AccessorID, secretId: web.SecretID, cluster: CLUSTER }) }),
    );
    return { webTokenSecretArn: created.ARN! };
  } finally {
    secrets.destroy();
  }
}

/**
 * Sets the environment every handler reads at its cold start, as the CDK stack sets it (one process stands in for
 * all functions), and returns the environment of the operator's shell for the CLI.
 */
export function configureJobs(stack: LocalStack, seeded: SeededCluster): NodeJS.ProcessEnv {
  const baseline = JSON.stringify({ intentions: [{ source: 'payments', destination: 'db', action: 'allow' }, { source: 'web', destination: 'payments', action: 'allow' }] });
  const baselineFile = join(mkdtempSync(join(tmpdir(), 'consul-ops-demo-')), 'intention-baseline.json');
  writeFileSync(baselineFile, baseline);
  Object.assign(process.env, stack.awsEnv, {
    POWERTOOLS_LOG_LEVEL: 'SILENT', // the demo prints what happened itself
    POWERTOOLS_METRICS_DISABLED: 'true',
    [SNAPSHOT.clusterName]: CLUSTER,
    [SNAPSHOT.bucketName]: stack.bucket,
    [SNAPSHOT.snapshotPrefix]: 'snapshots',
    [SNAPSHOT.consulAddresses]: stack.consul.url,
    [SNAPSHOT.consulTokenSecretArn]: stack.tokenSecretArn,
    [SNAPSHOT.reportTopicArn]: stack.topicArn,
    [SNAPSHOT.retentionPolicy]: JSON.stringify({ hourly: 24, daily: 7, weekly: 4, monthly: 6, keepMin: 3, scheduleIntervalMs: 3_600_000 }),
    [RESTORE.tokenSecretArns]: seeded.webTokenSecretArn,
    [AUDIT.baselineFile]: baselineFile,
    [AUDIT.baselineSha256]: createHash('sha256').update(baseline).digest('hex'),
  });
  // The operator's shell: Consul's own variables (the token is never printed) and the same AWS settings.
  return { ...process.env, CONSUL_HTTP_ADDR: stack.consul.url, CONSUL_HTTP_TOKEN: stack.consul.managementToken.secretId };
}

/** A `payments` sidecar still serving a leaf that expired a day ago (its agent stopped rotating it). */
export function startExpiredSidecar(stack: LocalStack): Promise<Sidecar> {
  const now = Date.now();
  return stack.consul.state.startSidecar({ service: 'payments', validity: { notBefore: new Date(now - 4 * DAY_MS), notAfter: new Date(now - DAY_MS) } });
}
