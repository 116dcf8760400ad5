import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { ClusterNetworkConfig } from '../config/deploy-config';

/** A cluster's VPC, subnets and security group, imported without context lookups. */
export interface ImportedClusterNetwork {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** The subnets, with their availability zones when the config gives them. */
  readonly subnets: ec2.ISubnet[];
  /** The security group, imported as immutable: consul-ops never adds rules to it. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * Imports a cluster's network from config ids only (no `Vpc.fromLookup`), so synth needs no AWS account.
 * `availabilityZones[i]` is taken as the zone of `subnetIds[i]`.
 */
export function importClusterNetwork(scope: Construct, network: ClusterNetworkConfig): ImportedClusterNetwork {
  const azs = network.availabilityZones;
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId: network.vpcId,
    availabilityZones: azs ? [...new Set(azs)] : [],
  });
  const subnets = network.subnetIds.map((subnetId, i) => importSubnet(scope, `Subnet${i}`, subnetId, azs?.[i]));
  const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(scope, 'SecurityGroup', network.securityGroupId, { mutable: false });
  return { vpc, subnets, securityGroup };
}

/**
 * Imports a subnet by id (and zone, if known) without a lookup. Its route table is unknown on purpose, and the CDK
 * warning about that is acknowledged: Lambda and interface endpoints need only the subnet id.
 */
export function importSubnet(scope: Construct, id: string, subnetId: string, availabilityZone?: string): ec2.ISubnet {
  const subnet = availabilityZone
    ? ec2.Subnet.fromSubnetAttributes(scope, id, { subnetId, availabilityZone })
    : ec2.Subnet.fromSubnetId(scope, id, subnetId);
  Validations.of(subnet).acknowledge({
    id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
    reason: 'Lambda VPC attachment and interface endpoints need only subnet ids; the S3 gateway endpoint takes network.routeTableIds instead.',
  });
  return subnet;
}
