import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import { PRINCIPAL_ARN } from '../config/schema-fields';
import { snapshotPrefix, type BackupGrants } from './backup-grants';

/** What an operator does with the restore function (and nothing else). */
export const RESTORE_INVOKE_ACTIONS = ['lambda:InvokeFunction'] as const;

/** Properties of {@link RestoreOperatorRole}. */
export interface RestoreOperatorRoleProps {
  /** The cluster: the role reaches only its snapshots and its restore function. */
  readonly clusterName: string;
  /** IAM role or user ARNs that may assume the role (any account; each also needs `sts:AssumeRole` on it itself). */
  readonly principalArns: readonly string[];
  /** The cluster's restore function. */
  readonly restoreFunction: lambda.IFunction;
  /** The snapshot bucket. */
  readonly backups: BackupGrants;
}

/**
 * The role a human assumes to restore one cluster: invoke its restore function, or run `consul-ops restore` from a
 * host (list and read its backups, write the `pre-restore` safety snapshot under its folder). The configured
 * principals appear only in this role's trust policy, as an `aws:PrincipalArn` condition on their accounts: IAM does
 * not check a condition value, so a typo or a principal that does not exist yet cannot fail any deployment, and no
 * principal is written into the shared bucket or key policy.
 */
export class RestoreOperatorRole extends Construct {
  /** The role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RestoreOperatorRoleProps) {
    super(scope, id);
    props.principalArns.forEach((arn, i) => {
      if (!PRINCIPAL_ARN.test(arn)) {
        throw new InvalidInputError(`RestoreOperatorRoleProps.principalArns[${i}]`, `expected an IAM role or user ARN, got "${arn}"`, '"arn:aws:iam::123456789012:role/consul-restore"');
      }
    });
    if (props.principalArns.length === 0) throw new InvalidInputError('RestoreOperatorRoleProps.principalArns', 'expected at least one principal', '["arn:aws:iam::123456789012:role/consul-restore"]');
    const accounts = [...new Set(props.principalArns.map((arn) => arn.split(':')[4]))].sort();
    const condition = { ArnEquals: { 'aws:PrincipalArn': [...props.principalArns].sort() } };
    this.role = new iam.Role(this, 'Role', {
      description: `consul-ops: restores Consul cluster ${props.clusterName} (assumed by restore.allowedPrincipalArns)`,
      assumedBy: new iam.AccountPrincipal(accounts[0]).withConditions(condition),
    });
    for (const account of accounts.slice(1)) {
      this.role.assumeRolePolicy?.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.AccountPrincipal(account)], conditions: condition }));
    }
    const prefix = snapshotPrefix(props.clusterName);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...RESTORE_INVOKE_ACTIONS], resources: [props.restoreFunction.functionArn] }));
    props.backups.grantReadBackups(this.role, prefix);
    // The safety snapshot of a host-side restore (consul-ops restore without --skip-safety-snapshot).
    props.backups.grantWriteBackups(this.role, prefix);
    props.backups.acknowledgePrefix(this.role, prefix, `Scoped to cluster ${props.clusterName}'s snapshot prefix ${prefix}: backup keys are timestamped and chosen at restore time, so the prefix is the narrowest resource.`);
  }
}
