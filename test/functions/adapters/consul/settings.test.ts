import { consulSettingsFromConfig, consulSettingsFromEnv } from '../../../../functions/adapters/consul/settings';
import { InvalidInputError } from '../../../../functions/core/shared/errors';
import { createTestPki, type TestPki } from '../../../helpers/tls-fixtures';

const TOKEN = '45a3bd52-07c7-47a4-52fd-0745e0cfe967';
let pki: TestPki;
let files: Record<string, string>;

function readFile(path: string): string {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return content;
}

beforeAll(async () => {
  pki = await createTestPki();
  files = {
    '/tls/ca.pem': pki.ca.certPem + pki.otherCa.certPem,
    '/tls/client.pem': pki.client.certPem,
    '/tls/client-key.pem': pki.client.keyPem,
    '/tls/other-key.pem': pki.foreignClient.keyPem,
    '/tls/garbage.pem': 'hello',
    '/token': `  ${TOKEN}\n`,
    '/bad-token': 'abc def\n',
  };
});

describe('consulSettingsFromEnv', () => {
  const valid: Array<{ name: string; env: Record<string, string>; addresses: string[]; tls?: Record<string, unknown> }> = [
    { name: 'defaults', env: {}, addresses: ['http://127.0.0.1:8500'], tls: { verify: true, caPem: undefined } },
    { name: 'bare host:port', env: { CONSUL_HTTP_ADDR: 'consul.service:8500' }, addresses: ['http://consul.service:8500'] },
    { name: 'CONSUL_HTTP_SSL=true for bare host', env: { CONSUL_HTTP_ADDR: '10.0.0.5:8501', CONSUL_HTTP_SSL: 'true' }, addresses: ['https://10.0.0.5:8501'] },
    { name: 'CONSUL_HTTP_SSL=1 default address', env: { CONSUL_HTTP_SSL: '1' }, addresses: ['https://127.0.0.1:8500'] },
    { name: 'explicit https URL', env: { CONSUL_HTTP_ADDR: 'https://consul.example.com:8501/' }, addresses: ['https://consul.example.com:8501'] },
    { name: 'explicit http wins over SSL', env: { CONSUL_HTTP_ADDR: 'http://a:8500', CONSUL_HTTP_SSL: 'true' }, addresses: ['http://a:8500'] },
    { name: 'reverse-proxy prefix', env: { CONSUL_HTTP_ADDR: 'https://gw.example.com/consul' }, addresses: ['https://gw.example.com/consul'] },
    { name: 'IPv6', env: { CONSUL_HTTP_ADDR: '[::1]:8500' }, addresses: ['http://[::1]:8500'] },
    { name: 'failover list, duplicates dropped', env: { CONSUL_HTTP_ADDR: 'https://s1:8501, https://s2:8501,,https://s1:8501' }, addresses: ['https://s1:8501', 'https://s2:8501'] },
    { name: 'TLS files', env: { CONSUL_CACERT: '/tls/ca.pem', CONSUL_CLIENT_CERT: '/tls/client.pem', CONSUL_CLIENT_KEY: '/tls/client-key.pem' },
      addresses: ['http://127.0.0.1:8500'], tls: { clientCertPem: expect.stringContaining('BEGIN CERTIFICATE'), caPem: expect.stringContaining('BEGIN CERTIFICATE') } },
    { name: 'server name without port', env: { CONSUL_TLS_SERVER_NAME: 'server.dc1.consul:8501' }, addresses: ['http://127.0.0.1:8500'], tls: { serverName: 'server.dc1.consul' } },
    { name: 'verify off', env: { CONSUL_HTTP_SSL_VERIFY: 'false' }, addresses: ['http://127.0.0.1:8500'], tls: { verify: false } },
    { name: 'empty values are unset', env: { CONSUL_HTTP_ADDR: ' ', CONSUL_HTTP_SSL: '' }, addresses: ['http://127.0.0.1:8500'] },
  ];

  it.each(valid)('reads $name', ({ env, addresses, tls }) => {
    // Act
    const settings = consulSettingsFromEnv(env, readFile);

    // Assess
    expect(settings.addresses).toEqual(addresses);
    if (tls) expect(settings.tls).toMatchObject(tls);
  });

  const invalid: Array<{ name: string; env: Record<string, string>; field: string; problem: RegExp }> = [
    { name: 'unknown scheme', env: { CONSUL_HTTP_ADDR: 'unix:///var/run/consul.sock' }, field: 'CONSUL_HTTP_ADDR', problem: /scheme "unix"/ },
    { name: 'not an address', env: { CONSUL_HTTP_ADDR: 'http://' }, field: 'CONSUL_HTTP_ADDR', problem: /not a host:port/ },
    { name: 'credentials', env: { CONSUL_HTTP_ADDR: 'https://u:p@a:8501' }, field: 'CONSUL_HTTP_ADDR', problem: /without credentials/ },
    { name: 'only commas', env: { CONSUL_HTTP_ADDR: ',,' }, field: 'CONSUL_HTTP_ADDR', problem: /no address/ },
    { name: 'bad SSL bool', env: { CONSUL_HTTP_SSL: 'yes' }, field: 'CONSUL_HTTP_SSL', problem: /"yes" is not a boolean/ },
    { name: 'bad verify bool', env: { CONSUL_HTTP_SSL_VERIFY: 'off' }, field: 'CONSUL_HTTP_SSL_VERIFY', problem: /not a boolean/ },
    { name: 'missing CA file', env: { CONSUL_CACERT: '/nope.pem' }, field: 'CONSUL_CACERT', problem: /cannot read file "\/nope.pem" \(ENOENT\)/ },
    { name: 'CA not PEM', env: { CONSUL_CACERT: '/tls/garbage.pem' }, field: 'CONSUL_CACERT', problem: /no PEM certificate/ },
    { name: 'cert without key', env: { CONSUL_CLIENT_CERT: '/tls/client.pem' }, field: 'CONSUL_CLIENT_KEY', problem: /together with CONSUL_CLIENT_CERT/ },
    { name: 'key not PEM', env: { CONSUL_CLIENT_CERT: '/tls/client.pem', CONSUL_CLIENT_KEY: '/tls/garbage.pem' }, field: 'CONSUL_CLIENT_KEY', problem: /not a readable PEM private key/ },
    { name: 'key of another cert', env: { CONSUL_CLIENT_CERT: '/tls/client.pem', CONSUL_CLIENT_KEY: '/tls/other-key.pem' }, field: 'CONSUL_CLIENT_KEY', problem: /does not match/ },
    { name: 'token with spaces', env: { CONSUL_HTTP_TOKEN: 'abc def' }, field: 'CONSUL_HTTP_TOKEN', problem: /whitespace/ },
    { name: 'token file with spaces', env: { CONSUL_HTTP_TOKEN_FILE: '/bad-token' }, field: 'CONSUL_HTTP_TOKEN_FILE', problem: /whitespace/ },
    { name: 'missing token file', env: { CONSUL_HTTP_TOKEN_FILE: '/nope' }, field: 'CONSUL_HTTP_TOKEN_FILE', problem: /cannot read file/ },
  ];

  it.each(invalid)('rejects $name', ({ env, field, problem }) => {
    // Act
    const act = (): unknown => consulSettingsFromEnv(env, readFile);

    // Assess
    expect(act).toThrow(InvalidInputError);
    try {
      act();
    } catch (err) {
      const e = err as InvalidInputError;
      expect(e.context.field).toBe(field);
      expect(e.message).toMatch(problem);
      expect(e.remedy).toMatch(/for example/);
      expect(e.message).not.toContain('abc def');
    }
  });

  it.each([
    [{ CONSUL_HTTP_TOKEN: TOKEN }, TOKEN, 'CONSUL_HTTP_TOKEN'],
    [{ CONSUL_HTTP_TOKEN_FILE: '/token' }, TOKEN, 'CONSUL_HTTP_TOKEN_FILE'],
    [{ CONSUL_HTTP_TOKEN: 'ignored-when-file-set', CONSUL_HTTP_TOKEN_FILE: '/token' }, TOKEN, 'CONSUL_HTTP_TOKEN_FILE'],
    [{}, undefined, 'none'],
  ])('takes the token from %j', async (env, token, origin) => {
    // Act
    const settings = consulSettingsFromEnv(env, readFile);

    // Assess
    await expect(settings.token()).resolves.toBe(token);
    expect(settings.tokenOrigin).toBe(origin);
    expect(JSON.stringify(settings)).not.toContain(TOKEN);
  });
});

