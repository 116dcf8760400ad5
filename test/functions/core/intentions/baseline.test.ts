import { baselineDigest, parseIntentionBaseline, serializeBaseline } from '../../../../functions/core/intentions/baseline';
import { IntentionBaselineError } from '../../../../functions/core/intentions/errors';
import { normalizeL7Permissions } from '../../../../functions/core/intentions/l7';

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseIntentionBaseline(raw, 'baseline.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(IntentionBaselineError);
    expect((err as IntentionBaselineError).code).toBe('INTENTION_BASELINE_INVALID');
    return (err as IntentionBaselineError).problems;
  }
  throw new Error('expected the baseline to be refused');
}

describe('parseIntentionBaseline', () => {
  it('fills in action allow and brings L7 permissions into canonical form', () => {
    // Act
    const baseline = parseIntentionBaseline({
      defaultPolicy: 'deny',
      intentions: [
        { source: 'web', destination: 'api', description: 'front door' },
        { source: '*', destination: 'db', action: 'deny' },
        { source: 'web', source_peer: 'dc2', destination: 'billing', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v1/', Methods: ['post', 'get'] } }] },
      ],
    });

    // Assess
    expect(baseline).toEqual({
      defaultPolicy: 'deny',
      intentions: [
        { source: 'web', destination: 'api', action: 'allow' },
        { source: '*', destination: 'db', action: 'deny' },
        { source: 'web', sourcePeer: 'dc2', destination: 'billing', permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v1/', Methods: ['GET', 'POST'] } }] },
      ],
    });
  });

  it('accepts an empty list (an allow-nothing baseline)', () => {
    expect(parseIntentionBaseline({ intentions: [] })).toEqual({ intentions: [] });
  });

  it.each([
    { name: 'a non-object', raw: ['web'], problem: 'baseline: expected an object' },
    { name: 'no intentions', raw: {}, problem: 'baseline.intentions: is required; expected a list' },
    { name: 'an allow default', raw: { defaultPolicy: 'allow', intentions: [] }, problem: 'baseline.defaultPolicy: expected "deny"' },
    { name: 'a misspelt field', raw: { intentions: [{ source: 'web', destinaton: 'api' }] }, problem: 'intentions[0].destinaton: unknown field; expected one of: source, destination, sourcePeer, action, permissions, description' },
    { name: 'a missing destination', raw: { intentions: [{ source: 'web' }] }, problem: 'intentions[0].destination: is required; expected a service name or "*", e.g. "web"' },
    { name: 'a partial wildcard', raw: { intentions: [{ source: 'web-*', destination: 'api' }] }, problem: 'intentions[0].source: "web-*": the wildcard "*" cannot be used with partial values' },
    { name: 'a bad action', raw: { intentions: [{ source: 'web', destination: 'api', action: 'permit' }] }, problem: 'intentions[0].action: expected "allow" or "deny"' },
    { name: 'action with permissions', raw: { intentions: [{ source: 'web', destination: 'api', action: 'allow', permissions: [{ action: 'allow', http: { pathPrefix: '/' } }] }] }, problem: 'intentions[0].action: must be left out when permissions are given' },
    { name: 'permissions on a * destination', raw: { intentions: [{ source: 'web', destination: '*', permissions: [{ action: 'allow', http: { pathPrefix: '/' } }] }] }, problem: 'intentions[0].permissions: cannot be used with a "*" destination' },
    { name: 'a permission without http', raw: { intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow' }] }] }, problem: 'intentions[0].permissions[0].http: is required' },
    { name: 'a relative path', raw: { intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { pathPrefix: 'v1/' } }] }] }, problem: 'intentions[0].permissions[0].http.pathPrefix: expected a path starting with "/"' },
    { name: 'two path forms', raw: { intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { pathPrefix: '/a', pathExact: '/b' } }] }] }, problem: 'intentions[0].permissions[0].http: expected at most one of pathExact, pathPrefix, pathRegex' },
    { name: 'an unknown method', raw: { intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { methods: ['FETCH'] } }] }] }, problem: 'intentions[0].permissions[0].http.methods[0]: expected one of CONNECT' },
    { name: 'a method twice', raw: { intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { methods: ['get', 'GET'] } }] }] }, problem: 'intentions[0].permissions[0].http.methods[1]: "GET" is listed twice' },
    { name: 'a header with two conditions', raw: { intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { header: [{ name: 'x', exact: 'a', prefix: 'b' }] } }] }] }, problem: 'intentions[0].permissions[0].http.header[0]: expected only one of present, exact, prefix, suffix, regex' },
    { name: 'an empty http', raw: { intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: {} }] }] }, problem: 'intentions[0].permissions[0].http: expected at least one condition' },
    { name: 'a pair listed twice', raw: { intentions: [{ source: 'web', destination: 'api' }, { source: 'web', destination: 'api', action: 'deny' }] }, problem: 'intentions[1]: web -> api is listed twice (first at intentions[0])' },
  ])('refuses $name', ({ raw, problem }) => {
    expect(problemsOf(raw)).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  });

  it('lists every problem at once and names the source and a valid example', () => {
    // Act
    let error: IntentionBaselineError | undefined;
    try {
      parseIntentionBaseline({ intentions: [{ source: 'web' }, { destination: 'api', action: 'maybe' }] }, 'config/intentions/prod.yaml');
    } catch (err) {
      error = err as IntentionBaselineError;
    }

    // Assess
    expect(error?.problems).toHaveLength(3);
    expect(error?.message).toMatch(/^config\/intentions\/prod.yaml is not a valid intention baseline:\n/);
    expect(error?.remedy).toContain('{ intentions: [{ source: "web", destination: "api", action: "allow" }] }');
  });
});

describe('baselineDigest', () => {
  it('is the same however the file spells and orders its keys', () => {
    // Prepare
    const a = parseIntentionBaseline({ intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { methods: ['GET', 'HEAD'] } }] }] });
    const b = parseIntentionBaseline({ intentions: [{ Permissions: [{ HTTP: { Methods: ['head', 'get'] }, Action: 'allow' }], Destination: 'api', Source: 'web' }] });

    // Act + Assess
    expect(baselineDigest(b)).toBe(baselineDigest(a));
    expect(JSON.parse(serializeBaseline(a))).toEqual(a);
  });
});

describe('normalizeL7Permissions', () => {
  it('keeps JWT conditions and the order of permissions', () => {
    expect(normalizeL7Permissions([{ Action: 'deny', HTTP: { PathExact: '/a' } }, { Action: 'allow', JWT: { Providers: [{ Name: 'okta' }] } }])).toEqual([
      { Action: 'deny', HTTP: { PathExact: '/a' } },
      { Action: 'allow', JWT: { Providers: [{ Name: 'okta' }] } },
    ]);
  });
});
