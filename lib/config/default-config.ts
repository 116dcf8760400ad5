import type { DeployConfigInput } from './deploy-config';

/**
 * The config `bin/app.ts` uses when neither `CONSUL_OPS_CONFIG` nor `-c config=<path>` is given: one example cluster
 * "demo" with placeholder (but well-formed) ids in account 123456789012. It exists so that `cdk synth`, the cdk-nag
 * checks and the tests work offline with no AWS account and no context lookups. Deploying it creates nothing useful:
 * copy it to a YAML file and put in your own ids.
 *
 * @example
 * # config/prod.yaml
 * clusters:
 *   - name: prod-east
 *     consul:
 *       addresses: [https://consul-0.prod.internal:8501, https://consul-1.prod.internal:8501]
 *       caBundleSecretArn: arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/prod/ca-AbCdEf
 *       managementTokenSecretArn: arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/prod/management-token-AbCdEf
 *     network: { vpcId: vpc-…, subnetIds: [subnet-…, subnet-…], securityGroupId: sg-… }
 * notifications: { emails: [ops@example.com] }
 */
export const DEFAULT_DEPLOY_CONFIG: DeployConfigInput = {
  clusters: [
    {
      name: 'demo',
      consul: {
        addresses: ['https://consul-0.demo.internal:8501', 'https://consul-1.demo.internal:8501'],
        caBundleSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/ca-bundle-AbCdEf',
        tlsServerName: 'server.dc1.consul',
        managementTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/management-token-AbCdEf',
      },
      network: {
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
        securityGroupId: 'sg-0123456789abcdef0',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      },
      backup: { schedule: 'rate(1 hour)', timeZone: 'UTC' },
    },
  ],
  notifications: { emails: [] },
};
