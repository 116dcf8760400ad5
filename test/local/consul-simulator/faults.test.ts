import { Readable } from 'node:stream';
import { request } from 'undici';
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { verifySnapshotStream } from '../../../functions/core/snapshot-archive';
import { call } from './http';

describe('consul simulator: fault injection', () => {
  let sim: ConsulSimulator;
  let mgmt: string;
  const snapshot = () => call(sim.url, 'GET', '/v1/snapshot', { token: mgmt });
  const consulMessage = async (bytes: Buffer) =>
    ((await verifySnapshotStream(Readable.from([bytes])).catch((e: unknown) => e)) as { context: { consulMessage: string } }).context.consulMessage;

  beforeAll(async () => {
    sim = await startConsulSimulator({ snapshotStateBytes: 256 * 1024 });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());
  afterEach(() => sim.faults.clear());

  it('no-leader answers 500 No cluster leader, for `times` requests only', async () => {
    const fault = sim.faults.inject({ path: '/v1/snapshot', kind: 'no-leader', times: 1 });
    const first = await snapshot();
    expect([first.status, first.text]).toEqual([500, 'No cluster leader']);
    expect((await snapshot()).status).toBe(200);
    expect(fault.hits).toBe(1);
  });

  it('reset-mid-stream destroys the socket after N body bytes', async () => {
    sim.faults.inject({ path: '/v1/snapshot', kind: 'reset-mid-stream', afterBytes: 1000 });
    const res = await request(`${sim.url}/v1/snapshot`, { headers: { 'X-Consul-Token': mgmt } });
    expect(res.statusCode).toBe(200);
    let received = 0;
    await expect(
      (async () => {
        for await (const chunk of res.body) received += (chunk as Buffer).length;
      })(),
    ).rejects.toThrow();
    expect(received).toBeLessThanOrEqual(1000);
    expect(sim.requests[sim.requests.length - 1].faults).toEqual(['reset-mid-stream']);
  });

  it('truncate ends the body cleanly after N bytes; the verifier reports a truncated archive', async () => {
    sim.faults.inject({ method: 'GET', path: /^\/v1\/snap/, kind: 'truncate', afterBytes: 5000 });
    const res = await snapshot();
    expect(res.status).toBe(200);
    expect(res.bytes.length).toBe(5000);
    expect(await consulMessage(res.bytes)).toMatch(/unexpected EOF/);
  });

  it('corrupt-state flips a state.bin byte so the SHA256SUMS check fails', async () => {
    sim.faults.inject({ path: '/v1/snapshot', kind: 'corrupt-state' });
    const res = await snapshot();
    expect(await consulMessage(res.bytes)).toBe('failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"');
  });

  it('not-gzip sends the bare tar', async () => {
    sim.faults.inject({ path: '/v1/snapshot', kind: 'not-gzip' });
    const res = await snapshot();
    expect(res.bytes.subarray(0, 9).toString()).toBe('meta.json');
    expect(await consulMessage(res.bytes)).toBe('failed to decompress snapshot: gzip: invalid header');
  });

  it('slow throttles the body to about bytesPerSecond', async () => {
    sim.faults.inject({ path: '/v1/snapshot', kind: 'slow', bytesPerSecond: 1_000_000 });
    const started = Date.now();
    const res = await snapshot();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual((res.bytes.length / 1_000_000) * 1000 * 0.8);
    await expect(verifySnapshotStream(Readable.from([res.bytes]))).resolves.toBeDefined();
  });

  it("forbidden answers 403 with the endpoint's permission text", async () => {
    sim.faults.inject({ kind: 'forbidden' });
    const acl = await call(sim.url, 'GET', '/v1/acl/tokens', { token: mgmt });
    expect([acl.status, acl.text]).toEqual([403, `Permission denied: token with AccessorID '${sim.managementToken.accessorId}' lacks permission 'acl:read'`]);
    const leaf = await call(sim.url, 'GET', '/v1/agent/connect/ca/leaf/web', { token: mgmt });
    expect(leaf.text).toBe(`Permission denied: token with AccessorID '${sim.managementToken.accessorId}' lacks permission 'service:write' on "web"`);
    const snap = await snapshot();
    expect(snap.text).toMatch(/lacks permission 'acl:write'$/);
  });

  it('rate-limit answers 429 with an empty body', async () => {
    sim.faults.inject({ path: '/v1/status/leader', kind: 'rate-limit' });
    const res = await call(sim.url, 'GET', '/v1/status/leader');
    expect([res.status, res.text, res.headers['content-type']]).toEqual([429, '', undefined]);
  });

  it('status answers with a chosen code and plain-text body', async () => {
    sim.faults.inject({ path: '/v1/status/peers', kind: 'status', status: 503, body: 'upstream down' });
    const res = await call(sim.url, 'GET', '/v1/status/peers');
    expect([res.status, res.text, res.headers['content-type']]).toEqual([503, 'upstream down', 'text/plain; charset=utf-8']);
  });

  it('delay-headers holds the response headers back', async () => {
    sim.faults.inject({ path: '/v1/status/leader', kind: 'delay-headers', delayMs: 300 });
    const started = Date.now();
    const res = await call(sim.url, 'GET', '/v1/status/leader');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('matches on method and clears', async () => {
    sim.faults.inject({ method: 'PUT', path: '/v1/snapshot', kind: 'rate-limit' });
    expect((await snapshot()).status).toBe(200);
    sim.faults.clear();
    expect(sim.faults.list()).toEqual([]);
  });

  it('records bytes in and out per request', async () => {
    const saved = await snapshot();
    await call(sim.url, 'PUT', '/v1/snapshot', { token: mgmt, body: saved.bytes });
    const [get, put] = sim.requests.slice(-2);
    expect(get).toMatchObject({ method: 'GET', path: '/v1/snapshot', status: 200, bytesOut: saved.bytes.length });
    expect(put).toMatchObject({ method: 'PUT', status: 200, bytesIn: saved.bytes.length, bytesOut: 0 });
  });
});
