/**
 * The rotate-token handler keeps the whole token, at wire level: every link the Consul version has (TemplatedPolicies
 * from 1.17, with Consul's lower-case `name` variable), an expiring token's lifetime within Consul's limits, and global
 * tokens in a secondary datacenter that only become known after ACL replication.
 */
import type { SweepReport } from '../../../functions/core/rotation/sweep';
import { EDGE_CONSUL_PROFILES, NEWEST_CONSUL } from '../../helpers/consul-versions';
import { RotationWire } from '../../helpers/rotation-wire';

const HOUR = 3_600_000;

describe.each(EDGE_CONSUL_PROFILES)('rotate-token against Consul %s', (consulVersion) => {
  let wire: RotationWire;
  const templated = consulVersion === NEWEST_CONSUL;

  beforeAll(async () => (wire = await RotationWire.start({ consulVersion })));
  afterAll(() => wire.stop());

  it(`copies every link the version has${templated ? ', templated policies included' : ''}`, async () => {
    // Prepare
    const mgmt = await wire.managementSecret();
    const policy = wire.sim.state.createPolicy({ Name: `web-${consulVersion.replace(/\./g, '-')}`, Rules: 'service "web" { policy = "write" }' });
    const role = wire.sim.state.createRole({ Name: `web-role-${consulVersion.replace(/\./g, '-')}`, Policies: [{ ID: policy.ID }] });
    const web = await wire.tokenSecret('web', {
      Policies: [{ ID: policy.ID }],
      Roles: [{ ID: role.ID }],
      ServiceIdentities: [{ ServiceName: 'api', Datacenters: ['dc1'] }],
      NodeIdentities: [{ NodeName: 'node-1', Datacenter: 'dc1' }],
      ...(templated ? { TemplatedPolicies: [{ TemplateName: 'builtin/service', TemplateVariables: { name: 'web' }, Datacenters: ['dc1'] }, { TemplateName: 'builtin/dns' }] } : {}),
    });
    wire.rotateWith(wire.handler(mgmt.arn));

    // Act
    await wire.rotateSecret(web.arn);

    // Assess
    expect(wire.fake.rotationErrors).toEqual([]);
    const next = await wire.valueAt(web.arn);
    expect(await wire.whoIs(next.secretId)).toBe(next.accessorId);
    expect(wire.linksOf(next.accessorId)).toEqual(wire.linksOf(web.accessorId));
    if (templated) {
      const res = await fetch(`${wire.sim.url}/v1/acl/token/${next.accessorId}`, { headers: { 'X-Consul-Token': mgmt.secretId } });
      const body = (await res.json()) as { TemplatedPolicies: unknown[] };
      expect(body.TemplatedPolicies).toEqual([
        { TemplateID: expect.any(String), TemplateName: 'builtin/service', TemplateVariables: { name: 'web' }, Datacenters: ['dc1'] },
        { TemplateID: expect.any(String), TemplateName: 'builtin/dns' },
      ]);
    }
  });

  it.each([
    { name: '8 hours', ttl: '8h', lifetimeMs: 8 * HOUR },
    { name: 'the 24-hour maximum', ttl: '24h', lifetimeMs: 24 * HOUR },
    { name: 'the 1-minute minimum', ttl: '1m', lifetimeMs: 60_000 },
  ])('gives the replacement of a token that expires after $name the same lifetime', async ({ ttl, lifetimeMs }) => {
    // Prepare
    const mgmt = await wire.managementSecret();
    const web = await wire.tokenSecret('expiring', { ServiceIdentities: [{ ServiceName: 'web' }], ExpirationTTL: ttl });
    wire.rotateWith(wire.handler(mgmt.arn));

    // Act
    await wire.rotateSecret(web.arn);

    // Assess
    expect(wire.fake.rotationErrors).toEqual([]);
    const token = wire.sim.state.getToken((await wire.valueAt(web.arn)).accessorId)!;
    expect(Date.parse(token.ExpirationTime!) - Date.parse(token.CreateTime)).toBe(lifetimeMs);
  });
});

describe('rotate-token in a secondary datacenter', () => {
  let wire: RotationWire;
  const LAG_MS = 1_200;

  beforeAll(async () => (wire = await RotationWire.start({ datacenter: 'dc2', primaryDatacenter: 'dc1', aclReplicationLagMs: LAG_MS })));
  afterAll(() => wire.stop());

  it('testSecret waits for ACL replication of the new global token, then the rotation completes', async () => {
    // Prepare
    const mgmt = await wire.managementSecret();
    const web = await wire.tokenSecret('web', { ServiceIdentities: [{ ServiceName: 'web' }] });
    wire.sim.state.replicateNow();
    wire.rotateWith(wire.handler(mgmt.arn));

    // Act
    await wire.rotateSecret(web.arn);

    // Assess: the pending token was unknown here at first (404), then known
    expect(wire.fake.rotationErrors).toEqual([]);
    const next = await wire.valueAt(web.arn);
    const selves = wire.sim.requests.filter((r) => r.method === 'GET' && r.path === '/v1/acl/token/self').map((r) => r.status);
    expect(selves.slice(0, -1).every((s) => s === 404)).toBe(true);
    expect(selves.length).toBeGreaterThan(1);
    expect(selves.at(-1)).toBe(200);
    expect(await wire.whoIs(next.secretId)).toBe(next.accessorId);
  });
});

describe('rotate-token never blocks on a grace period', () => {
  let wire: RotationWire;

  beforeAll(async () => (wire = await RotationWire.start()));
  afterAll(() => wire.stop());

  it('three rotations inside one grace period: all three old tokens are deleted, each after its own grace period and not before', async () => {
    // Prepare
    const mgmt = await wire.managementSecret();
    const web = await wire.tokenSecret('web', { ServiceIdentities: [{ ServiceName: 'web' }] });
    const handler = wire.handler(mgmt.arn, [web.arn]);
    wire.rotateWith(handler);
    const retired: { accessorId: string; secretId: string }[] = [];

    // Act: rotations at +0 h, +2 h and +5 h (the grace period is 24 h)
    for (const hours of [0, 2, 5]) {
      wire.offsetMs = hours * HOUR;
      retired.push(await wire.valueAt(web.arn));
      await wire.rotateSecret(web.arn);
    }

    // Assess: no rotation was refused; each sweep deletes exactly the tokens whose own grace period is over
    expect(wire.fake.rotationErrors).toEqual([]);
    const deadlines = [24, 26, 29];
    for (const hours of [23.9, 24.1, 25.9, 26.1, 28.9, 29.1]) {
      wire.offsetMs = hours * HOUR;
      const sweep = (await handler({ action: 'sweep' })) as SweepReport;
      const expected = retired.filter((_, i) => deadlines[i] < hours && deadlines[i] > hours - 1).map((t) => t.accessorId);
      expect(sweep.results[0].deleted).toEqual(expected);
      for (const [i, token] of retired.entries()) expect(await wire.whoIs(token.secretId)).toBe(deadlines[i] < hours ? 404 : token.accessorId);
    }
    const next = await wire.valueAt(web.arn);
    expect(await wire.whoIs(next.secretId)).toBe(next.accessorId);
  });
});
