/**
 * Where and how to reach Consul: from Consul's standard `CONSUL_*` variables (CLI) or from the deploy config (Lambda).
 * Both paths validate once, at the edge, and throw {@link InvalidInputError} naming the variable or field.
 *
 * The resolved settings hold PEM contents, not file paths, so the HTTP client never touches the file system.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { InvalidInputError } from '../../core/shared/errors';


/** Supplies the Consul token (SecretID) per request; `undefined` sends no token (anonymous). */
export type TokenSource = () => Promise<string | undefined>;
/** TLS options applied to every connection to Consul. */
export interface ConsulTlsSettings {
  /** CA bundle (PEM) that replaces the system trust store. @default - the Node.js trust store */
  readonly caPem?: string;
  /** Client certificate (PEM) for servers with `verify_incoming`. @default - no client certificate */
  readonly clientCertPem?: string;
  /** Private key (PEM) of {@link clientCertPem}. @default - no client certificate */
  readonly clientKeyPem?: string;
  /** Name to verify the server certificate against (SNI too). @default - the host of each address */
  readonly serverName?: string;
  /** Verify the server certificate. `false` is for tests only. */
  readonly verify: boolean;
}

/** Addresses and TLS for a Consul cluster. */
export interface ConsulConnectionSettings {
  /** Normalised base URLs (`https://10.0.0.5:8501`, optionally with a reverse-proxy path prefix), tried in order. */
  readonly addresses: readonly string[];
  readonly tls: ConsulTlsSettings;
}

/** Settings read from the environment by the CLI, with the token as a {@link TokenSource} (never a plain field). */
export interface ConsulEnvSettings extends ConsulConnectionSettings {
  readonly token: TokenSource;
  /** Which variable provided the token, for `--verbose` output. */
  readonly tokenOrigin: 'CONSUL_HTTP_TOKEN_FILE' | 'CONSUL_HTTP_TOKEN' | 'none';
}

/** The default Consul address, as in Consul's own CLI. */
export const DEFAULT_CONSUL_ADDRESS = '127.0.0.1:8500';

const ADDR_EXAMPLE = '"https://consul.example.com:8501" or "10.0.1.10:8500,10.0.2.10:8500"';

/** Parses one address: `host:port`, `http(s)://host:port[/prefix]`; bare host:port gets `defaultScheme`. */
export function parseConsulAddress(raw: string, defaultScheme: 'http' | 'https', field: string): string {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${defaultScheme}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidInputError(field, `"${text}" is not a host:port or URL`, ADDR_EXAMPLE);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(field, `scheme "${url.protocol.slice(0, -1)}" is not supported (use http or https)`, ADDR_EXAMPLE);
  }
  if (!url.hostname || url.username || url.password || url.search || url.hash) {
    throw new InvalidInputError(field, `"${url.host}" must be scheme://host:port without credentials or query`, ADDR_EXAMPLE);
  }
  const prefix = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${prefix}`;
}

/** Parses a comma-separated list of addresses (servers to fail over between). */
export function parseConsulAddresses(raw: string, defaultScheme: 'http' | 'https', field: string): string[] {
  const parts = raw.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new InvalidInputError(field, 'no address given', ADDR_EXAMPLE);
  return [...new Set(parts.map((p) => parseConsulAddress(p, defaultScheme, field)))];
}

/** Go's `strconv.ParseBool`, which Consul uses for its boolean variables; empty means unset. */
export function parseGoBool(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidInputError(field, `"${v}" is not a boolean`, `${field}=true or ${field}=false`);
}

/** Checks a PEM certificate bundle: every block must parse. Returns the trimmed PEM. */
export function checkCertificatePem(pem: string, field: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const example = 'a PEM file starting with "-----BEGIN CERTIFICATE-----"';
  if (blocks.length === 0) throw new InvalidInputError(field, 'no PEM certificate found', example);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new InvalidInputError(field, `certificate #${i + 1} cannot be parsed`, example, { cause });
    }
  });
  return pem.trim() + '\n';
}