describe('consulSettingsFromConfig', () => {
  it('resolves a full block', () => {
    // Act
    const settings = consulSettingsFromConfig({
      addresses: ['10.0.1.10:8501', 'https://10.0.2.10:8501'],
      caBundlePem: pki.ca.certPem,
      clientCertPem: pki.client.certPem,
      clientKeyPem: pki.client.keyPem,
      tlsServerName: 'server.dc1.consul',
    });

    // Assess
    expect(settings.addresses).toEqual(['https://10.0.1.10:8501', 'https://10.0.2.10:8501']);
    expect(settings.tls).toMatchObject({ serverName: 'server.dc1.consul', verify: true, caPem: pki.ca.certPem });
  });

  it('accepts a comma-separated string and http default scheme', () => {
    expect(consulSettingsFromConfig({ addresses: 'a:8500,b:8500', defaultScheme: 'http' }).addresses).toEqual(['http://a:8500', 'http://b:8500']);
  });

  it.each([
    [{}, 'clusters[0].consul.addresses'],
    [{ addresses: [] }, 'clusters[0].consul.addresses'],
    [{ addresses: ['a:1'], caBundle: 'x' }, 'clusters[0].consul'],
    [{ addresses: ['a:1'], verifyTls: 'no' }, 'clusters[0].consul.verifyTls'],
    [{ addresses: ['ftp://a'] }, 'clusters[0].consul.addresses'],
    [{ addresses: ['a:1'], caBundlePem: 'nope' }, 'clusters[0].consul.caBundlePem'],
    [{ addresses: ['a:1'], clientKeyPem: 'x' }, 'clusters[0].consul.clientCertPem'],
  ])('rejects %j naming %s', (input, field) => {
    // Act
    const act = (): unknown => consulSettingsFromConfig(input, 'clusters[0].consul');

    // Assess
    expect(act).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', context: expect.objectContaining({ field }) }));
  });
});
