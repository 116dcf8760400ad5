import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_DEPLOY_CONFIG } from '../../lib/config/default-config';
import { parseDeployConfig, type DeployConfigInput } from '../../lib/config/deploy-config';
import { ConsulOpsStack } from '../../lib/consul-ops-stack';

/** The feature flags of cdk.json, so tests synthesize exactly what `cdk synth` does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;

/** A deep copy of the embedded default config, to modify per test. */
export function defaultConfig(): DeployConfigInput {
  return structuredClone(DEFAULT_DEPLOY_CONFIG);
}

/**
 * Another valid cluster entry with its own secrets, subnet and security group.
 *
 * @param hex two hex digits that make its ids unique, e.g. `a1`
 */
export function extraCluster(name: string, hex: string, vpcId = 'vpc-0123456789abcdef0'): DeployConfigInput['clusters'][number] {
  return {
    name,
    consul: {
      addresses: [`https://consul.${name}.internal:8501`],
      managementTokenSecretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/${name}/token-Ab12${hex}`,
    },
    network: {
      vpcId,
      subnetIds: [`subnet-0123456789abcde${hex}`],
      availabilityZones: ['eu-west-1c'],
      routeTableIds: [`rtb-0123456789abcde${hex}`],
      securityGroupId: `sg-0123456789abcde${hex}`,
    },
  };
}

/**
 * Builds a ConsulOpsStack from a config, without cdk-nag and without bundling (bundling and the nag/validator path
 * are covered by synth.test.ts).
 */
export function buildTestStack(config: DeployConfigInput = defaultConfig()): { stack: ConsulOpsStack; template: Template } {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ConsulOpsStack(app, 'Test', { config: parseDeployConfig(config) });
  return { stack, template: Template.fromStack(stack) };
}
