import { Fn, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';

/**
 * The interface endpoints the functions call when their subnets have no NAT: Secrets Manager (Consul token and CA
 * bundle, rotation) and SNS (reports). Nothing else: logs and EMF metrics leave through Lambda's own service, not
 * the function's network interface, and KMS is called by S3, SNS and Secrets Manager on the functions' behalf, so
 * KMS, CloudWatch and CloudWatch Logs endpoints would only cost money in every zone.
 */
export const INTERFACE_ENDPOINT_SERVICES = {
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
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
 * Private access to the AWS APIs the functions call, for Lambdas in subnets without NAT: an S3 gateway endpoint, and
 * Secrets Manager and SNS interface endpoints with private DNS. One set per VPC. The endpoints get their own security
 * group that admits HTTPS from the clients' groups, so the imported groups are never modified.
 *
 * VPC prerequisites (README "Deploying"): `enableDnsSupport` and `enableDnsHostnames` on (private DNS needs both), no
 * private-DNS endpoint for these services in the VPC already (the deploy fails on a duplicate private hosted zone),
 * and route tables without another S3 gateway endpoint route.
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

/**
 * Imports a subnet by id and zone without a lookup. Its route table is unknown on purpose, and the CDK warning about
 * that is acknowledged: interface endpoints need only the subnet id (the S3 gateway endpoint takes route table ids).
 */
function importSubnet(scope: Construct, id: string, subnetId: string, availabilityZone: string): ec2.ISubnet {
  const subnet = ec2.Subnet.fromSubnetAttributes(scope, id, { subnetId, availabilityZone });
  Validations.of(subnet).acknowledge({
    id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
    reason: 'Interface endpoints need only subnet ids; the S3 gateway endpoint takes network.routeTableIds instead.',
  });
  return subnet;
}
