/**
 * Test PKI and loopback servers for wire-level tests: a test CA with server and client certificates (ECDSA P-256,
 * generated in memory with @peculiar/x509), a second untrusted CA, and HTTP/HTTPS servers on 127.0.0.1, port 0.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

type KeyPair = webcrypto.CryptoKeyPair;

/** A certificate and its private key, both PEM. */
export interface TestCert {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The certificates of {@link createTestPki}. */
export interface TestPki {
  /** Trusted test CA. */
  readonly ca: TestCert;
  /** Server certificate signed by `ca` (serverAuth) for the requested names. */
  readonly server: TestCert;
  /** Client certificate signed by `ca` (clientAuth), CN `consul-ops-test-client`. */
  readonly client: TestCert;
  /** A second CA that signed nothing of the above: use it to provoke verification failures. */
  readonly otherCa: TestCert;
  /** Client certificate signed by `otherCa`: a server trusting only `ca` rejects it. */
  readonly foreignClient: TestCert;
}

/** Names on the server certificate. */
export interface TestPkiOptions {
  /** @default ['localhost'] */
  readonly dnsNames?: readonly string[];
  /** @default ['127.0.0.1'] */
  readonly ipAddresses?: readonly string[];
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function keyPair(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

const validity = (): { notBefore: Date; notAfter: Date } => ({
  notBefore: new Date(Date.now() - 60_000),
  notAfter: new Date(Date.now() + 24 * 3600_000),
});

async function makeCa(name: string): Promise<{ cert: x509.X509Certificate; keys: KeyPair; pem: TestCert }> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ALG,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, pem: { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) } };
}

async function issue(
  ca: { cert: x509.X509Certificate; keys: KeyPair },
  cn: string,
  usage: x509.ExtendedKeyUsage,
  names: x509.JsonGeneralName[] = [],
): Promise<TestCert> {
  const keys = await keyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    ...validity(),
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/**
 * Creates a fresh test PKI (about 50 ms).
 *
 * @example
 * const pki = await createTestPki({ dnsNames: ['server.dc1.consul'], ipAddresses: [] });
 */
export async function createTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  const ca = await makeCa('consul-ops test CA');
  const other = await makeCa('consul-ops untrusted CA');
  const names: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? ['127.0.0.1']).map((value) => ({ type: 'ip' as const, value })),
  ];
  return {
    ca: ca.pem,
    server: await issue(ca, names[0]?.value ?? 'server', x509.ExtendedKeyUsage.serverAuth, names),
    client: await issue(ca, 'consul-ops-test-client', x509.ExtendedKeyUsage.clientAuth),
    otherCa: other.pem,
    foreignClient: await issue(other, 'consul-ops-foreign-client', x509.ExtendedKeyUsage.clientAuth),
  };
}

/** A running loopback server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly server: http.Server | https.Server;
  /** Requests seen so far (method, url, headers). */
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server (or HTTPS when `tls` is given) on 127.0.0.1 with a random port. The handler gets the
 * 1-based number of the request, to script sequences (fail twice, then answer).
 *
 * @example
 * const srv = await startLoopbackServer((req, res) => res.end('"10.0.0.1:8300"'));
 */
export async function startLoopbackServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void,
  tls?: https.ServerOptions,
): Promise<LoopbackServer> {
  const requests: LoopbackServer['requests'] = [];
  const sockets = new Set<Socket>();
  const wrapped = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, requests.length);
  };
  const server = tls ? https.createServer(tls, wrapped) : http.createServer(wrapped);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An address on 127.0.0.1 where nothing listens (connections are refused). */
export async function refusedAddress(): Promise<string> {
  const srv = http.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
