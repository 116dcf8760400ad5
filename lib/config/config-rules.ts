import type { z } from 'zod';
import type { ClusterConfig } from './cluster-schema';
import { EX, arnLocation } from './schema-fields';
import { formatPath } from './schema-messages';

/**
 * Rules of the deploy config that span fields. zod runs them only once every field is valid on its own; each adds
 * one issue, on the field to change, saying what to do.
 */

type Path = (string | number)[];

/** The parts of a parsed config these rules read (typed apart from the schema to avoid a circular type). */
export interface CrossFieldInput {
  readonly deployment: { readonly account?: string; readonly region?: string };
  readonly clusters: readonly ClusterConfig[];
  readonly notifications: { readonly slackWebhookSecretArn?: string; readonly slackWebhookKmsKeyArn?: string };
  readonly bucket: { readonly replica?: { readonly kmsKeyArn: string; readonly region?: string; readonly account?: string } };
  readonly network: { readonly createVpcEndpoints: boolean };
}

/** Every cross-field rule, in the order of the fields. */
export function checkCrossFieldRules(config: CrossFieldInput, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  const rotated = new Map<string, string>();
  config.clusters.forEach((cluster, i) => {
    const at = (...p: Path): Path => ['clusters', i, ...p];
    checkRotationRules(cluster, at, rotated, ctx);
    if (seen.has(cluster.name)) {
      ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate cluster name "${cluster.name}"; expected a unique name, e.g. ${cluster.name}-2` });
    }
    seen.add(cluster.name);
    if (cluster.consul.caBundleSecretArn !== undefined && cluster.consul.caBundlePem !== undefined) {
      ctx.addIssue({ code: 'custom', path: at('consul', 'caBundlePem'), message: 'expected either caBundleSecretArn or caBundlePem, not both' });
    }
    checkNetworkRules(cluster, at, config.network.createVpcEndpoints, ctx);
  });
  checkEnvironment(config, ctx);
  checkReplica(config, ctx);
}

function checkNetworkRules(cluster: ClusterConfig, at: (...p: Path) => Path, createVpcEndpoints: boolean, ctx: z.RefinementCtx): void {
  const { availabilityZones: azs, subnetIds, routeTableIds } = cluster.network;
  if (azs !== undefined && azs.length !== subnetIds.length) {
    ctx.addIssue({ code: 'custom', path: at('network', 'availabilityZones'), message: `expected one availability zone per subnet id (${subnetIds.length}), e.g. ${EX.azs}` });
  }
  if (createVpcEndpoints && azs === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: at('network', 'availabilityZones'),
      message: `is required when network.createVpcEndpoints is true (interface endpoints take one subnet per zone); expected one availability zone per subnet id, e.g. ${EX.azs}`,
    });
  }
  if (createVpcEndpoints && routeTableIds === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: at('network', 'routeTableIds'),
      message: 'is required when network.createVpcEndpoints is true (for the S3 gateway endpoint); expected a list of route table ids, e.g. ["rtb-0123456789abcdef0"]',
    });
  }
}

/** Rotation rules of one cluster; `rotated` maps each rotated secret ARN to the path that rotates it (all clusters). */
function checkRotationRules(cluster: ClusterConfig, at: (...p: Path) => Path, rotated: Map<string, string>, ctx: z.RefinementCtx): void {
  const rotation = cluster.rotation;
  if (rotation === undefined) return;
  if (rotation.tokens.length === 0 && !rotation.rotateManagementToken) {
    ctx.addIssue({ code: 'custom', path: at('rotation'), message: 'expected at least one entry in tokens, or rotateManagementToken: true (leave rotation out to turn it off)' });
  }
  const entries = [
    ...rotation.tokens.map((t, j) => ({ arn: t.secretArn, path: at('rotation', 'tokens', j) })),
    ...(rotation.rotateManagementToken ? [{ arn: cluster.consul.managementTokenSecretArn, path: at('rotation', 'rotateManagementToken') }] : []),
  ];
  for (const { arn, path } of entries) {
    const isToken = path.includes('tokens');
    if (isToken && arn === cluster.consul.managementTokenSecretArn) {
      ctx.addIssue({ code: 'custom', path: [...path, 'secretArn'], message: 'is the management token secret; expected rotateManagementToken: true instead' });
    } else if (rotated.has(arn)) {
      ctx.addIssue({ code: 'custom', path, message: `rotates ${arn} again (already rotated by ${rotated.get(arn)}); a secret has one rotation schedule` });
    }
    // No rule ties gracePeriodHours to the interval: the secret's retired-token ledger keeps every replaced token
    // until its own grace period ends, however close the rotations are.
    rotated.set(arn, formatPath(path));
  }
}

/** Every Secrets Manager and KMS ARN the functions use, with its field path: they must be in the deployment's Region and account. */
function regionalArns(config: CrossFieldInput): { path: Path; arn: string }[] {
  const arns: { path: Path; arn: string }[] = [];
  const add = (path: Path, arn: string | undefined) => arn !== undefined && arns.push({ path, arn });
  config.clusters.forEach((c, i) => {
    add(['clusters', i, 'consul', 'managementTokenSecretArn'], c.consul.managementTokenSecretArn);
    add(['clusters', i, 'consul', 'caBundleSecretArn'], c.consul.caBundleSecretArn);
    add(['clusters', i, 'consul', 'secretsKmsKeyArn'], c.consul.secretsKmsKeyArn);
    c.rotation?.tokens.forEach((t, j) => add(['clusters', i, 'rotation', 'tokens', j, 'secretArn'], t.secretArn));
    c.certificates.endpoints.forEach((e, j) => add(['clusters', i, 'certificates', 'endpoints', j, 'caBundleSecretArn'], e.caBundleSecretArn));
  });
  add(['notifications', 'slackWebhookSecretArn'], config.notifications.slackWebhookSecretArn);
  add(['notifications', 'slackWebhookKmsKeyArn'], config.notifications.slackWebhookKmsKeyArn);
  return arns;
}

/**
 * The functions read their secrets with the Lambda's own Region and account, so every secret and key ARN must be
 * there: the deployment's `region`/`account` when given, else the first ARN's (a config that mixes two would fail
 * at run time, or deploy a staging config into the production account).
 */
function checkEnvironment(config: CrossFieldInput, ctx: z.RefinementCtx): void {
  const arns = regionalArns(config);
  if (arns.length === 0) return;
  const first = arnLocation(arns[0].arn);
  const region = config.deployment.region ?? first.region;
  const account = config.deployment.account ?? first.account;
  const regionSource = config.deployment.region !== undefined ? 'deployment.region' : formatPath(arns[0].path);
  const accountSource = config.deployment.account !== undefined ? 'deployment.account' : formatPath(arns[0].path);
  for (const { path, arn } of arns) {
    const where = arnLocation(arn);
    if (where.region !== region) {
      ctx.addIssue({ code: 'custom', path, message: `is in Region ${where.region}, but ${regionSource} is ${region}; consul-ops reads secrets and keys in the Region it is deployed to: use one in ${region} (or replicate the secret there)` });
    } else if (where.account !== account) {
      ctx.addIssue({ code: 'custom', path, message: `is in account ${where.account}, but ${accountSource} is ${account}; expected an ARN of account ${account} (is this the config of another deployment?)` });
    }
  }
}

/** The replica's `region`/`account`, when given, must be its key's (a key encrypts only in its own Region and account). */
function checkReplica(config: CrossFieldInput, ctx: z.RefinementCtx): void {
  const replica = config.bucket.replica;
  if (replica === undefined) return;
  const key = arnLocation(replica.kmsKeyArn);
  if (replica.region !== undefined && replica.region !== key.region) {
    ctx.addIssue({ code: 'custom', path: ['bucket', 'replica', 'region'], message: `is ${replica.region}, but bucket.replica.kmsKeyArn is a key in ${key.region}; expected the replica bucket's Region, where its key must be too (or leave region out)` });
  }
  if (replica.account !== undefined && replica.account !== key.account) {
    ctx.addIssue({ code: 'custom', path: ['bucket', 'replica', 'account'], message: `is ${replica.account}, but bucket.replica.kmsKeyArn is a key of account ${key.account}; expected the replica bucket's account, which owns its key (or leave account out)` });
  }
}
