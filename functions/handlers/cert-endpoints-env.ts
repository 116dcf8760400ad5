import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { checkCaBundle, parseHostPort, type EndpointCheck } from '../core/certs/endpoints';
import { EndpointCaUnreadableError } from '../core/certs/errors';
import { InvalidInputError } from '../core/shared/errors';
import { readSecretString } from './consul-wiring';

/**
 * `CERT_ENDPOINTS` of the check-certs Lambda: the extra TLS endpoints and, per endpoint, the secret holding the CA
 * bundle its chain must lead to. The stack writes a JSON array,
 * `[{"address":"vault.internal:8200","caBundleSecretArn":"arn:aws:secretsmanager:…"}]`; the older comma-separated
 * `host:port,host:port` form (no CA bundles) is still accepted.
 */

/** One configured endpoint as the environment gives it. */
export interface CertEndpointConfig {
  readonly address: string;
  /** @default - the system trust store */
  readonly caBundleSecretArn?: string;
}

const KEYS = new Set(['address', 'caBundleSecretArn']);
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/**
 * Parses `CERT_ENDPOINTS` (JSON array or comma-separated). Unset or empty gives `[]`.
 *
 * @throws InvalidInputError naming the variable and the entry
 * @example
 * parseCertEndpoints('[{"address":"vault.internal:8200","caBundleSecretArn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-ca-AbCdEf"}]', 'CERT_ENDPOINTS')
 */
export function parseCertEndpoints(raw: string | undefined, name: string): CertEndpointConfig[] {
  const text = (raw ?? '').trim();
  if (!text.startsWith('[')) {
    const addresses = text.split(',').map((s) => s.trim()).filter(Boolean);
    addresses.forEach((a, i) => parseHostPort(a, `${name}[${i}]`));
    return addresses.map((address) => ({ address }));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(name, `is not valid JSON (${(err as Error).message})`, EXAMPLE);
  }
  if (!Array.isArray(parsed)) throw new InvalidInputError(name, 'must be a JSON array', EXAMPLE);
  return parsed.map((entry: unknown, i) => {
    const field = `${name}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new InvalidInputError(field, 'must be an object', EXAMPLE);
    const record = entry as Record<string, unknown>;
    const unknown = Object.keys(record).find((k) => !KEYS.has(k));
    if (unknown !== undefined) throw new InvalidInputError(`${field}.${unknown}`, 'is not a known field (address, caBundleSecretArn)', EXAMPLE);
    if (typeof record.address !== 'string') throw new InvalidInputError(`${field}.address`, 'must be a "host:port" string', '"vault.internal:8200"');
    parseHostPort(record.address, `${field}.address`);
    const arn = record.caBundleSecretArn;
    if (arn === undefined) return { address: record.address };
    if (typeof arn !== 'string' || !SECRET_ARN.test(arn)) throw new InvalidInputError(`${field}.caBundleSecretArn`, 'must be a Secrets Manager secret ARN', '"arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-ca-AbCdEf"');
    return { address: record.address, caBundleSecretArn: arn };
  });
}

const EXAMPLE = '[{"address":"vault.internal:8200","caBundleSecretArn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:vault-ca-AbCdEf"}]';

/**
 * Resolves the configured endpoints to what the check takes, reading each CA bundle secret once per container (CA
 * bundles are public material; a failed read is retried by the next invocation).
 */
export function endpointCaReader(secrets: SecretsManagerClient, endpoints: readonly CertEndpointConfig[], name: string): () => Promise<EndpointCheck[]> {
  const cache = new Map<string, Promise<string>>();
  const read = (endpoint: CertEndpointConfig, arn: string): Promise<string> => {
    let pem = cache.get(arn);
    if (pem === undefined) {
      pem = readSecretString(secrets, arn)
        .then((text) => checkCaBundle(text, `${name} (${endpoint.address})`, `the secret ${arn}`))
        .catch((err: unknown) => {
          throw new EndpointCaUnreadableError(endpoint.address, arn, err);
        });
      pem.catch(() => cache.delete(arn));
      cache.set(arn, pem);
    }
    return pem;
  };
  return () =>
    Promise.all(
      endpoints.map(async (e) => (e.caBundleSecretArn === undefined ? { address: e.address } : { address: e.address, caPem: await read(e, e.caBundleSecretArn), caSource: `the CA bundle in ${e.caBundleSecretArn}` })),
    );
}
