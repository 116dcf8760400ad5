/**
 * A real Connect CA (consul provider): an EC P-256 root created with @peculiar/x509 and leaf certificates signed by
 * it with the SPIFFE URI SAN `spiffe://<trust-domain>/ns/default/dc/<dc>/svc/<service>`. The agent-side leaf cache
 * reissues after the renewal window (60–90 % of the lifetime, like `calculateSoftExpiry`), after expiry, or when the
 * active root changes. Its key follows the version profile (consul-api.md correction 5): on 1.15 it includes the
 * request token (`datacenter/token/service`), so a caller with its own token gets a different leaf than the sidecar
 * holds; from 1.16 every caller gets the same leaf. Test hooks choose validities, pin leaves and rotate or expire roots.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { colonHex, formatGoDuration, parseGoDuration, rfc3339Seconds } from './go-format';
import { noLeader } from './http-errors';
import { CaRootRecord, SimulatorStore } from './store';
import { ConsulProfile } from './version-profiles';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3_600_000;

/** Consul's default CA configuration (`agent/structs/connect_ca.go`). */
export const DEFAULT_CA_CONFIG = { LeafCertTTL: '72h', IntermediateCertTTL: '8760h', RootCertTTL: '87600h' } as const;

/** A validity window. */
export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A leaf as `/v1/agent/connect/ca/leaf/:service` returns it (`structs.IssuedCert`). */
export interface IssuedLeaf {
  readonly SerialNumber: string;
  readonly CertPEM: string;
  readonly PrivateKeyPEM: string;
  readonly Service: string;
  readonly ServiceURI: string;
  readonly ValidAfter: string;
  readonly ValidBefore: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

interface CachedLeaf {
  readonly leaf: IssuedLeaf;
  readonly rootId: string;
  readonly validity: Validity;
  readonly softExpiry: number;
  readonly pinned: boolean;
  readonly fetchedAt: number;
}

/**
 * The token the service's sidecar fetches its leaf with. Test hooks (`leaf()` without a token, `pinLeaf`) act as the
 * sidecar, so on 1.15 a request with any other token gets a leaf of its own.
 */
export const SIDECAR_TOKEN = '<sidecar>';

/** Options of {@link ConnectCa.rotateRoot}. */
export interface RotateRootOptions {
  /** @default - now */
  readonly notBefore?: Date;
  /** @default - notBefore + RootCertTTL */
  readonly notAfter?: Date;
  /** Keep the previous root listed as inactive. @default true */
  readonly keepPrevious?: boolean;
}

/** The CA engine; its roots and configuration live in the store (so snapshots carry them). */
export class ConnectCa {
  private readonly keys = new Map<string, CryptoKey>();
  private readonly cache = new Map<string, CachedLeaf>();
  private leafIndex = 0;
  private validityOverride: ((service: string, now: Date) => Validity) | undefined;

  constructor(
    private readonly store: SimulatorStore,
    private readonly datacenter: string,
    private readonly now: () => Date,
    private readonly profile: () => ConsulProfile,
  ) {}

  /** The agent cache key of a leaf request: with the token on 1.15 (`leafCachePerToken`), without from 1.16. */
  private cacheKey(service: string, token: string): string {
    return this.profile().features.leafCachePerToken ? `${service}\u0000${token}` : service;
  }

  /** Creates the first root when the store has none. */
  async init(): Promise<void> {
    if (this.store.caRoots.length === 0) await this.rotateRoot({ keepPrevious: false });
  }

  /** `<cluster-id>.consul`. */
  get trustDomain(): string {
    return `${this.store.clusterId}.consul`;
  }

  /** The active root. */
  activeRoot(): CaRootRecord {
    const root = this.store.caRoots.find((r) => r.Active);
    if (!root) throw new Error('the simulated CA has no active root');
    return root;
  }

  /** `LeafCertTTL` of the CA configuration, in ms. */
  leafTtlMs(): number {
    return parseGoDuration(String(this.store.caConfig.Config.LeafCertTTL ?? DEFAULT_CA_CONFIG.LeafCertTTL)) ?? 72 * HOUR;
  }

  /** Sets `LeafCertTTL` (a raft write, as `PUT /v1/connect/ca/configuration` would do). */
  setLeafCertTtl(ttl: string | number): void {
    const text = typeof ttl === 'number' ? formatGoDuration(ttl) : ttl;
    const index = this.store.commit('connect-ca-config');
    this.store.caConfig = { ...this.store.caConfig, Config: { ...this.store.caConfig.Config, LeafCertTTL: text }, ModifyIndex: index };
  }

  /** Makes subsequently issued leaves use the given validity (a window or a function); `undefined` restores TTL. */
  setLeafValidity(validity: Validity | ((service: string, now: Date) => Validity) | undefined): void {
    this.validityOverride = typeof validity === 'function' || validity === undefined ? validity : () => validity;
  }

  /**
   * Issues a leaf with `validity` now and pins it for the sidecar: the agent serves it (even expired) to the sidecar
   * (and from 1.16 to every caller) until the cache is cleared.
   */
  async pinLeaf(service: string, validity: Validity): Promise<IssuedLeaf> {
    const leaf = await this.issue(service, validity);
    this.cache.set(this.cacheKey(service, SIDECAR_TOKEN), { leaf, rootId: this.activeRoot().ID, validity, softExpiry: Infinity, pinned: true, fetchedAt: this.now().getTime() });
    return leaf;
  }

  /** Forgets cached leaves (one service, for every token, or all), forcing reissue on the next request. */
  clearLeafCache(service?: string): void {
    if (service === undefined) this.cache.clear();
    else for (const key of [...this.cache.keys()]) if (key === service || key.startsWith(`${service}\u0000`)) this.cache.delete(key);
  }

