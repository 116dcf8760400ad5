import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import type { ContentIndex } from '../../../../functions/core/snapshot-contents/content-index';
import { aclPolicy, aclToken, chunksOf, decodeChunks, decodeWhole, kvs, registerNode, registerService, serviceIntentions, stateBin } from '../../../helpers/state-bin';

const SECRET = 'c0ffee00-dead-beef-0000-5ec2e7000001';

function indexOf(bytes: Buffer, keepValues = false): ContentIndex {
  const index = decodeWhole(bytes, { index: { keepValues } }).contents?.index;
  if (index === undefined) throw new Error('no index');
  return index;
}

describe('content index', () => {
  const bin = stateBin(1, [
    registerNode('n'), registerService('n', 'web', 'web-1'), registerService('n', 'web', 'web-2'), registerService('n', 'db'),
    aclToken('acc-1', SECRET, 'CI deploy token', ['deploy']),
    aclPolicy('pid-1', 'deploy', 'key_prefix "app/" { policy = "write" }'),
    kvs('app/a', 'hello', { flags: 2n ** 63n + 5n }),
    kvs('app/b', null, { session: 'sess-1', lockIndex: 3 }),
    serviceIntentions('db', [{ name: 'web', action: 'allow' }, { name: 'api', permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/' } }] }, { name: 'batch', action: 'deny', peer: 'dc2' }, { name: 'cron', permissions: [] }]),
  ]);

  it('fingerprints KV entries: value hash and size, exact uint64 flags, lock holder', () => {
    // Act
    const { kv } = indexOf(bin);

    // Assess
    expect(kv.get('app/a')).toEqual({ sha256: createHash('sha256').update('hello').digest('hex'), bytes: 5, flags: '9223372036854775813', lockIndex: 0, session: false });
    expect(kv.get('app/b')).toEqual({ sha256: createHash('sha256').update('').digest('hex'), bytes: 0, flags: '0', lockIndex: 3, session: true });
  });

  it('keeps values only when asked, as copies that outlive the chunks', () => {
    // Act
    const kept = decodeChunks(chunksOf(bin, 3), { index: { keepValues: true } }).contents?.index.kv.get('app/a');

    // Assess
    expect(indexOf(bin).kv.get('app/a')?.value).toBeUndefined();
    expect(kept?.value?.toString()).toBe('hello');
  });

  it('never holds a token SecretID', () => {
    // Act
    const index = indexOf(bin, true);

    // Assess
    expect(index.tokens.get('acc-1')).toEqual({ accessorId: 'acc-1', description: 'CI deploy token', digest: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(inspect(index, { depth: 10, maxArrayLength: null })).not.toContain(SECRET);
  });

  it('indexes policies by name, services by name with instance counts, intentions by destination and source', () => {
    // Act
    const index = indexOf(bin);

    // Assess
    expect(index.policies.get('deploy')).toEqual({ id: 'pid-1', digest: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect([...index.services]).toEqual([['web', 2], ['db', 1]]);
    expect([...(index.intentions.get('db')?.values() ?? [])]).toEqual([
      { source: 'web', rule: 'allow' },
      { source: 'api', rule: expect.stringMatching(/^L7 [0-9a-f]{12}$/) },
      { source: 'batch (peer dc2)', rule: 'deny' },
      { source: 'cron', rule: 'none' },
    ]);
  });
});
