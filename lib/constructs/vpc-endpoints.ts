import { Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { importSubnet } from './cluster-network';

/** The interface endpoints a take-snapshot function needs when its subnets have no NAT. */
export const INTERFACE_ENDPOINT_SERVICES = {
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  CloudWatchMonitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
} as const;

/** Properties of {@link BackupVpcEndpoints}. */
export interface BackupVpcEndpointsProps {
  /** The VPC, e.g. `vpc-0123456789abcdef0`. */
  readonly vpcId: string;
  /** Subnets for the interface endpoints, at most one per availability zone. */
  readonly subnets: readonly { readonly subnetId: string; readonly availabilityZone: string }[];
  /** Route tables of the function subnets; the S3 gateway endpoint adds a route to each. */
  readonly routeTableIds: readonly string[];
  /** Security groups of the functions that use the endpoints; they get HTTPS access to the endpoints. */
  readonly clientSecurityGroupIds: readonly string[];
}

/**
 * Private access to AWS APIs for Lambdas in subnets without NAT: an S3 gateway endpoint, and Secrets Manager, SNS,
 * KMS, CloudWatch Monitoring and CloudWatch Logs interface endpoints with private DNS. One per VPC. The endpoints get
 * their own security group that admits HTTPS from the clients' groups, so the imported groups are never modified.
 * Fails to deploy if the VPC already has a private-DNS endpoint for one of these services.
 */
export class BackupVpcEndpoints extends Construct {
  /** The security group of the interface endpoints. */
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: BackupVpcEndpointsProps) {
    super(scope, id);
    const zones = props.subnets.map((s) => s.availabilityZone);
    if (props.subnets.length === 0 || new Set(zones).size !== zones.length) {
      throw new InvalidInputError('BackupVpcEndpointsProps.subnets', 'expected one or more subnets, at most one per availability zone', '[{ subnetId: "subnet-0123456789abcdef0", availabilityZone: "eu-west-1a" }]');
    }
    if (props.routeTableIds.length === 0) {
      throw new InvalidInputError('BackupVpcEndpointsProps.routeTableIds', 'expected at least one route table id', '["rtb-0123456789abcdef0"]');
    }
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: props.vpcId, availabilityZones: zones });
    const subnets = props.subnets.map((s, i) => importSubnet(this, `Subnet${i}`, s.subnetId, s.availabilityZone));

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'consul-ops interface endpoints: HTTPS from the consul-ops functions',
      allowAllOutbound: false,
    });
    props.clientSecurityGroupIds.forEach((sgId, i) => {
      const client = ec2.SecurityGroup.fromSecurityGroupId(this, `Client${i}`, sgId, { mutable: false });
      this.securityGroup.addIngressRule(client, ec2.Port.tcp(443), `HTTPS from ${sgId}`);
    });

    new ec2.CfnVPCEndpoint(this, 'S3', {
      vpcId: props.vpcId,
      serviceName: Fn.join('', ['com.amazonaws.', Fn.ref('AWS::Region'), '.s3']),
      vpcEndpointType: 'Gateway',
      routeTableIds: [...props.routeTableIds],
    });
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINT_SERVICES)) {
      new ec2.InterfaceVpcEndpoint(this, name, {
        vpc,
        service,
        subnets: { subnets },
        securityGroups: [this.securityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}
