import { App, Stack } from 'aws-cdk-lib';
import { BackupVpcEndpoints } from '../../../lib/constructs/vpc-endpoints';
import { buildTestApp, defaultConfig, extraCluster, type Json } from '../test-app';

describe('BackupVpcEndpoints (network.createVpcEndpoints)', () => {
  const config = defaultConfig();
  config.clusters[0].network.routeTableIds = ['rtb-0123456789abcdef0'];
  config.clusters.push(extraCluster('west', 'a1'), extraCluster('staging', 'b2', 'vpc-0fedcba9876543210'));
  config.network = { createVpcEndpoints: true };
  const { sharedTemplate: template, clusterTemplate } = buildTestApp(config);
  const endpoints = () => Object.values(template.findResources('AWS::EC2::VPCEndpoint')) as Json[];

  it('creates only what the functions call, once per VPC: S3 gateway, Secrets Manager and SNS', () => {
    const services = endpoints().map((e) => `${e.Properties.VpcId} ${e.Properties.VpcEndpointType} ${JSON.stringify(e.Properties.ServiceName).match(/\.([a-z0-9]+)"\]\]?\}$/)?.[1]}`).sort();
    expect(services).toEqual([
      'vpc-0123456789abcdef0 Gateway s3',
      'vpc-0123456789abcdef0 Interface secretsmanager',
      'vpc-0123456789abcdef0 Interface sns',
      'vpc-0fedcba9876543210 Gateway s3',
      'vpc-0fedcba9876543210 Interface secretsmanager',
      'vpc-0fedcba9876543210 Interface sns',
    ]);
    expect(JSON.stringify(endpoints())).not.toMatch(/\.(kms|logs|monitoring)"/);
  });

  it('puts interface endpoints in one subnet per zone with private DNS, and routes S3 through every route table', () => {
    const [secrets] = endpoints().filter((e) => e.Properties.VpcId === 'vpc-0123456789abcdef0' && JSON.stringify(e.Properties.ServiceName).includes('secretsmanager'));
    expect(secrets.Properties).toMatchObject({ PrivateDnsEnabled: true, SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdea1'] });
    const [gateway] = endpoints().filter((e) => e.Properties.VpcId === 'vpc-0123456789abcdef0' && e.Properties.VpcEndpointType === 'Gateway');
    expect(gateway.Properties.RouteTableIds).toEqual(['rtb-0123456789abcdef0', 'rtb-0123456789abcdea1']);
  });

  it('admits HTTPS from the functions\' security groups without modifying them', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroup', 2);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: 'sg-0123456789abcdea1' });
    clusterTemplate('west').resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('creates no endpoints unless asked', () => {
    buildTestApp().sharedTemplate.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it('refuses two subnets in one zone', () => {
    const stack = new Stack(new App(), 'Props');
    expect(() => new BackupVpcEndpoints(stack, 'E', { vpcId: 'vpc-0123456789abcdef0', subnets: [{ subnetId: 'subnet-0123456789abcdef0', availabilityZone: 'eu-west-1a' }, { subnetId: 'subnet-0123456789abcdef1', availabilityZone: 'eu-west-1a' }], routeTableIds: ['rtb-0123456789abcdef0'], clientSecurityGroupIds: [] })).toThrow('BackupVpcEndpointsProps.subnets');
  });
});
