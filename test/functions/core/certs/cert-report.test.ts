import type { CertCheckResult } from '../../../../functions/core/certs/workflow';
import { buildCertificateReport } from '../../../../functions/core/certs/cert-report';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import { formatNotification } from '../../../../functions/core/report/report';

const FINISHED = new Date('2026-03-10T12:00:00Z');
const TD = '7f42f496-fbc7-8692-05ed-334aa5340c1e.consul';

function result(findings: CertCheckResult['findings']): CertCheckResult {
  return {
    certs: [],
    findings,
    metrics: { minDaysLeft: { 'ca-root': 3000, proxy: -0.04 }, proxiesTotal: 2, proxiesChecked: 2, proxiesUnreachable: 0, proxiesServingStaleLeaves: 1 },
    checkedAt: FINISHED.toISOString(),
    trustDomain: TD,
    datacenter: 'dc1',
  };
}

describe('buildCertificateReport', () => {
  it('names the problems above info and keeps the trust domain readable', () => {
    // Prepare
    const expired = { id: 'proxy-leaf-expired:n1/web-sidecar-proxy', check: 'proxy-leaf-expired', severity: 'critical' as const, subject: 'proxy n1/web-sidecar-proxy (web)', message: `identity spiffe://${TD}/ns/default/dc/dc1/svc/web expired`, remedy: 'Restart the sidecar' };
    const fleet = { id: 'proxy-fleet', check: 'proxy-fleet', severity: 'info' as const, subject: 'connect proxies', message: 'ok' };

    // Act
    const report = buildCertificateReport({ cluster: 'prod-east', result: result([expired, fleet]), finishedAt: FINISHED });

    // Assess
    expect(report).toMatchObject({ feature: 'certificates', cluster: 'prod-east', severity: 'critical', title: '1 certificate problem' });
    expect(report.summary).toEqual([
      'Checked 0 certificates: 2 of 2 sidecars answered (0 unreachable), 1 serve expired, stuck or stale leaves.',
      'Minimum days left: ca-root 3000, proxy -0.04.',
    ]);
    expect(formatNotification(report).body).toContain(`spiffe://${TD}/ns/default`);
  });

  it('says in the summary when the stale-leaf comparison was not made because of the Consul version', () => {
    // Prepare
    const note = { id: 'proxy-leaf-stale-not-compared', check: 'proxy-leaf-stale', severity: 'info' as const, subject: 'connect proxies', message: 'not compared' };

    // Act
    const report = buildCertificateReport({ cluster: 'prod-east', result: result([note]), finishedAt: FINISHED });

    // Assess
    expect(report.title).toBe('certificates OK');
    expect(report.summary.at(-1)).toBe("Consul before 1.16 caches leaves per token: served leaves were not compared with the agent's; sidecars were judged on expiry, lifetime used and LeafCertTTL drift.");
  });

  it('says "certificates OK" for info-only findings', () => {
    expect(buildCertificateReport({ cluster: 'prod-east', result: result([]), finishedAt: FINISHED })).toMatchObject({ title: 'certificates OK', severity: 'info' });
  });

  it('reports a failed run as one high finding with the error remedy', () => {
    // Act
    const report = buildCertificateReport({ cluster: 'prod-east', error: new ConsulOpsError('CONSUL_UNREACHABLE', 'GET /v1/connect/ca/roots failed', 'Check the address.'), finishedAt: FINISHED });

    // Assess
    expect(report).toMatchObject({ outcome: 'failed', severity: 'high', title: 'certificate check failed' });
    expect(report.findings).toEqual([{ id: 'cert-check-failed', check: 'cert-check', severity: 'high', subject: 'cluster prod-east', message: 'certificates were not checked: CONSUL_UNREACHABLE: GET /v1/connect/ca/roots failed', remedy: 'Check the address.' }]);
  });
});
