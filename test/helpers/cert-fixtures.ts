/**
 * Certificates and TLS listeners for the certificate-check tests: a small CA that issues server certificates with
 * chosen names and validity (endpoints), and loopback TLS servers that present a chosen chain, optionally requiring a
 * client certificate signed by given roots, as Envoy's public listener does.
 */
import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** A certificate and its key, PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A CA that signs server certificates. */
export interface FixtureCa extends PemPair {
  issueServer(opts: { dnsNames?: string[]; ipAddresses?: string[]; notBefore?: Date; notAfter?: Date; cn?: string }): Promise<PemPair>;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

function keyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * A CA valid from `notBefore` to `notAfter` (default: a year around now).
 *
 * @example
 * const ca = await createFixtureCa('Consul Agent CA');
 * const server = await ca.issueServer({ dnsNames: ['server.dc1.consul'], notAfter: new Date(Date.now() + 10 * DAY) });
 */
export async function createFixtureCa(name = 'consul-ops fixture CA', validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<FixtureCa> {
  const keys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ALG,
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: ca.toString('pem') + '\n',
    keyPem: keyPem(keys.privateKey),
    async issueServer(opts) {
      const leafKeys = await keyPair();
      const names: x509.JsonGeneralName[] = [
        ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ];
      const cert = await x509.X509CertificateGenerator.create({
        subject: `CN=${opts.cn ?? opts.dnsNames?.[0] ?? 'server'}`,
        issuer: ca.subject,
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALG,
        notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
        notAfter: opts.notAfter ?? new Date(Date.now() + 200 * DAY),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
          ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
        ],
      });
      return { certPem: cert.toString('pem') + '\n', keyPem: keyPem(leafKeys.privateKey) };
    },
  };
}

export { startTlsListener, type TlsListener, type TlsListenerOptions } from '../../local/consul-simulator/tls-listener';

/** A plain TCP listener that accepts and never answers: TLS handshakes to it time out. */
export async function startSilentListener(): Promise<{ port: number; close(): Promise<void> }> {
  const net = await import('node:net');
  const sockets = new Set<Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Milliseconds in a day, for readable validities. */
export const DAY_MS = DAY;