/** Checks a client certificate and key pair (both or neither; the key must match). Never quotes the key. */
export function checkClientPair(certPem: string | undefined, keyPem: string | undefined, fields: [string, string]): void {
  const [certField, keyField] = fields;
  if ((certPem === undefined) !== (keyPem === undefined)) {
    const missing = certPem === undefined ? certField : keyField;
    throw new InvalidInputError(missing, `must be set together with ${certPem === undefined ? keyField : certField}`,
      `${certField}=/etc/consul.d/client.pem and ${keyField}=/etc/consul.d/client-key.pem`);
  }
  if (certPem === undefined || keyPem === undefined) return;
  checkCertificatePem(certPem, certField);
  let matches: boolean;
  try {
    matches = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new InvalidInputError(keyField, 'is not a readable PEM private key', 'a PEM file starting with "-----BEGIN PRIVATE KEY-----"');
  }
  if (!matches) throw new InvalidInputError(keyField, `does not match the certificate in ${certField}`, 'the key generated with that certificate');
}

/** Strips a port from a server name, as Consul does for `CONSUL_TLS_SERVER_NAME`. */
function serverNameOnly(value: string): string {
  const v = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) return bracketed[1];
  return v.split(':').length === 2 ? v.slice(0, v.indexOf(':')) : v;
}

function checkToken(token: string, field: string): string {
  const t = token.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\s]/.test(t)) {
    // The value is never quoted: it is a secret.
    throw new InvalidInputError(field, 'contains whitespace or control characters', 'a token SecretID UUID');
  }
  return t;
}

/** A {@link TokenSource} that always answers the same secret (or none). */
export function staticTokenSource(token: string | undefined): TokenSource {
  return () => Promise.resolve(token);
}

/**
 * Reads Consul's standard variables, as Consul's own CLI does, plus comma-separated failover addresses.
 * `CONSUL_HTTP_TOKEN_FILE` wins over `CONSUL_HTTP_TOKEN` (as in Consul's api package).
 *
 * @example
 * const settings = consulSettingsFromEnv(process.env, (p) => readFileSync(p, 'utf8'));
 */
export function consulSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): ConsulEnvSettings {
  const get = (name: string): string | undefined => (env[name]?.trim() ? env[name]?.trim() : undefined);
  const read = (name: string): string | undefined => {
    const path = get(name);
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch (cause) {
      const code = (cause as { code?: string }).code ?? 'unreadable';
      throw new InvalidInputError(name, `cannot read file "${path}" (${code})`, `${name}=/etc/consul.d/file.pem`);
    }
  };
  const ssl = parseGoBool(env.CONSUL_HTTP_SSL, 'CONSUL_HTTP_SSL') ?? false;
  const verify = parseGoBool(env.CONSUL_HTTP_SSL_VERIFY, 'CONSUL_HTTP_SSL_VERIFY') ?? true;
  const addresses = parseConsulAddresses(get('CONSUL_HTTP_ADDR') ?? DEFAULT_CONSUL_ADDRESS, ssl ? 'https' : 'http', 'CONSUL_HTTP_ADDR');
  const caFile = read('CONSUL_CACERT');
  const caPem = caFile === undefined ? undefined : checkCertificatePem(caFile, 'CONSUL_CACERT');
  const clientCertPem = read('CONSUL_CLIENT_CERT');
  const clientKeyPem = read('CONSUL_CLIENT_KEY');
  checkClientPair(clientCertPem, clientKeyPem, ['CONSUL_CLIENT_CERT', 'CONSUL_CLIENT_KEY']);
  const serverName = get('CONSUL_TLS_SERVER_NAME');
  const fileToken = read('CONSUL_HTTP_TOKEN_FILE')?.trim();
  const envToken = get('CONSUL_HTTP_TOKEN');
  const [token, tokenOrigin] = fileToken
    ? [checkToken(fileToken, 'CONSUL_HTTP_TOKEN_FILE'), 'CONSUL_HTTP_TOKEN_FILE' as const]
    : envToken
      ? [checkToken(envToken, 'CONSUL_HTTP_TOKEN'), 'CONSUL_HTTP_TOKEN' as const]
      : [undefined, 'none' as const];
  return {
    addresses,
    tls: { caPem, clientCertPem, clientKeyPem, serverName: serverName && serverNameOnly(serverName), verify },
    token: staticTokenSource(token),
    tokenOrigin,
  };
}

