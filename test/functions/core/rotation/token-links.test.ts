import { diffTokenLinks, planTokenLifetime } from '../../../../functions/core/rotation/token-links';
import { links } from '../../../helpers/in-memory-rotation';

const CREATED = '2026-05-01T10:00:00.123456789Z';
const plus = (ms: number) => new Date(Date.parse(CREATED) + ms).toISOString();

describe('planTokenLifetime', () => {
  it.each([
    { name: 'a token that never expires', token: { createTime: CREATED }, plan: undefined },
    { name: 'an 8-hour token', token: { createTime: CREATED, expirationTime: plus(8 * 3_600_000) }, plan: { ttlMs: 8 * 3_600_000, sourceMs: 8 * 3_600_000 } },
    { name: 'a lifetime off by nanoseconds (whole seconds)', token: { createTime: CREATED, expirationTime: plus(600_400) }, plan: { ttlMs: 600_000, sourceMs: 600_400 } },
    { name: 'exactly 24 hours (allowed)', token: { createTime: CREATED, expirationTime: plus(86_400_000) }, plan: { ttlMs: 86_400_000, sourceMs: 86_400_000 } },
    { name: 'more than 24 hours (servers with a raised maximum)', token: { createTime: CREATED, expirationTime: plus(72 * 3_600_000) }, plan: { ttlMs: 86_400_000, sourceMs: 72 * 3_600_000, adjusted: 'cut-to-maximum' } },
    { name: 'less than a minute (servers with a lowered minimum)', token: { createTime: CREATED, expirationTime: plus(20_000) }, plan: { ttlMs: 60_000, sourceMs: 20_000, adjusted: 'raised-to-minimum' } },
    { name: 'Go\'s zero CreateTime', token: { createTime: '0001-01-01T00:00:00Z', expirationTime: CREATED }, plan: { ttlMs: 86_400_000, sourceMs: 86_400_000 } },
  ])('plans $name', ({ token, plan }) => {
    expect(planTokenLifetime(token)).toEqual(plan);
  });
});

describe('diffTokenLinks', () => {
  it('ignores order, including the order of datacenters', () => {
    const a = links(['p1', 'p2'], { templatedPolicies: [{ templateName: 'builtin/service', name: 'web', datacenters: ['dc1', 'dc2'] }, { templateName: 'builtin/dns' }] });
    const b = links(['p2', 'p1'], { templatedPolicies: [{ templateName: 'builtin/dns' }, { templateName: 'builtin/service', name: 'web', datacenters: ['dc2', 'dc1'] }] });
    expect(diffTokenLinks(a, b)).toEqual([]);
  });

  it('names every difference, with IDs and names only', () => {
    const a = links([], { policies: [{ id: 'p1', name: 'web-read' }], local: true, nodeIdentities: [{ nodeName: 'n1', datacenter: 'dc1' }] });
    const b = links([], { roles: [{ id: 'r9' }], templatedPolicies: [{ templateName: 'builtin/node', name: 'n1' }] });
    expect(diffTokenLinks(a, b)).toEqual([
      'policies: missing p1 (web-read)',
      'roles: unexpected r9',
      'node identities: missing n1@dc1',
      'templated policies: unexpected builtin/node(n1)',
      'local: expected true, got false',
    ]);
  });
});
