import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { CONSUL_FUNCTION_ENV as E } from '../../functions/handlers/lambda-env';
import type { ConsulConnectionConfig } from '../config/deploy-config';

/**
 * Pieces every Consul-facing function construct (take-snapshot, restore, rotate-token, audit-intentions,
 * check-certs) shares, so the five cannot drift apart.
 */

/** How a handler reaches Consul: addresses, the management-token secret, and the CA bundle and TLS name if set. */
export function consulConnectionEnvironment(consul: ConsulConnectionConfig): Record<string, string> {
  const env: Record<string, string> = {
    [E.consulAddresses]: consul.addresses.join(','),
    [E.consulTokenSecretArn]: consul.managementTokenSecretArn,
  };
  if (consul.caBundleSecretArn) env[E.consulCaSecretArn] = consul.caBundleSecretArn;
  if (consul.caBundlePem) env[E.consulCaPem] = consul.caBundlePem;
  if (consul.tlsServerName) env[E.consulTlsServerName] = consul.tlsServerName;
  return env;
}

/** The secrets a Consul-facing function reads: the management token and, when configured, the CA bundle. */
export function consulSecretArns(consul: ConsulConnectionConfig): string[] {
  return [consul.managementTokenSecretArn, ...(consul.caBundleSecretArn ? [consul.caBundleSecretArn] : [])];
}

/** The cdk-nag acknowledgement of the deliberate nodejs22.x runtime. */
export function acknowledgeNodeRuntime(fn: IConstruct): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x is deliberate: it is the runtime the handlers are built (esbuild target node22) and tested for; nodejs24.x comes with the move of local tooling to Node 24.',
  });
}

/** The role EventBridge Scheduler assumes to invoke one function (`SchedulerRole` under `scope`). */
export function createSchedulerRole(scope: Construct, functionName: string): iam.Role {
  return new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      // Confused-deputy guard: only schedules of this account may assume the role.
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: `consul-ops: lets EventBridge Scheduler invoke ${functionName}`,
  });
}