/**
 * The deploy config's `consul` block (also the Lambda's environment, assembled by the handler wiring).
 * The token is not here: Lambdas read it from Secrets Manager (see `consul-token-secret.ts`).
 * Validated by hand rather than with zod: this runs in every Consul-facing Lambda, and zod would add ~400 KiB to
 * each bundle.
 */
export interface ConsulSettingsInput {
  /** One or more `https://host:port` (or host:port) addresses, tried in order; a list or a comma-separated string. */
  readonly addresses: string | readonly string[];
  /** PEM CA bundle for the Consul HTTPS listener. */
  readonly caBundlePem?: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  readonly tlsServerName?: string;
  /** @default true */
  readonly verifyTls?: boolean;
  /** Scheme for bare host:port addresses. @default 'https' */
  readonly defaultScheme?: 'http' | 'https';
}

const SETTINGS_KEYS = ['addresses', 'caBundlePem', 'clientCertPem', 'clientKeyPem', 'tlsServerName', 'verifyTls', 'defaultScheme'] as const;
const SETTINGS_EXAMPLE = `{ "addresses": ["https://consul.example.com:8501"], "caBundlePem": "-----BEGIN CERTIFICATE-----…" }`;

function checkSettingsInput(input: unknown, field: string): ConsulSettingsInput {
  const fail = (path: string, problem: string): never => {
    throw new InvalidInputError(path, problem, SETTINGS_EXAMPLE);
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail(field, 'expected an object');
  const o = input as Record<string, unknown>;
  const unknownKey = Object.keys(o).find((k) => !(SETTINGS_KEYS as readonly string[]).includes(k));
  if (unknownKey !== undefined) fail(field, `unknown field "${unknownKey}"`);
  const a = o.addresses;
  const okAddresses = typeof a === 'string' ? a.trim() !== '' : Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'string');
  if (!okAddresses) fail(`${field}.addresses`, 'expected a non-empty list of addresses');
  for (const key of ['caBundlePem', 'clientCertPem', 'clientKeyPem', 'tlsServerName'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || (key === 'tlsServerName' && o[key] === ''))) fail(`${field}.${key}`, 'expected a non-empty string');
  }
  if (o.verifyTls !== undefined && typeof o.verifyTls !== 'boolean') fail(`${field}.verifyTls`, 'expected true or false');
  if (o.defaultScheme !== undefined && o.defaultScheme !== 'http' && o.defaultScheme !== 'https') fail(`${field}.defaultScheme`, 'expected "http" or "https"');
  return o as unknown as ConsulSettingsInput;
}

/**
 * Validates the deploy config's `consul` block and resolves it into {@link ConsulConnectionSettings}.
 * `field` prefixes error names, e.g. `clusters[0].consul.addresses`.
 *
 * @example
 * const settings = consulSettingsFromConfig(config.consul, 'consul');
 */
export function consulSettingsFromConfig(input: unknown, field = 'consul'): ConsulConnectionSettings {
  const c = checkSettingsInput(input, field);
  const list = typeof c.addresses === 'string' ? c.addresses : c.addresses.join(',');
  const addresses = parseConsulAddresses(list, c.defaultScheme ?? 'https', `${field}.addresses`);
  const caPem = c.caBundlePem === undefined ? undefined : checkCertificatePem(c.caBundlePem, `${field}.caBundlePem`);
  checkClientPair(c.clientCertPem, c.clientKeyPem, [`${field}.clientCertPem`, `${field}.clientKeyPem`]);
  return {
    addresses,
    tls: {
      caPem,
      clientCertPem: c.clientCertPem,
      clientKeyPem: c.clientKeyPem,
      serverName: c.tlsServerName && serverNameOnly(c.tlsServerName),
      verify: c.verifyTls ?? true,
    },
  };
}
