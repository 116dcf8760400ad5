import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Creating, describing and deleting the ENIs a VPC-attached function runs on. `Resource: "*"` is required:
 * DescribeNetworkInterfaces and DescribeSubnets support no resource scoping, and the ENI ids do not exist before
 * Lambda creates them (this is the same statement as the AWSLambdaVPCAccessExecutionRole managed policy).
 */
export const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** Writing the function's own log group (the group itself is created by the construct). */
export const LOG_WRITE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

/**
 * The execution role of a consul-ops function that runs in a cluster's VPC: its own log group and the ENI actions,
 * as an inline policy so they exist before the function is created (Lambda checks the ENI permissions at creation).
 * Everything else is granted by the caller, scoped to what that function touches. The construct id is
 * `FunctionRole` under `scope`.
 */
export function createVpcFunctionRole(scope: Construct, props: { readonly description: string; readonly logGroup: logs.ILogGroup }): iam.Role {
  const role = new iam.Role(scope, 'FunctionRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
    inlinePolicies: {
      Runtime: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ actions: [...LOG_WRITE_ACTIONS], resources: [props.logGroup.logGroupArn] }),
          // "*" is required for ENI management, see VPC_ENI_ACTIONS.
          new iam.PolicyStatement({ actions: [...VPC_ENI_ACTIONS], resources: ['*'] }),
        ],
      }),
    },
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only the VPC ENI actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) use "*": Describe* cannot be scoped and ENI ids do not exist before Lambda creates them.',
  });
  return role;
}
