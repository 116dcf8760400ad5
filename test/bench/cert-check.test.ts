import { benchCertificateCheck } from '../../bench/cert-check';

describe('benchCertificateCheck', () => {
  it('checks every local sidecar with bounded concurrency and finds nothing wrong', async () => {
    // Act
    const result = await benchCertificateCheck({ proxies: 40, concurrency: 8 });

    // Assess
    expect(result).toEqual({ proxies: 40, wallMs: expect.any(Number), problems: 0 });
  });
});
