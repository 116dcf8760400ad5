import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describeCertificate } from '../../../functions/core/certs/facts';
import { probeTls } from '../../../functions/adapters/tls-probe';
import { createFixtureCa, DAY_MS, startSilentListener, startTlsListener } from '../../helpers/cert-fixtures';
import { refusedAddress, startLoopbackServer } from '../../helpers/tls-fixtures';

describe('probeTls', () => {
  it('reads an expired certificate as served (no verification by Node)', async () => {
    // Prepare
    const ca = await createFixtureCa();
    const expired = await ca.issueServer({ dnsNames: ['web'], notBefore: new Date(Date.now() - 4 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
    const server = await startTlsListener(expired);

    // Act
    const result = await probeTls({ host: server.host, port: server.port, servername: 'web' }).finally(() => server.close());

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(describeCertificate(result.chainDer[0]).notAfter).toBe(describeCertificate(expired.certPem).notAfter);
  });

  it('presents the client certificate to a server that requires one (TLS 1.2, as strict as it gets)', async () => {
    // Prepare
    const ca = await createFixtureCa('Mesh Root');
    const serverCert = await ca.issueServer({ dnsNames: ['web'] });
    const client = await ca.issueServer({ cn: 'consul-ops-auditor' });
    const seen: boolean[] = [];
    const server = tls.createServer({ ...{ cert: serverCert.certPem, key: serverCert.keyPem }, requestCert: true, rejectUnauthorized: true, ca: [ca.certPem], maxVersion: 'TLSv1.2' }, (s) => {
      seen.push(s.authorized);
      s.end();
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;

    // Act
    const withCert = await probeTls({ host: '127.0.0.1', port, clientCert: client });
    const without = await probeTls({ host: '127.0.0.1', port });
    server.close();

    // Assess
    expect(withCert.ok).toBe(true);
    expect(seen).toEqual([true]);
    expect(without).toMatchObject({ ok: false, message: expect.stringMatching(/127\.0\.0\.1:\d+: (TLS handshake failed .*client certificate|the connection was reset during the handshake; the server may require a client certificate)/) });
  });

  it.each([
    { name: 'a closed port', reason: 'refused', message: /connection refused/ },
    { name: 'a listener that never answers', reason: 'timeout', message: /no TLS handshake within 300 ms/ },
    { name: 'a plain HTTP server', reason: 'handshake', message: /TLS handshake failed|reset/ },
    { name: 'a host that does not resolve', reason: 'unresolved', message: /does not resolve/ },
  ])('reports $name as $reason', async ({ name, reason, message }) => {
    // Prepare
    const cleanup: (() => Promise<void>)[] = [];
    let host = '127.0.0.1';
    let port: number;
    if (name === 'a closed port') port = Number(new URL(await refusedAddress()).port);
    else if (name === 'a listener that never answers') {
      const silent = await startSilentListener();
      cleanup.push(() => silent.close());
      port = silent.port;
    } else if (name === 'a plain HTTP server') {
      const http = await startLoopbackServer((_req, res) => res.end('hello'));
      cleanup.push(() => http.close());
      port = http.port;
    } else {
      host = 'no-such-host.invalid';
      port = 8501;
    }

    // Act
    const result = await probeTls({ host, port }, { timeoutMs: 300 }).finally(() => Promise.all(cleanup.map((c) => c())));

    // Assess
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(message) });
    if (reason !== 'handshake') expect(result).toMatchObject({ reason });
  });
});
