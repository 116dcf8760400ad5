import { X509Certificate } from 'node:crypto';

/**
 * Plain facts about X.509 certificates, read with `node:crypto`'s `X509Certificate` (pure computation: no I/O, no
 * clock), plus the two judgements the certificate check needs on them: does a chain lead to a trust anchor (signatures
 * only, validity times are judged separately), and does a certificate cover a server name.
 */

/** What consul-ops reads from one certificate. JSON-safe. */
export interface CertFacts {
  /** Colon-hex, lower case, no leading zero bytes: the form Consul prints leaf serials in (`3a:4f:…`). */
  readonly serial: string;
  /** One-line distinguished name, e.g. `CN=web.svc.default.7f42f496.consul`. */
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601. */
  readonly notBefore: string;
  /** ISO 8601. */
  readonly notAfter: string;
  /** URI SANs, e.g. `spiffe://<trust-domain>/ns/default/dc/dc1/svc/web`. */
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly isCa: boolean;
  /** SHA-256 fingerprint, colon-hex upper case as Node prints it. */
  readonly fingerprint256: string;
}

/** Result of {@link verifyChain}. */
export interface ChainVerdict {
  readonly trusted: boolean;
  /** Why not, e.g. `no trusted issuer for CN=web…`. */
  readonly problem?: string;
  /** Subject of the anchor the chain led to. */
  readonly anchor?: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const SAN_ENTRY = /(?:^|, )(DNS|IP Address|URI|email|DirName|Registered ID|othername):("(?:[^"\\]|\\.)*"|[^,]*)/g;
const MAX_CHAIN_DEPTH = 8;

/** Every certificate of a PEM bundle (an empty list for none). */
export function splitPemBundle(pem: string): string[] {
  return pem.match(PEM_BLOCK) ?? [];
}

/** Parses PEM or DER into an `X509Certificate` (throws on garbage). */
export function parseCertificate(input: string | Buffer): X509Certificate {
  return new X509Certificate(input);
}

/**
 * Normalises a serial to Consul's colon-hex form: `0A3F`, `0a:3f`, `00:0a:3f` → `0a:3f`.
 *
 * @example
 * formatSerial('0A3F') // '0a:3f'
 */
export function formatSerial(serial: string): string {
  let hex = serial.replace(/[^0-9a-f]/gi, '').toLowerCase().replace(/^0+/, '');
  if (hex === '') hex = '00';
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return hex.match(/../g)!.join(':');
}

/** Reads the facts of one certificate. */
export function describeCertificate(input: string | Buffer | X509Certificate): CertFacts {
  const cert = input instanceof X509Certificate ? input : parseCertificate(input);
  const sans = parseSubjectAltName(cert.subjectAltName);
  return {
    serial: formatSerial(cert.serialNumber),
    subject: oneLineDn(cert.subject),
    issuer: oneLineDn(cert.issuer),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    uris: sans.URI ?? [],
    dnsNames: sans.DNS ?? [],
    ipAddresses: sans['IP Address'] ?? [],
    isCa: cert.ca,
    fingerprint256: cert.fingerprint256,
  };
}

/**
 * Checks that `chain[0]` leads, by signatures, through `chain[1..]` and `intermediates` to one of `anchors`. Validity
 * times are deliberately ignored (an expired certificate is judged by the expiry checks, and must still be read).
 *
 * @example
 * verifyChain(served.map(parseCertificate), roots.map(parseCertificate)) // { trusted: true, anchor: 'CN=pri-…' }
 */
export function verifyChain(chain: readonly X509Certificate[], anchors: readonly X509Certificate[], intermediates: readonly X509Certificate[] = []): ChainVerdict {
  if (chain.length === 0) return { trusted: false, problem: 'no certificate was presented' };
  const anchorPrints = new Set(anchors.map((a) => a.fingerprint256));
  const pool = [...chain.slice(1), ...intermediates];
  let current = chain[0];
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    if (anchorPrints.has(current.fingerprint256)) return { trusted: true, anchor: oneLineDn(current.subject) };
    const anchor = anchors.find((a) => signedBy(current, a));
    if (anchor) return { trusted: true, anchor: oneLineDn(anchor.subject) };
    const next = pool.find((c) => c.fingerprint256 !== current.fingerprint256 && signedBy(current, c));
    if (!next) return { trusted: false, problem: `no trusted issuer for ${oneLineDn(current.subject) || 'the certificate'} (issuer ${oneLineDn(current.issuer)})` };
    current = next;
  }
  return { trusted: false, problem: `the chain is longer than ${MAX_CHAIN_DEPTH} certificates` };
}

/**
 * True when the certificate's SANs cover `name`: an IP SAN for an IP address, otherwise a DNS SAN (case-insensitive,
 * a leading `*.` matching exactly one label). The subject CN is not consulted, as in Go and browsers.
 */
export function coversServerName(cert: Pick<CertFacts, 'dnsNames' | 'ipAddresses'>, name: string): boolean {
  const ip = normalizeIp(name);
  if (ip !== undefined) return cert.ipAddresses.some((a) => normalizeIp(a) === ip);
  const host = name.toLowerCase().replace(/\.$/, '');
  return cert.dnsNames.some((pattern) => {
    const p = pattern.toLowerCase().replace(/\.$/, '');
    if (!p.startsWith('*.')) return p === host;
    const dot = host.indexOf('.');
    return dot > 0 && host.slice(dot + 1) === p.slice(2);
  });
}

/**
 * Milliseconds of a Go duration such as `72h`, `1h30m`, `4320m` or `259200s`; `undefined` when it is not one.
 *
 * @example
 * parseGoDurationMs('72h') // 259200000
 */
export function parseGoDurationMs(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(t)) return undefined;
  let total = 0;
  for (const [, value, , unit] of t.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(value) * units[unit];
  return total;
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function oneLineDn(dn: string): string {
  return dn.split('\n').filter((p) => p.length > 0).join(', ');
}

function parseSubjectAltName(text: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [, type, raw] of (text ?? '').matchAll(SAN_ENTRY)) {
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    (out[type] ??= []).push(value.trim());
  }
  return out;
}

/** A canonical text form of an IPv4 or IPv6 address, or `undefined` when `text` is not an IP. */
function normalizeIp(text: string): string | undefined {
  const t = text.trim().replace(/^\[|\]$/g, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(t)) return t.split('.').map((o) => String(Number(o))).join('.');
  if (!t.includes(':')) return undefined;
  try {
    return new URL(`http://[${t}]/`).hostname;
  } catch {
    return undefined;
  }
}
