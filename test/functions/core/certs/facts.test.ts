import { coversServerName, describeCertificate, formatSerial, parseCertificate, parseGoDurationMs, verifyChain } from '../../../../functions/core/certs/facts';
import { createFixtureCa } from '../../../helpers/cert-fixtures';

describe('formatSerial', () => {
  it.each([
    ['0A3F', '0a:3f'],
    ['a3f', '0a:3f'],
    ['00:0a:3f', '0a:3f'],
    ['3A:4F:00', '3a:4f:00'],
    ['0', '00'],
  ])('formats %s as %s', (input, expected) => {
    expect(formatSerial(input)).toBe(expected);
  });
});

describe('parseGoDurationMs', () => {
  it.each([
    ['72h', 72 * 3_600_000],
    ['1h30m', 90 * 60_000],
    ['259200s', 259_200_000],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['72', undefined],
    ['3d', undefined],
  ])('reads %s', (input, expected) => {
    expect(parseGoDurationMs(input)).toBe(expected);
  });
});

describe('coversServerName', () => {
  const cert = { dnsNames: ['server.dc1.consul', '*.consul.example.com'], ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1'] };

  it.each([
    ['server.dc1.consul', true],
    ['SERVER.dc1.consul.', true],
    ['a.consul.example.com', true],
    ['consul.example.com', false],
    ['a.b.consul.example.com', false],
    ['server.dc2.consul', false],
    ['127.0.0.1', true],
    ['::1', true],
    ['10.0.0.1', false],
  ])('%s → %s', (name, expected) => {
    expect(coversServerName(cert, name)).toBe(expected);
  });
});

describe('describeCertificate and verifyChain', () => {
  it('reads serial, validity and SANs, and verifies signatures but not validity times', async () => {
    // Prepare
    const ca = await createFixtureCa('Fixture Root');
    const expired = await ca.issueServer({ dnsNames: ['server.dc1.consul'], ipAddresses: ['127.0.0.1'], notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2020-02-01T00:00:00Z') });
    const other = await createFixtureCa('Other Root');

    // Act
    const facts = describeCertificate(expired.certPem);
    const trusted = verifyChain([parseCertificate(expired.certPem)], [parseCertificate(ca.certPem)]);
    const untrusted = verifyChain([parseCertificate(expired.certPem)], [parseCertificate(other.certPem)]);

    // Assess
    expect(facts).toMatchObject({
      subject: 'CN=server.dc1.consul',
      issuer: 'CN=Fixture Root',
      notBefore: '2020-01-01T00:00:00.000Z',
      notAfter: '2020-02-01T00:00:00.000Z',
      dnsNames: ['server.dc1.consul'],
      ipAddresses: ['127.0.0.1'],
      isCa: false,
    });
    expect(facts.serial).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})*$/);
    expect(trusted).toEqual({ trusted: true, anchor: 'CN=Fixture Root' });
    expect(untrusted).toEqual({ trusted: false, problem: 'no trusted issuer for CN=server.dc1.consul (issuer CN=Fixture Root)' });
    expect(verifyChain([], [])).toEqual({ trusted: false, problem: 'no certificate was presented' });
  });
});
