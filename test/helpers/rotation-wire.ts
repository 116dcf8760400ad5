/**
 * Token rotation at wire level: the Consul simulator, the Secrets Manager fake (whose RotateSecret runs `onRotate` as
 * Secrets Manager would invoke the rotation Lambda) and helpers to make token secrets and check tokens over HTTP.
 * Every SecretID it creates or reads is collected in `secretIds`, so a test can assert none reached its output.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ROTATION_STEPS } from '../../functions/core/rotation/steps';
import { createRotateTokenHandler } from '../../functions/handlers/rotate-token';
import { startConsulSimulator, type ConsulSimulator, type ConsulSimulatorOptions } from '../../local/consul-simulator';
import type { TokenInput } from '../../local/consul-simulator/acl-token-writer';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../local/secrets-manager-fake';

/** The rotate-token Lambda's entry point. */
export type RotateTokenHandler = ReturnType<typeof createRotateTokenHandler>;

const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:consul-ops-rotate-token';
/** Credentials the fake accepts. */
export const FAKE_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A token and the secret that holds it. */
export interface TokenSecret {
  readonly arn: string;
  readonly accessorId: string;
  readonly secretId: string;
}

/** The simulator, the fake and the helpers around them. */
export class RotationWire {
  /** Every SecretID created or read through this harness. */
  readonly secretIds = new Set<string>();
  /** What RotateSecret runs after it created the AWSPENDING version (the "Lambda"). */
  onRotate: (arn: string, token: string) => Promise<void> = async () => undefined;
  /** Added to the real clock by the handlers' `now` (grace periods without waiting). */
  offsetMs = 0;
  private counter = 0;

  private constructor(
    readonly sim: ConsulSimulator,
    readonly fake: SecretsManagerFake,
    readonly sm: SecretsManagerClient,
  ) {
    this.secretIds.add(sim.managementToken.secretId);
  }

  /** Starts both stand-ins. */
  static async start(simulator: ConsulSimulatorOptions = {}): Promise<RotationWire> {
    const sim = await startConsulSimulator(simulator);
    const holder: { wire?: RotationWire } = {};
    const fake = await startSecretsManagerFake({ onRotate: (arn, token) => holder.wire!.onRotate(arn, token) });
    const sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
    holder.wire = new RotationWire(sim, fake, sm);
    return holder.wire;
  }

  async stop(): Promise<void> {
    this.sm.destroy();
    await this.fake.stop();
    await this.sim.stop();
  }

  /** The rotate-token handler of cluster `demo`, authenticating with `managementSecretArn`, sweeping `sweepArns`. */
  handler(managementSecretArn: string, sweepArns: readonly string[] = []): RotateTokenHandler {
    return createRotateTokenHandler({
      env: {
        CLUSTER_NAME: 'demo',
        CONSUL_ADDRESSES: this.sim.url,
        CONSUL_TOKEN_SECRET_ARN: managementSecretArn,
        ROTATION_GRACE_PERIOD_HOURS: '24',
        ROTATION_SECRET_ARNS: sweepArns.join(','),
      },
      now: () => new Date(Date.now() + this.offsetMs),
      secretsClient: new SecretsManagerClient({ endpoint: this.fake.endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1 }),
      logger: new Logger({ serviceName: 'consul-ops-rotate-token', logLevel: 'ERROR' }),
    });
  }

  /** Makes RotateSecret run the four steps through `handler`, as Secrets Manager does. */
  rotateWith(handler: RotateTokenHandler): void {
    this.onRotate = async (arn, token) => {
      for (const Step of ROTATION_STEPS) await handler({ Step, SecretId: arn, ClientRequestToken: token });
    };
  }

  /** `RotateSecret`; returns the ClientRequestToken (the new version). */
  async rotateSecret(arn: string, token = randomUUID()): Promise<string> {
    await this.sm.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token, RotationLambdaARN: LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 30 } }));
    return token;
  }

  /** A token made in the simulator and a secret `consul/demo/<name>-<n>` holding it (rotation schema). */
  async tokenSecret(name: string, token: TokenInput = {}): Promise<TokenSecret> {
    const created = this.sim.state.createToken(token);
    const arn = await this.createSecret(name, { accessorId: created.AccessorID, secretId: created.SecretID, cluster: 'demo' });
    return { arn, accessorId: created.AccessorID, secretId: created.SecretID };
  }

  /** A global-management token and its secret. */
  managementSecret(): Promise<TokenSecret> {
    return this.tokenSecret('management', { Policies: [{ ID: '00000000-0000-0000-0000-000000000001' }], Description: 'consul-ops management' });
  }

  /** A secret with the given JSON value. */
  async createSecret(name: string, value: Record<string, unknown>): Promise<string> {
    if (typeof value.secretId === 'string') this.secretIds.add(value.secretId);
    const out = await this.sm.send(new CreateSecretCommand({ Name: `consul/demo/${name}-${(this.counter += 1)}`, SecretString: JSON.stringify(value) }));
    return out.ARN!;
  }

  /** The parsed value of the version holding `stage`. */
  async valueAt(arn: string, stage = 'AWSCURRENT'): Promise<{ accessorId: string; secretId: string; previousAccessorId?: string; retired?: { accessorId: string; deleteAfter: string }[] }> {
    const out = await this.sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
    const value = JSON.parse(out.SecretString!) as { accessorId: string; secretId: string };
    this.secretIds.add(value.secretId);
    return value;
  }

  /** `GET /v1/acl/token/self` with `secret`: the AccessorID when the token works, else the HTTP status. */
  async whoIs(secret: string): Promise<string | number> {
    const res = await fetch(`${this.sim.url}/v1/acl/token/self`, { headers: { 'X-Consul-Token': secret } });
    return res.ok ? ((await res.json()) as { AccessorID: string }).AccessorID : res.status;
  }

  /** A token's links as the simulator stores them. */
  linksOf(accessorId: string): Record<string, unknown> {
    const t = this.sim.state.getToken(accessorId)!;
    return { Policies: t.Policies, Roles: t.Roles, ServiceIdentities: t.ServiceIdentities, NodeIdentities: t.NodeIdentities, TemplatedPolicies: t.TemplatedPolicies, Local: t.Local };
  }
}
