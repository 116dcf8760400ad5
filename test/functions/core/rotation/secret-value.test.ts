import { parseRotationSecret, serializeRotationSecret } from '../../../../functions/core/rotation/secret-value';

const ACCESSOR = '6a1253d2-1785-24fd-91c2-f8e78c745511';
const SECRET = '45a3bd52-07c7-47a4-52fd-0745e0cfe967';
const VALID = { accessorId: ACCESSOR, secretId: SECRET, cluster: 'prod-east' };

describe('parseRotationSecret', () => {
  it('reads a full value and writes it back in schema order', () => {
    // Prepare
    const retired = [{ deleteAfter: '2026-05-02T10:00:00.000Z', accessorId: '11111111-1111-4111-8111-111111111111' }];
    const value = { description: 'web', createdAt: '2026-05-01T10:00:00Z', retired, previousRotatedAt: '2026-05-01T10:00:00Z', previousAccessorId: '11111111-1111-4111-8111-111111111111', ...VALID };

    // Act
    const parsed = parseRotationSecret(JSON.stringify(value), 'consul/prod/web', 'AWSCURRENT');

    // Assess
    expect(parsed).toEqual(value);
    const written = JSON.parse(serializeRotationSecret(parsed));
    expect(Object.keys(written)).toEqual(['accessorId', 'secretId', 'cluster', 'previousAccessorId', 'previousRotatedAt', 'retired', 'createdAt', 'description']);
    expect(written.retired).toEqual([{ accessorId: '11111111-1111-4111-8111-111111111111', deleteAfter: '2026-05-02T10:00:00.000Z' }]);
  });

  it.each([
    { name: 'no value', value: undefined, problem: 'has no SecretString value' },
    { name: 'a bare token', value: SECRET, problem: 'is not JSON' },
    { name: 'an array', value: '[]', problem: 'is not a JSON object' },
    { name: 'no cluster', value: JSON.stringify({ accessorId: ACCESSOR, secretId: SECRET }), problem: '"cluster" is missing' },
    { name: 'a bad accessor', value: JSON.stringify({ ...VALID, accessorId: 'web' }), problem: '"accessorId" is not a UUID' },
    { name: 'a bad secret', value: JSON.stringify({ ...VALID, secretId: `${SECRET}x` }), problem: '"secretId" is not a UUID' },
    { name: 'an upper-case cluster', value: JSON.stringify({ ...VALID, cluster: 'Prod' }), problem: '"cluster" is not a lower-case DNS label' },
    { name: 'a previous accessor without time', value: JSON.stringify({ ...VALID, previousAccessorId: ACCESSOR.replace('6a', '7a') }), problem: '"previousAccessorId" needs previousAccessorId and previousRotatedAt together' },
    { name: 'a bad time', value: JSON.stringify({ ...VALID, createdAt: 'yesterday' }), problem: '"createdAt" is not an ISO 8601 time' },
    { name: 'an unknown field', value: JSON.stringify({ ...VALID, consulAddr: 'https://x' }), problem: '"consulAddr" is not a known field' },
    { name: 'a ledger that is not a list', value: JSON.stringify({ ...VALID, retired: {} }), problem: '"retired" is not a list of {"accessorId", "deleteAfter"}' },
    { name: 'a ledger entry with an extra field', value: JSON.stringify({ ...VALID, retired: [{ accessorId: ACCESSOR.replace('6a', '7a'), deleteAfter: '2026-05-02T10:00:00Z', secretId: SECRET }] }), problem: '"retired" [0] is not an object {"accessorId", "deleteAfter"}' },
    { name: 'a ledger entry with a bad time', value: JSON.stringify({ ...VALID, retired: [{ accessorId: ACCESSOR.replace('6a', '7a'), deleteAfter: 'soon' }] }), problem: '"retired" [0] deleteAfter is not an ISO 8601 time' },
    { name: 'a ledger naming a token twice', value: JSON.stringify({ ...VALID, retired: [1, 2].map(() => ({ accessorId: ACCESSOR.replace('6a', '7a'), deleteAfter: '2026-05-02T10:00:00Z' })) }), problem: '"retired" [1] lists accessorId' },
    { name: 'a ledger naming the current token', value: JSON.stringify({ ...VALID, retired: [{ accessorId: ACCESSOR, deleteAfter: '2026-05-02T10:00:00Z' }] }), problem: '"retired" names the current token itself' },
    { name: 'a secret pasted as a key', value: JSON.stringify({ ...VALID, [SECRET]: true }), problem: '"(unnamed)" is not a known field' },
  ])('refuses $name without echoing the value', ({ value, problem }) => {
    // Act
    let message = '';
    try {
      parseRotationSecret(value, 'consul/prod/web', 'AWSCURRENT');
    } catch (err) {
      const e = err as { code: string; message: string; remedy: string; context: unknown };
      message = `${e.code} ${e.message} ${e.remedy} ${JSON.stringify(e.context)}`;
    }

    // Assess
    expect(message).toContain(problem);
    expect(message).toContain('ROTATION_SECRET_INVALID');
    expect(message).not.toContain(SECRET);
  });
});
