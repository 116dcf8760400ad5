import { auditIntentions, intentionResultHash, resolveEffectiveDefault, type IntentionAuditInput } from '../../../../functions/core/intentions/audit';
import type { AgentPolicyFacts, MutualTlsSetting } from '../../../../functions/core/intentions/model';
import { parseIntentionBaseline, type IntentionBaseline } from '../../../../functions/core/intentions/baseline';
import type { IntentionFinding, LiveIntention } from '../../../../functions/core/intentions/model';

const DENY_AGENT: AgentPolicyFacts = { aclsEnabled: true, aclDefaultPolicy: 'deny' };

function live(source: string, destination: string, action: 'allow' | 'deny' = 'allow', extra: Partial<LiveIntention> = {}): LiveIntention {
  return { source, destination, action, origin: 'config-entry', ...extra };
}

function l7(source: string, destination: string, permissions: unknown[]): LiveIntention {
  return { source, destination, permissions, origin: 'config-entry' };
}

function audit(input: Partial<IntentionAuditInput>) {
  return auditIntentions({ agent: DENY_AGENT, intentions: [], ...input });
}

/** `check severity subject` lines: compact and order-stable for assertions. */
function summary(findings: readonly IntentionFinding[]): string[] {
  return findings.map((f) => `${f.check} ${f.severity} ${f.subject}`);
}

const CLEAN_MESH: LiveIntention[] = [
  live('web', 'api'),
  live('api', 'db'),
  l7('web', 'billing', [{ Action: 'allow', HTTP: { PathPrefix: '/v1/', Methods: ['GET'] } }]),
  live('*', '*', 'deny'),
];
const CLEAN_BASELINE: IntentionBaseline = parseIntentionBaseline({
  defaultPolicy: 'deny',
  intentions: [
    { source: 'web', destination: 'api' },
    { source: 'api', destination: 'db', action: 'allow' },
    { source: 'web', destination: 'billing', permissions: [{ action: 'allow', http: { pathPrefix: '/v1/', methods: ['get'] } }] },
    { source: '*', destination: '*', action: 'deny' },
  ],
});

