import { CERT_CHECK_FAILED_ID } from '../../../../functions/core/certs/cert-report';
import { runCertificateCheckJob } from '../../../../functions/core/certs/job';
import type { CertificateSource, TlsProbe } from '../../../../functions/core/certs/ports';

describe('runCertificateCheckJob', () => {
  it('reports a run that could not read the CA roots as one high finding, and fails', async () => {
    // Prepare
    const consul = {
      caRoots: () => Promise.reject(new Error('503 Service Unavailable')),
      agentInfo: () => Promise.reject(new Error('no')),
      leafCertTtl: () => Promise.reject(new Error('no')),
      connectProxies: () => Promise.resolve([]),
    } as unknown as CertificateSource;

    // Act
    const outcome = await runCertificateCheckJob({ consul, probe: {} as TlsProbe, now: () => new Date('2026-11-21T12:00:00.000Z') }, 'c1', { systemCaPems: [] });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toMatchObject({ feature: 'certificates', cluster: 'c1', severity: 'high', outcome: 'failed', findings: [expect.objectContaining({ id: CERT_CHECK_FAILED_ID })] });
  });
});
