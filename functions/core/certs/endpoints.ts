import type { X509Certificate } from 'node:crypto';
import { mapBounded } from '../shared/bounded-map';
import { InvalidInputError } from '../shared/errors';
import { describeCertificate, parseCertificate, splitPemBundle, verifyChain } from './facts';
import type { EndpointObservation, EndpointRole, ServedChain } from './observations';
import type { TlsProbe, TlsProbeResult } from './ports';

/**
 * The TLS endpoints of the certificate check: which `host:port` targets to probe (Consul's HTTPS API, the agent's
 * gRPC TLS port on the same hosts, and configured endpoints) and which CA each is judged against. An endpoint is
 * trusted when its chain leads to the CA given for it (`CONSUL_CACERT` / the cluster CA bundle for Consul's own ports,
 * `--endpoint-ca` / `caBundleSecretArn` for a configured one), or, when none was given, to the system trust store:
 * exactly what a client configured that way accepts.
 */

/** A Consul TLS listener (HTTPS API) to check. */
export interface ConsulTlsEndpoint {
  readonly host: string;
  readonly port: number;
  /** @default - the host */
  readonly serverName?: string;
}

/** A configured endpoint (`--endpoint`, `certificates.endpoints[]`), with its own CA bundle when one was given. */
export interface EndpointCheck {
  /** `host:port` or `[v6]:port`. */
  readonly address: string;
  /** PEM bundle of the CA(s) the endpoint's chain must lead to. @default - the system trust store */
  readonly caPem?: string;
  /** Where `caPem` came from, for messages (a file or secret name, never its content). @default 'the endpoint CA bundle' */
  readonly caSource?: string;
}

/** What the endpoint part of the check needs besides the targets. */
export interface EndpointTrust {
  /** The system trust store (PEM): anchors of endpoints no CA was given for. */
  readonly systemCaPems: readonly string[];
  /** Consul's CA bundle (PEM): anchors of Consul's HTTPS and gRPC TLS ports. @default - the system trust store */
  readonly consulCaPem?: string;
}

/** One probe to make, with the anchors its chain is judged against. */
export interface EndpointTarget {
  readonly host: string;
  readonly port: number;
  readonly role: EndpointRole;
  readonly expectedName: string;
  /** Where the anchors come from; `undefined`: the system trust store (no CA was given). */
  readonly caSource?: string;
  readonly anchors: readonly X509Certificate[];
}

/**
 * Parses `host:port` or `[v6]:port`.
 *
 * @throws InvalidInputError naming `field`
 */
export function parseHostPort(text: string, field: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65_535) throw new InvalidInputError(field, `"${text}" is not host:port`, '"consul.example.com:8501" or "[fd00::5]:8503"');
  return { host: m[1] ?? m[2], port };
}

/**
 * The endpoints to probe: Consul's HTTPS addresses, the same hosts on the agent's gRPC TLS port (when it has one and
 * `grpcTls` is on), then the configured ones. The first role seen for a `host:port` wins (a configured duplicate of a
 * Consul address is probed once).
 */
export function endpointTargets(
  input: { readonly consulEndpoints?: readonly ConsulTlsEndpoint[]; readonly endpoints?: readonly EndpointCheck[]; readonly grpcTls?: boolean },
  grpcTlsPort: number | undefined,
  trust: EndpointTrust,
): EndpointTarget[] {
  const system = anchorsOf(trust.systemCaPems);
  const consulCa = trust.consulCaPem ? { caSource: 'the Consul CA bundle (CONSUL_CACERT)', anchors: anchorsOf([trust.consulCaPem]) } : { anchors: system };
  const consul = (input.consulEndpoints ?? []).map((e) => ({ host: e.host, port: e.port, role: 'consul-https' as const, expectedName: e.serverName ?? e.host, ...consulCa }));
  const grpc = input.grpcTls !== false && grpcTlsPort !== undefined && grpcTlsPort > 0 ? consul.map((e) => ({ ...e, port: grpcTlsPort, role: 'consul-grpc-tls' as const })) : [];
  const configured = (input.endpoints ?? []).map((e, i) => {
    const { host, port } = parseHostPort(e.address, `endpoints[${i}]`);
    const trusted = e.caPem ? { caSource: e.caSource ?? 'the endpoint CA bundle', anchors: anchorsOf([e.caPem]) } : { anchors: system };
    return { host, port, role: 'configured' as const, expectedName: host, ...trusted };
  });
  const byTarget = new Map<string, EndpointTarget>();
  for (const t of [...consul, ...grpc, ...configured]) if (!byTarget.has(hostPort(t.host, t.port))) byTarget.set(hostPort(t.host, t.port), t);
  return [...byTarget.values()];
}

/** Probes every target (at most `limit` at once; none started once `signal` aborted) and judges each chain. */
export async function probeEndpoints(probe: TlsProbe, targets: readonly EndpointTarget[], limit: number, signal?: AbortSignal): Promise<EndpointObservation[]> {
  const served = await mapBounded(
    targets,
    limit,
    async (t) => servedChain(await probe({ host: t.host, port: t.port, servername: isIp(t.expectedName) ? undefined : t.expectedName }), t.anchors, []),
    { signal, onSkip: skippedProbe },
  );
  return targets.map((t, i) => ({ target: hostPort(t.host, t.port), role: t.role, expectedName: t.expectedName, ...(t.caSource ? { caSource: t.caSource } : {}), served: served[i] }));
}

/** What a probe saw, with the chain judged (by signatures) against `anchors` through `intermediates`. */
export function servedChain(result: TlsProbeResult, anchors: readonly X509Certificate[], intermediates: readonly X509Certificate[]): ServedChain {
  if (!result.ok) return result;
  try {
    const certs = result.chainDer.map((der) => parseCertificate(der));
    const verdict = verifyChain(certs, anchors, intermediates);
    return { ok: true, chain: certs.map((c) => describeCertificate(c)), trusted: verdict.trusted, ...(verdict.problem ? { trustProblem: verdict.problem } : {}) };
  } catch (err) {
    return { ok: false, reason: 'handshake', message: `the presented certificate cannot be parsed (${(err as Error).message})` };
  }
}

/** The observation of a probe that was never started (time budget). */
export function skippedProbe(): ServedChain {
  return { ok: false, reason: 'skipped', message: 'not probed: the run hit its time budget' };
}

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function anchorsOf(pems: readonly string[]): X509Certificate[] {
  return pems.flatMap(splitPemBundle).map((p) => parseCertificate(p));
}

function isIp(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/**
 * Checks that `pem` holds at least one readable certificate, and returns it.
 *
 * @throws InvalidInputError naming `field` (e.g. `--endpoint-ca`) and `source` (the file or secret)
 */
export function checkCaBundle(pem: string, field: string, source: string): string {
  const blocks = splitPemBundle(pem);
  if (blocks.length === 0) throw new InvalidInputError(field, `${source} holds no PEM certificate`, 'a file with -----BEGIN CERTIFICATE----- blocks');
  blocks.forEach((block, i) => {
    try {
      parseCertificate(block);
    } catch (err) {
      throw new InvalidInputError(field, `certificate #${i + 1} in ${source} cannot be read (${(err as Error).message})`, 'a PEM bundle of CA certificates');
    }
  });
  return pem;
}
