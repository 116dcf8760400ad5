import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConsulApi } from '../adapters/consul/api';
import { ConsulHttpClient } from '../adapters/consul/client';
import { consulSettingsFromConfig } from '../adapters/consul/settings';
import { consulTokenSecretSourceFactory } from '../adapters/consul/token-secret';
import { ConsulCaUnreadableError } from '../core/shared/consul-errors';
import { CONSUL_FUNCTION_ENV } from './lambda-env';

type ConsulEnv = Readonly<Record<string, string | undefined>>;

/** What {@link consulWiring} builds: a per-invocation Consul connection and the cluster's CA bundle. */
export interface ConsulWiring {
  /** A fresh Consul client whose token is read on first use and cached for this connection only. */
  connect(): Promise<{ api: ConsulApi; close(): Promise<void> }>;
  /** The Consul CA bundle (inline or from its secret); `undefined` means the system trust store. */
  caBundle(): Promise<string | undefined>;
}

/**
 * Builds, once per cold start, what every Consul-facing Lambda needs, and per invocation a fresh Consul client whose
 * token is read from Secrets Manager on first use and cached for that invocation only.
 */
export function consulWiring(env: ConsulEnv, secrets: SecretsManagerClient): ConsulWiring {
  const tokenSources = consulTokenSecretSourceFactory(secrets, env[CONSUL_FUNCTION_ENV.consulTokenSecretArn]!);
  let caPem: Promise<string | undefined> | undefined;
  const readCa = (): Promise<string | undefined> => {
    const arn = env[CONSUL_FUNCTION_ENV.consulCaSecretArn];
    if (!arn) return Promise.resolve(env[CONSUL_FUNCTION_ENV.consulCaPem]);
    // The CA bundle is public material: caching it for the container's life is fine (tokens are never cached so).
    caPem ??= readCaSecret(secrets, arn).catch((err: unknown) => {
      caPem = undefined;
      throw err;
    });
    return caPem;
  };
  return {
    /** The Consul CA bundle (inline or from its secret); `undefined` means the system trust store. */
    caBundle: readCa,
    async connect() {
      const settings = consulSettingsFromConfig(
        {
          addresses: env[CONSUL_FUNCTION_ENV.consulAddresses],
          caBundlePem: await readCa(),
          tlsServerName: env[CONSUL_FUNCTION_ENV.consulTlsServerName],
        },
        'consul',
      );
      const http = new ConsulHttpClient({ settings, token: tokenSources() });
      return { api: new ConsulApi(http), close: () => http.close() };
    },
  };
}

async function readCaSecret(secrets: SecretsManagerClient, arn: string): Promise<string> {
  try {
    return await readSecretString(secrets, arn);
  } catch (err) {
    throw new ConsulCaUnreadableError(arn, err);
  }
}

/** The `SecretString` of a secret's AWSCURRENT version (for public material such as CA bundles); throws without one. */
export async function readSecretString(secrets: SecretsManagerClient, arn: string): Promise<string> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!out.SecretString) throw new Error('the secret has no SecretString');
  return out.SecretString;
}
