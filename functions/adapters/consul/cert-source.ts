import { mapBounded } from '../../core/shared/bounded-map';
import type { AgentInfo, CaRootsData, CertificateSource, IssuedLeafData, ProxyInstance } from '../../core/certs/ports';
import { ConsulResultsFilteredError } from '../../core/shared/consul-errors';
import { ConsulResponseInvalidError } from './transport-errors';
import type { ConsulApi } from './api';

/** Catalog reads in flight while listing proxies. */
const CATALOG_CONCURRENCY = 8;

/**
 * The Consul side of the certificate check over {@link ConsulApi}: roots, CA configuration, agent self, the
 * `connect-proxy` instances of the catalog, and agent leaves. It only translates shapes; Consul errors pass through
 * as the typed errors of `consul-errors.ts` (the workflow turns permission errors into findings).
 *
 * @example
 * const source = new ConsulCertificateSource(new ConsulApi(http));
 */
export class ConsulCertificateSource implements CertificateSource {
  constructor(private readonly api: ConsulApi) {}

  /** @inheritdoc */
  async caRoots(): Promise<CaRootsData> {
    const { body } = await this.api.caRoots();
    if (!body || !Array.isArray(body.Roots)) throw this.invalid('/v1/connect/ca/roots', 'no Roots list');
    return {
      activeRootId: body.ActiveRootID,
      trustDomain: body.TrustDomain,
      roots: body.Roots.map((r) => ({ id: r.ID, name: r.Name, active: r.Active, rootCertPem: r.RootCert, intermediatePems: r.IntermediateCerts ?? [] })),
    };
  }

  /** @inheritdoc */
  async leafCertTtl(): Promise<string | undefined> {
    const { body } = await this.api.caConfiguration();
    const ttl = body.Config?.LeafCertTTL;
    return typeof ttl === 'string' ? ttl : undefined;
  }

  /** @inheritdoc */
  async agentInfo(): Promise<AgentInfo> {
    const { body } = await this.api.agentSelf();
    // Consul answers under `xDS` (not `XDS`), with `Ports.TLS` -1 when the gRPC TLS port is off.
    const tls: unknown = body.xDS?.Ports?.TLS;
    const tlsPort = typeof tls === 'number' && Number.isInteger(tls) && tls > 0 ? tls : undefined;
    return { node: body.Config.NodeName, datacenter: body.Config.Datacenter, version: body.Config.Version, ...(tlsPort ? { grpcTlsPort: tlsPort } : {}) };
  }

  /**
   * @inheritdoc Every instance of kind `connect-proxy`; one catalog read per service name (the list has no kinds).
   * Results Consul hid from the token (`X-Consul-Results-Filtered-By-ACLs`) are an error, not a smaller fleet: the
   * service list needs `service:read` on every service, the instances `node:read` on their nodes.
   */
  async connectProxies(): Promise<ProxyInstance[]> {
    const list = await this.api.catalogServices();
    if (list.meta.resultsFilteredByAcls) throw this.filtered('/v1/catalog/services', { resource: 'service', level: 'read', what: 'services of the catalog' });
    const names = Object.keys(list.body).sort();
    const perService = await mapBounded(names, CATALOG_CONCURRENCY, async (name) => {
      const instances = await this.api.catalogService(name);
      if (instances.meta.resultsFilteredByAcls) throw this.filtered(`/v1/catalog/service/${encodeURIComponent(name)}`, { resource: 'node', level: 'read', what: `instances of ${name} on nodes it cannot read` });
      return instances.body;
    });
    return perService
      .flat()
      .filter((s) => s.ServiceKind === 'connect-proxy' && s.ServicePort > 0)
      .map((s) => ({
        node: s.Node,
        serviceId: s.ServiceID,
        destination: s.ServiceProxy?.DestinationServiceName ?? s.ServiceName,
        host: s.ServiceAddress || s.Address,
        port: s.ServicePort,
        ...(s.NodeMeta?.['consul-version'] ? { nodeVersion: s.NodeMeta['consul-version'] } : {}),
      }));
  }

  /** @inheritdoc */
  async agentLeaf(service: string): Promise<IssuedLeafData> {
    const { body } = await this.api.agentLeaf(service);
    if (!body.CertPEM || !body.PrivateKeyPEM) throw this.invalid(`/v1/agent/connect/ca/leaf/${service}`, 'no CertPEM or PrivateKeyPEM');
    return { serial: body.SerialNumber, certPem: body.CertPEM, keyPem: body.PrivateKeyPEM, validAfter: body.ValidAfter, validBefore: body.ValidBefore };
  }

  private filtered(path: string, missing: { resource: string; level: string; what: string }): ConsulResultsFilteredError {
    return new ConsulResultsFilteredError({ method: 'GET', path, address: this.api.http.addresses[0] ?? 'consul' }, missing);
  }

  private invalid(path: string, problem: string): ConsulResponseInvalidError {
    return new ConsulResponseInvalidError({ method: 'GET', path, address: this.api.http.addresses[0] ?? 'consul' }, problem);
  }
}
