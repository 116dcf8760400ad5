/**
 * `/v1/kv` and `/v1/txn` against the wire contract of `agent/kvs_endpoint.go` and `agent/txn_endpoint.go`.
 */
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { call } from './http';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('consul simulator: KV and transactions', () => {
  let sim: ConsulSimulator;
  let mgmt: string;
  const kv = (method: string, path: string, options: Parameters<typeof call>[3] = {}) => call(sim.url, method, `/v1/kv/${path}`, { token: mgmt, ...options });
  const txn = (ops: unknown, token = mgmt) => call(sim.url, 'PUT', '/v1/txn', { token, body: JSON.stringify(ops) });

  beforeAll(async () => {
    sim = await startConsulSimulator();
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  it('PUT stores the body with ?flags; GET returns DirEntry JSON (base64 Value), ?raw the bytes, 404 with an index when missing', async () => {
    // Act
    const put = await kv('PUT', 'app/db/url?flags=7', { body: 'postgres://db' });
    const get = await kv('GET', 'app/db/url');
    const raw = await kv('GET', 'app/db/url?raw');
    const missing = await kv('GET', 'app/nope');
    // Assess
    expect([put.status, put.text]).toEqual([200, 'true']);
    const [entry] = get.json<Record<string, unknown>[]>();
    expect(entry).toEqual({ LockIndex: 0, Key: 'app/db/url', Flags: 7, Value: b64('postgres://db'), CreateIndex: entry.ModifyIndex, ModifyIndex: entry.ModifyIndex });
    expect(get.headers['x-consul-index']).toBe(String(entry.ModifyIndex));
    expect([raw.text, raw.headers['content-type'], raw.headers['x-content-type-options']]).toEqual(['postgres://db', 'text/plain', 'nosniff']);
    expect([missing.status, missing.text, Number(missing.headers['x-consul-index']) >= 1]).toEqual([404, '', true]);
  });

  it('txn keeps a uint64 Flags above 2^53 exactly, and refuses one above 2^64-1 as Go does', async () => {
    // Act
    const ok = await call(sim.url, 'PUT', '/v1/txn', { token: mgmt, body: '[{"KV":{"Verb":"set","Key":"flags/max","Value":"eA==","Flags":18446744073709551615}}]' });
    const over = await call(sim.url, 'PUT', '/v1/txn', { token: mgmt, body: '[{"KV":{"Verb":"set","Key":"flags/over","Value":"eA==","Flags":18446744073709551616}}]' });

    // Assess
    expect(ok.status).toBe(200);
    expect(sim.state.kvEntry('flags/max')?.Flags).toBe(18446744073709551615n);
    expect([over.status, over.text]).toEqual([400, 'Failed to parse body: json: cannot unmarshal number 18446744073709551616 into Go struct field KVTxnOp.KV.Flags of type uint64']);
  });

  it('?cas: 0 creates only, a stale index answers false; DELETE ?cas likewise; ?recurse and ?keys with ?separator list', async () => {
    // Prepare
    expect((await kv('PUT', 'cas/a?cas=0', { body: '1' })).text).toBe('true');
    expect((await kv('PUT', 'cas/a?cas=0', { body: '2' })).text).toBe('false');
    const index = sim.state.kvEntry('cas/a')!.ModifyIndex;
    // Act + Assess
    expect((await kv('PUT', `cas/a?cas=${index + 100}`, { body: '3' })).text).toBe('false');
    expect((await kv('PUT', `cas/a?cas=${index}`, { body: '3' })).text).toBe('true');
    await kv('PUT', 'cas/b/c', { body: 'x' });
    expect((await kv('GET', 'cas/?keys&separator=/')).json()).toEqual(['cas/a', 'cas/b/']);
    expect((await kv('GET', 'cas?recurse')).json<{ Key: string }[]>().map((e) => e.Key)).toEqual(['cas/a', 'cas/b/c']);
    expect((await kv('DELETE', 'cas/a?cas=1')).text).toBe('false');
    expect((await kv('DELETE', `cas/a?cas=${sim.state.kvEntry('cas/a')!.ModifyIndex}`)).text).toBe('true');
    expect((await kv('DELETE', 'cas?recurse')).text).toBe('true');
    expect((await kv('GET', 'cas?recurse')).status).toBe(404);
    expect(sim.state.store.tombstones.has('cas/b/c')).toBe(true);
  });

  it('answers bad requests with Consul texts', async () => {
    expect([(await kv('PUT', '', { body: 'x' })).status, (await kv('PUT', '', { body: 'x' })).text]).toEqual([400, 'Missing key name']);
    expect((await kv('GET', '')).text).toBe('Missing key name');
    expect((await kv('DELETE', 'k?recurse&cas=1')).text).toBe('Conflicting flags: cas=1&recurse=\n');
    expect([(await kv('PUT', 'k?flags=x', { body: '' })).status, (await kv('PUT', 'k?flags=x', { body: '' })).text]).toEqual([500, 'strconv.ParseUint: parsing "x": invalid syntax']);
    const big = await kv('PUT', 'k', { body: Buffer.alloc(512 * 1024 + 1) });
    expect([big.status, big.text]).toEqual([413, 'Request body(524289 bytes) too large, max size: 524288 bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.']);
  });

  it('enforces key:read and key:write per key; recursive reads filter, recursive deletes need write on the whole prefix', async () => {
    // Prepare
    sim.state.kvPut('team/a/x', '1');
    sim.state.kvPut('team/b/y', '2');
    const p = sim.state.createPolicy({ Name: 'team-a', Rules: 'key_prefix "team/a/" { policy = "write" }\nkey_prefix "team/" { policy = "read" }\nkey "team/b/y" { policy = "deny" }' });
    const t = sim.state.createToken({ Policies: [{ ID: p.ID }] });
    const as = { token: t.SecretID };
    // Act + Assess
    expect((await kv('PUT', 'team/a/new', { ...as, body: 'ok' })).text).toBe('true');
    const denied = await kv('PUT', 'team/c', { ...as, body: 'no' });
    expect([denied.status, denied.text]).toEqual([403, `Permission denied: token with AccessorID '${t.AccessorID}' lacks permission 'key:write' on "team/c"`]);
    expect((await kv('GET', 'team/b/y', as)).text).toBe(`Permission denied: token with AccessorID '${t.AccessorID}' lacks permission 'key:read' on "team/b/y"`);
    const list = await kv('GET', 'team/?recurse', as);
    expect(list.json<{ Key: string }[]>().map((e) => e.Key)).toEqual(['team/a/new', 'team/a/x']);
    expect(list.headers['x-consul-results-filtered-by-acls']).toBe('true');
    expect((await kv('DELETE', 'team/?recurse', as)).status).toBe(403);
    expect((await kv('DELETE', 'team/a/?recurse', as)).text).toBe('true');
    expect(sim.state.kvGet('team/b/y')).toBe('2');
  });

  it('recursive deletes need write on every rule under the prefix (KeyWritePrefix), not only on the prefix', async () => {
    // Prepare: write on the prefix, but one key under it is read-only.
    sim.state.kvPut('tree/open', '1');
    sim.state.kvPut('tree/locked', '2');
    const p = sim.state.createPolicy({ Name: 'tree-writer', Rules: 'key_prefix "tree/" { policy = "write" }\nkey "tree/locked" { policy = "read" }' });
    const t = sim.state.createToken({ Policies: [{ ID: p.ID }] });
    const denial = `Permission denied: token with AccessorID '${t.AccessorID}' lacks permission 'key:write' on "tree/"`;
    // Act
    const single = await kv('DELETE', 'tree/open', { token: t.SecretID });
    const recursive = await kv('DELETE', 'tree/?recurse', { token: t.SecretID });
    const inTxn = await txn([{ KV: { Verb: 'delete-tree', Key: 'tree/' } }], t.SecretID);
    // Assess
    expect([single.status, single.text]).toEqual([200, 'true']);
    expect([recursive.status, recursive.text]).toEqual([403, denial]);
    expect([inTxn.status, inTxn.json()]).toEqual([409, { Results: null, Errors: [{ OpIndex: 0, What: denial }] }]);
    expect(sim.state.kvGet('tree/locked')).toBe('2');
  });

  it('a transaction applies all its KV ops at one index, or none: 409 with Errors[{OpIndex, What}] for every failed op', async () => {
    // Prepare
    sim.state.kvPut('txn/keep', 'v1');
    const keep = sim.state.kvEntry('txn/keep')!;
    // Act
    const ok = await txn([
      { KV: { Verb: 'set', Key: 'txn/a', Value: b64('A'), Flags: 3 } },
      { KV: { Verb: 'cas', Key: 'txn/keep', Value: b64('v2'), Index: keep.ModifyIndex } },
      { KV: { Verb: 'get', Key: 'txn/keep' } },
      { KV: { Verb: 'check-not-exists', Key: 'txn/none' } },
    ]);
    const conflict = await txn([
      { KV: { Verb: 'set', Key: 'txn/b', Value: b64('B') } },
      { KV: { Verb: 'cas', Key: 'txn/keep', Value: b64('v3'), Index: keep.ModifyIndex } },
      { KV: { Verb: 'delete-cas', Key: 'txn/a', Index: 1 } },
      { KV: { Verb: 'check-index', Key: 'txn/a', Index: 1 } },
    ]);
    // Assess
    expect(ok.status).toBe(200);
    const results = ok.json<{ Results: { KV: Record<string, unknown> }[]; Errors: null }>();
    expect(results.Errors).toBeNull();
    expect(results.Results.map((r) => [r.KV.Key, r.KV.Value, r.KV.Flags])).toEqual([['txn/a', null, 3], ['txn/keep', null, 0], ['txn/keep', b64('v2'), 0]]);
    expect(new Set(results.Results.map((r) => r.KV.ModifyIndex)).size).toBe(1);
    expect(conflict.status).toBe(409);
    const modify = sim.state.kvEntry('txn/a')!.ModifyIndex;
    expect(conflict.json()).toEqual({
      Results: null,
      Errors: [
        { OpIndex: 1, What: 'failed to set key "txn/keep", index is stale' },
        { OpIndex: 2, What: 'failed to delete key "txn/a", index is stale' },
        { OpIndex: 3, What: `failed index check for key "txn/a", current modify index ${modify} != 1` },
      ],
    });
    expect(sim.state.kvGet('txn/b')).toBeUndefined();
    expect(sim.state.kvGet('txn/keep')).toBe('v2');
  });

  it('read-only transactions carry query meta; ACL pre-checks fail per op; get results are filtered by key:read', async () => {
    // Prepare
    sim.state.kvPut('ro/open', 'o');
    sim.state.kvPut('ro/secret', 's');
    const p = sim.state.createPolicy({ Name: 'ro-open', Rules: 'key "ro/open" { policy = "read" }' });
    const t = sim.state.createToken({ Policies: [{ ID: p.ID }] });
    // Act
    const read = await txn([{ KV: { Verb: 'get-tree', Key: 'ro/' } }], t.SecretID);
    const write = await txn([{ KV: { Verb: 'set', Key: 'ro/open', Value: b64('x') } }, { KV: { Verb: 'check-index', Key: 'ro/secret', Index: 1 } }], t.SecretID);
    // Assess
    expect(read.status).toBe(200);
    expect(read.headers['x-consul-knownleader']).toBe('true');
    expect(read.json()).toMatchObject({ Results: [{ KV: { Key: 'ro/open', Value: b64('o') } }], Errors: null, KnownLeader: true, Index: 0 });
    expect([write.status, write.json()]).toEqual([
      409,
      {
        Results: null,
        Errors: [
          { OpIndex: 0, What: `Permission denied: token with AccessorID '${t.AccessorID}' lacks permission 'key:write' on "ro/open"` },
          { OpIndex: 1, What: `Permission denied: token with AccessorID '${t.AccessorID}' lacks permission 'key:read' on "ro/secret"` },
        ],
      },
    ]);
  });

  it('limits: 64 operations, 512 KiB per request and per value; malformed bodies are 400 Failed to parse body', async () => {
    const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ KV: { Verb: 'set', Key: `lim/${i}`, Value: b64('x') } }));
    expect((await txn(ops(64))).status).toBe(200);
    const many = await txn(ops(65));
    expect([many.status, many.text]).toEqual([413, 'Transaction contains too many operations (65 > 64)']);
    const huge = await call(sim.url, 'PUT', '/v1/txn', { token: mgmt, body: Buffer.alloc(512 * 1024 + 1, 0x20) });
    expect([huge.status, huge.text]).toEqual([413, 'Request body too large, max size: 524288 bytes']);
    expect((await txn([{ KV: { Verb: 'set', Key: 'k', Valu: b64('x') } }])).text).toBe('Failed to parse body: json: unknown field "Valu"');
    expect((await txn([{ KV: { Verb: 'set', Key: 'k', Value: 'not base64!' } }])).text).toBe('Failed to parse body: illegal base64 data at input byte 3');
    const unknown = await txn([{ KV: { Verb: 'frobnicate', Key: 'k' } }]);
    expect([unknown.status, unknown.json<{ Errors: unknown[] }>().Errors]).toEqual([409, [{ OpIndex: 0, What: 'unknown KV verb "frobnicate"' }]]);
    expect(sim.state.kvGet('lim/64')).toBeUndefined();
  });
});