describe('auditIntentions', () => {
  it('finds nothing in a default-deny mesh that matches its baseline', () => {
    // Act
    const result = audit({ intentions: CLEAN_MESH, baseline: CLEAN_BASELINE, mutualTls: [{ kind: 'proxy-defaults', name: 'global', mode: 'strict' }] });

    // Assess
    expect(result.findings).toEqual([]);
    expect(result.effectiveDefault).toEqual({
      policy: 'deny',
      decidedBy: 'acl.default_policy',
      aclsEnabled: true,
      aclDefaultPolicy: 'deny',
      defaultIntentionPolicy: null,
      headerDefaultAclPolicy: null,
      wildcardDeny: true,
    });
    expect(result.resultHash).toMatch(/^[0-9a-f]{64}$/);
  });

  describe('effective default', () => {
    it.each([
      { name: 'ACL default allow', agent: { aclsEnabled: true, aclDefaultPolicy: 'allow' }, policy: 'allow', by: 'acl.default_policy', findings: ['default-allow critical cluster'] },
      { name: 'ACLs disabled', agent: { aclsEnabled: false, aclDefaultPolicy: 'allow' }, policy: 'allow', by: 'acls-disabled', findings: ['acls-disabled critical cluster', 'default-allow critical cluster'] },
      { name: 'ACLs disabled, default_intention_policy deny', agent: { aclsEnabled: false, aclDefaultPolicy: 'allow', defaultIntentionPolicy: 'deny' }, policy: 'deny', by: 'default_intention_policy', findings: ['acls-disabled critical cluster', 'default-policy-mismatch medium cluster'] },
      { name: 'default_intention_policy deny over ACL allow (#23868)', agent: { aclsEnabled: true, aclDefaultPolicy: 'allow', defaultIntentionPolicy: 'deny' }, policy: 'deny', by: 'default_intention_policy', findings: ['default-policy-mismatch medium cluster'] },
      { name: 'default_intention_policy allow over ACL deny', agent: { aclsEnabled: true, aclDefaultPolicy: 'deny', defaultIntentionPolicy: 'allow' }, policy: 'allow', by: 'default_intention_policy', findings: ['default-allow critical cluster', 'default-policy-mismatch medium cluster'] },
      { name: 'an empty default_intention_policy', agent: { aclsEnabled: true, aclDefaultPolicy: 'deny', defaultIntentionPolicy: '' }, policy: 'deny', by: 'acl.default_policy', findings: [] },
      { name: 'agreeing settings', agent: { aclsEnabled: true, aclDefaultPolicy: 'deny', defaultIntentionPolicy: 'deny' }, policy: 'deny', by: 'default_intention_policy', findings: [] },
    ] as const)('$name: $policy by $by', ({ agent, policy, by, findings }) => {
      // Act
      const result = audit({ agent });

      // Assess
      expect(result.effectiveDefault).toMatchObject({ policy, decidedBy: by });
      expect(summary(result.findings)).toEqual(findings);
    });

    it('says when a * -> * deny shields an allow default, and still reports it as critical', () => {
      // Act
      const result = audit({ agent: { aclsEnabled: true, aclDefaultPolicy: 'allow' }, intentions: [live('*', '*', 'deny')] });

      // Assess
      expect(result.findings[0]).toMatchObject({ check: 'default-allow', severity: 'critical', message: expect.stringContaining('"* -> *" deny intention catches that traffic today') });
    });

    it('records the version without default_intention_policy as null and keeps the header as seen', () => {
      expect(resolveEffectiveDefault({ ...DENY_AGENT, headerDefaultAclPolicy: 'deny' }, false)).toMatchObject({ defaultIntentionPolicy: null, headerDefaultAclPolicy: 'deny' });
    });
  });

  describe('wildcard allows', () => {
    it.each([
      { name: 'a * source allow', intention: live('*', 'db'), expected: ['wildcard-source-allow critical * -> db'] },
      { name: 'a * -> * allow (one finding)', intention: live('*', '*'), expected: ['wildcard-source-allow critical * -> *'] },
      { name: 'a * destination allow', intention: live('web', '*'), expected: ['wildcard-destination-allow high web -> *'] },
      { name: 'an L7 * source rule that allows some requests', intention: l7('*', 'db', [{ Action: 'deny', HTTP: { PathPrefix: '/admin' } }, { Action: 'allow', HTTP: { PathPrefix: '/' } }]), expected: ['wildcard-source-allow critical * -> db'] },
      { name: 'a * source deny', intention: live('*', 'db', 'deny'), expected: [] },
      { name: 'a peer * source allow', intention: live('*', 'db', 'allow', { sourcePeer: 'dc2' }), expected: ['wildcard-source-allow critical * (peer dc2) -> db'] },
    ])('$name', ({ intention, expected }) => {
      expect(summary(audit({ intentions: [intention] }).findings)).toEqual(expected);
    });
  });

  describe('drift against the baseline', () => {
    const baseline = parseIntentionBaseline({
      intentions: [
        { source: 'web', destination: 'api' },
        { source: 'web', destination: 'cache' },
        { source: 'batch', destination: 'db', action: 'deny' },
        { source: 'legacy', destination: 'db', action: 'deny' },
        { source: 'api', destination: 'db' },
        { source: 'api', destination: 'billing', permissions: [{ action: 'allow', http: { pathPrefix: '/v1/' } }] },
      ],
    });

    it('reports unexpected, missing and changed intentions with the §4.3 severities', () => {
      // Prepare: web -> cache and both denies are missing; api -> db flipped to deny; api -> billing's L7 rule changed;
      // * -> db allows everyone (so the missing batch deny lets batch through); two intentions nobody listed.
      const intentions = [
        live('web', 'api'),
        live('api', 'db', 'deny'),
        l7('api', 'billing', [{ Action: 'allow', HTTP: { PathPrefix: '/v2/' } }]),
        live('*', 'db'),
        live('ops', 'api'),
        live('scanner', 'web', 'deny'),
      ];
      const missingLegacyDeny = baseline.intentions.filter((i) => i.source !== 'batch');

      // Act
      const result = audit({ intentions, baseline });
      const onlyDefaultDenies = audit({ intentions: [live('web', 'api'), live('web', 'cache')], baseline: { intentions: missingLegacyDeny } });

      // Assess
      expect(summary(result.findings)).toEqual([
        'wildcard-source-allow critical * -> db',
        'changed high api -> billing',
        'changed high api -> db',
        'missing-deny high batch -> db',
        'missing-deny high legacy -> db',
        'unexpected-allow high * -> db',
        'unexpected-allow high ops -> api',
        'missing-allow medium web -> cache',
        'unexpected-deny info scanner -> web',
      ]);
      expect(result.findings.find((f) => f.subject === 'batch -> db')?.message).toContain('allowed by * -> db (precedence 8)');
      expect(result.findings.find((f) => f.subject === 'api -> billing')?.message).toBe('api -> billing differs from the baseline: baseline L7 [allow prefix /v1/], live L7 [allow prefix /v2/].');
      expect(result.findings.find((f) => f.subject === 'web -> cache')?.message).toContain('denied by the default ("deny")');
      expect(summary(onlyDefaultDenies.findings)).toContain('missing-deny low legacy -> db');
    });

    it('counts a legacy-list duplicate of a config-entry intention once', () => {
      // Act
      const result = audit({ intentions: [live('web', 'api'), live('web', 'api', 'allow', { origin: 'legacy-list' })], baseline: { intentions: [{ source: 'web', destination: 'api', action: 'allow' }] } });

      // Assess
      expect(result.findings).toEqual([]);
    });

    it('names intentions only seen in the legacy list', () => {
      const result = audit({ intentions: [live('old', 'api', 'allow', { origin: 'legacy-list' })], baseline: { intentions: [] } });
      expect(result.findings[0].message).toContain('seen only in the legacy intentions list');
    });
  });

  describe('L7 normalisation', () => {
    it.each([
      { name: 'method case and order', live: { Methods: ['POST', 'GET'] }, baseline: { methods: ['get', 'post'] } },
      { name: 'header order and name case', live: { Header: [{ Name: 'X-B', Exact: '1' }, { Name: 'x-a', Present: true }] }, baseline: { header: [{ name: 'x-a', present: true }, { name: 'x-b', exact: '1' }] } },
      { name: 'a "/" prefix next to other conditions', live: { PathPrefix: '/', Methods: ['GET'] }, baseline: { methods: ['GET'] } },
      { name: 'a match-all regex', live: { PathRegex: '/.*', Methods: ['GET'] }, baseline: { methods: ['GET'], pathRegex: '.*' } },
      { name: 'every method listed', live: { PathExact: '/x', Methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE'] }, baseline: { pathExact: '/x' } },
      { name: 'false and empty fields Consul omits', live: { Header: [{ Name: 'x-a', Exact: 'v', Invert: false, Present: false, Prefix: '' }] }, baseline: { header: [{ name: 'X-A', exact: 'v' }] } },
      { name: 'PascalCase and snake_case baseline keys', live: { PathPrefix: '/v1/' }, baseline: { Path_Prefix: '/v1/' } },
    ])('ignores $name', ({ live: http, baseline: b }) => {
      // Prepare
      const baseline = parseIntentionBaseline({ intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: b }] }] });

      // Act
      const result = audit({ intentions: [l7('web', 'api', [{ Action: 'allow', HTTP: http }])], baseline });

      // Assess
      expect(result.findings).toEqual([]);
    });

    it('still sees a different path, a reordered permission list or another method', () => {
      const baseline = parseIntentionBaseline({
        intentions: [{ source: 'web', destination: 'api', permissions: [{ action: 'deny', http: { pathPrefix: '/admin' } }, { action: 'allow', http: { methods: ['GET'] } }] }],
      });
      for (const permissions of [
        [{ Action: 'deny', HTTP: { PathPrefix: '/admin/' } }, { Action: 'allow', HTTP: { Methods: ['GET'] } }],
        [{ Action: 'allow', HTTP: { Methods: ['GET'] } }, { Action: 'deny', HTTP: { PathPrefix: '/admin' } }],
        [{ Action: 'deny', HTTP: { PathPrefix: '/admin' } }, { Action: 'allow', HTTP: { Methods: ['GET', 'POST'] } }],
      ]) {
        expect(summary(audit({ intentions: [l7('web', 'api', permissions)], baseline }).findings)).toEqual(['changed high web -> api']);
      }
    });
  });

  describe('shadowing', () => {
    it('reports an s -> * rule that loses to * -> d rules of another decision, naming the destinations no exact rule decides', () => {
      // Act
      const result = audit({ intentions: [live('web', '*'), live('*', 'db', 'deny'), live('*', 'vault', 'deny'), live('*', 'api'), live('web', 'db', 'deny')] });

      // Assess
      const shadowed = result.findings.filter((f) => f.check === 'shadowed');
      expect(summary(shadowed)).toEqual(['shadowed medium web -> *']);
      expect(shadowed[0].message).toContain('does not decide traffic to vault (* -> vault deny): a "* -> service" rule (precedence 8) outranks it');
    });

    it.each([
      { name: 'exact-pair exceptions to a * -> d rule', intentions: [live('*', 'db', 'deny'), live('web', 'db')] },
      { name: 'anything over * -> *', intentions: [live('*', '*', 'deny'), live('web', '*', 'deny'), live('*', 'db', 'deny')] },
      { name: 'a * -> d rule of the same decision', intentions: [live('web', '*', 'deny'), live('*', 'db', 'deny')] },
      { name: 'rules of different peers', intentions: [live('web', '*', 'deny'), live('*', 'db', 'allow', { sourcePeer: 'dc2' })] },
    ])('does not report $name', ({ intentions }) => {
      expect(audit({ intentions }).findings.filter((f) => f.check === 'shadowed')).toEqual([]);
    });
  });

  describe('permissive mTLS', () => {
    it('reports the mesh switch and every permissive MutualTLSMode as high', () => {
      // Prepare
      const mutualTls: MutualTlsSetting[] = [
        { kind: 'proxy-defaults', name: 'global', mode: 'permissive' },
        { kind: 'service-defaults', name: 'legacy-app', mode: 'Permissive' },
        { kind: 'service-defaults', name: 'web', mode: 'strict' },
      ];

      // Act
      const result = audit({ allowEnablingPermissiveMutualTLS: true, mutualTls });

      // Assess
      expect(summary(result.findings)).toEqual(['permissive-mtls high mesh', 'permissive-mtls high proxy-defaults/global', 'permissive-mtls high service-defaults/legacy-app']);
    });
  });

  describe('resultHash', () => {
    const messy: IntentionAuditInput = {
      agent: { aclsEnabled: true, aclDefaultPolicy: 'allow', defaultIntentionPolicy: 'deny' },
      intentions: [live('*', 'db'), live('web', '*'), live('*', 'vault', 'deny'), live('ops', 'api'), live('scanner', 'web', 'deny'), l7('api', 'billing', [{ Action: 'allow', HTTP: { Methods: ['POST', 'GET'] } }])],
      allowEnablingPermissiveMutualTLS: true,
      mutualTls: [{ kind: 'service-defaults', name: 'a', mode: 'permissive' }, { kind: 'service-defaults', name: 'b', mode: 'permissive' }],
      baseline: parseIntentionBaseline({ intentions: [{ source: 'web', destination: 'cache' }, { source: 'api', destination: 'billing', permissions: [{ action: 'allow', http: { methods: ['GET'] } }] }] }),
    };

    it('is the same for the same state in any order, and changes with the state', () => {
      // Prepare
      const reversed: IntentionAuditInput = { ...messy, intentions: [...messy.intentions].reverse(), mutualTls: [...messy.mutualTls!].reverse(), baseline: { intentions: [...messy.baseline!.intentions].reverse() } };

      // Act
      const a = auditIntentions(messy);
      const b = auditIntentions(reversed);
      const c = auditIntentions({ ...messy, intentions: messy.intentions.slice(1) });

      // Assess
      expect(b.findings).toEqual(a.findings);
      expect(b.resultHash).toBe(a.resultHash);
      expect(intentionResultHash([...a.findings].reverse())).toBe(a.resultHash);
      expect(c.resultHash).not.toBe(a.resultHash);
    });
  });
});
