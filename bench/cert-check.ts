/**
 * Benchmark of the certificate check at mesh scale: `proxies` loopback sidecars (default 500), each a TLS listener
 * serving a real leaf from the simulator's Connect CA and requiring a client certificate (as Envoy's public listener
 * does), registered in the simulator's catalog; then one full `runCertificateCheck` with the real Consul source and
 * TLS probe at bounded concurrency. `bench/run.ts` (owned elsewhere) imports {@link benchCertificateCheck}.
 *
 * @example
 * const { proxies, wallMs } = await benchCertificateCheck(); // e.g. { proxies: 500, wallMs: 2100 }
 */
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { ConsulApi } from '../functions/adapters/consul/api';
import { ConsulCertificateSource } from '../functions/adapters/consul/cert-source';
import { ConsulHttpClient } from '../functions/adapters/consul/client';
import { consulSettingsFromConfig, staticTokenSource } from '../functions/adapters/consul/settings';
import { createTlsProbe } from '../functions/adapters/tls-probe';
import { DEFAULT_PROBE_CONCURRENCY, runCertificateCheck } from '../functions/core/certs/workflow';
import { startConsulSimulator } from '../local/consul-simulator';

/** Options of {@link benchCertificateCheck}. */
export interface CertCheckBenchOptions {
  /** @default 500 */
  readonly proxies?: number;
  /** @default DEFAULT_PROBE_CONCURRENCY (16) */
  readonly concurrency?: number;
}

/** What one benchmark run measured. */
export interface CertCheckBenchResult {
  /** Sidecars whose certificate was read. */
  readonly proxies: number;
  /** Wall time of `runCertificateCheck` (catalog, agent leaves, handshakes, evaluation); setup excluded. */
  readonly wallMs: number;
  /** Findings above `info` (0 expected: every sidecar serves its agent's current leaf). */
  readonly problems: number;
}

/** Runs the benchmark; every server it starts is stopped before it resolves. */
export async function benchCertificateCheck(options: CertCheckBenchOptions = {}): Promise<CertCheckBenchResult> {
  const count = options.proxies ?? 500;
  const sim = await startConsulSimulator();
  const servers: tls.Server[] = [];
  const http = new ConsulHttpClient({ settings: consulSettingsFromConfig({ addresses: sim.url, defaultScheme: 'http' }), token: staticTokenSource(sim.managementToken.secretId) });
  try {
    const roots = sim.state.store.caRoots.map((r) => r.RootCert);
    for (let i = 0; i < count; i++) {
      const service = `svc-${String(i).padStart(3, '0')}`;
      const { leaf } = await sim.state.ca.leaf(service, true);
      const server = tls.createServer({ cert: leaf.CertPEM, key: leaf.PrivateKeyPEM, requestCert: true, rejectUnauthorized: true, ca: roots }, (s) => s.end());
      server.on('tlsClientError', () => undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      sim.state.registerService({ name: `${service}-sidecar-proxy`, port: (server.address() as AddressInfo).port, address: '127.0.0.1', proxyFor: { service } });
    }
    const started = performance.now();
    const result = await runCertificateCheck(
      { consul: new ConsulCertificateSource(new ConsulApi(http)), probe: createTlsProbe(), now: () => new Date() },
      { systemCaPems: [], concurrency: options.concurrency ?? DEFAULT_PROBE_CONCURRENCY },
    );
    const wallMs = Math.round(performance.now() - started);
    return { proxies: result.metrics.proxiesChecked, wallMs, problems: result.findings.filter((f) => f.severity !== 'info').length };
  } finally {
    await http.close();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await sim.stop();
  }
}

if (require.main === module) {
  benchCertificateCheck().then(
    (r) => console.log(`cert-check: ${r.proxies} proxies in ${r.wallMs} ms (${r.problems} problems)`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