  /**
   * The agent's leaf for `service` as a request with `token` gets it: cached (`hit`) or freshly signed. Without a
   * leader only the cache can answer. The default token is the sidecar's ({@link SIDECAR_TOKEN}).
   */
  async leaf(service: string, leader: boolean, token: string = SIDECAR_TOKEN): Promise<{ leaf: IssuedLeaf; hit: boolean; ageSeconds: number }> {
    const now = this.now().getTime();
    const key = this.cacheKey(service, token);
    const cached = this.cache.get(key);
    const fresh =
      cached && (cached.pinned || (now < cached.softExpiry && now < cached.validity.notAfter.getTime() && cached.rootId === this.activeRoot().ID));
    if (cached && (fresh || !leader)) return { leaf: cached.leaf, hit: true, ageSeconds: Math.round((now - cached.fetchedAt) / 1000) };
    if (!leader) throw noLeader();
    const validity = this.validityFor(service);
    const leaf = await this.issue(service, validity);
    const life = validity.notAfter.getTime() - validity.notBefore.getTime();
    const softExpiry = validity.notBefore.getTime() + life * (0.6 + Math.random() * 0.3);
    this.cache.set(key, { leaf, rootId: this.activeRoot().ID, validity, softExpiry, pinned: false, fetchedAt: now });
    return { leaf, hit: false, ageSeconds: 0 };
  }

  private validityFor(service: string): Validity {
    const now = this.now();
    if (this.validityOverride) return this.validityOverride(service, now);
    // The consul provider backdates by a minute; the window is exactly LeafCertTTL.
    const notBefore = new Date(now.getTime() - 60_000);
    return { notBefore, notAfter: new Date(notBefore.getTime() + this.leafTtlMs()) };
  }

  /** Replaces the active root with a new key and certificate; the old one stays listed inactive unless told not to. */
  async rotateRoot(options: RotateRootOptions = {}): Promise<CaRootRecord> {
    const now = this.now();
    const rootTtl = parseGoDuration(String(this.store.caConfig.Config.RootCertTTL ?? DEFAULT_CA_CONFIG.RootCertTTL)) ?? 87600 * HOUR;
    const notBefore = options.notBefore ?? now;
    const notAfter = options.notAfter ?? new Date(notBefore.getTime() + rootTtl);
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const serial = randomBytes(8);
    serial[0] = (serial[0] & 0x7f) | 0x10;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial.toString('hex'),
      name: `CN=pri-${randomBytes(4).toString('hex')}.consul.ca.${this.store.clusterId.slice(0, 8)}.consul`,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${this.trustDomain}` }]),
      ],
    });
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? '';
    const index = this.store.commit('connect-ca-roots');
    const root: CaRootRecord = {
      ID: colonHex(createHash('sha1').update(Buffer.from(cert.rawData)).digest()),
      Name: 'Consul CA Primary Cert',
      SerialNumber: BigInt(`0x${serial.toString('hex')}`).toString(),
      SigningKeyID: colonHex(Buffer.from(ski, 'hex')),
      NotBefore: rfc3339Seconds(cert.notBefore),
      NotAfter: rfc3339Seconds(cert.notAfter),
      RootCert: pemWithNewline(cert.toString('pem')),
      PrivateKeyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
      Active: true,
      PrivateKeyType: 'ec',
      PrivateKeyBits: 256,
      CreateIndex: index,
      ModifyIndex: index,
    };
    const previous = options.keepPrevious === false ? [] : this.store.caRoots.map((r) => (r.Active ? { ...r, Active: false, ModifyIndex: index } : r));
    this.store.caRoots = [...previous, root];
    this.keys.set(root.ID, keys.privateKey);
    return root;
  }

  /** Signs a leaf for `service` with the active root. */
  private async issue(service: string, validity: Validity): Promise<IssuedLeaf> {
    const root = this.activeRoot();
    const signingKey = await this.rootKey(root);
    const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const serial = randomBytes(16);
    serial[0] = (serial[0] & 0x7f) | 0x10;
    const uri = `spiffe://${this.trustDomain}/ns/default/dc/${this.datacenter}/svc/${service}`;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject: `CN=${service}.svc.default.${this.store.clusterId.slice(0, 8)}.consul`,
      issuer: new x509.X509Certificate(root.RootCert).subject,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      publicKey: leafKeys.publicKey,
      signingKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
        new x509.AuthorityKeyIdentifierExtension(root.SigningKeyID.replace(/:/g, '')),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }]),
      ],
    });
    this.leafIndex = Math.max(this.leafIndex + 1, this.store.index);
    return {
      SerialNumber: colonHex(serial),
      CertPEM: pemWithNewline(cert.toString('pem')),
      PrivateKeyPEM: KeyObject.from(leafKeys.privateKey).export({ type: 'sec1', format: 'pem' }).toString(),
      Service: service,
      ServiceURI: uri,
      ValidAfter: rfc3339Seconds(cert.notBefore),
      ValidBefore: rfc3339Seconds(cert.notAfter),
      CreateIndex: this.leafIndex,
      ModifyIndex: this.leafIndex,
    };
  }

  private async rootKey(root: CaRootRecord): Promise<CryptoKey> {
    const known = this.keys.get(root.ID);
    if (known) return known;
    const der = Buffer.from(root.PrivateKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    this.keys.set(root.ID, key);
    return key;
  }
}

function pemWithNewline(pem: string): string {
  const normalized = pem.replace(/\r\n/g, '\n');
  return normalized.endsWith('\n') ? normalized : `${normalized}\n`;
}
