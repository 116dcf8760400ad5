import type { ContentSummary } from '../../../../functions/core/snapshot-contents/content-summary';
import { CONTENT_DROP_CHECK, DEFAULT_CONTENT_DROP_THRESHOLDS, evaluateContentDrop, type ContentDropThresholds } from '../../../../functions/core/snapshot-contents/content-drop';

interface Shape {
  kv?: number;
  prefixes?: Record<string, number>;
  tokens?: number;
  services?: number;
  instances?: number;
  destinations?: string[] | number;
}

/** A summary with only the counts the alarm reads. */
function summary(shape: Shape): ContentSummary {
  const prefixes = Object.entries(shape.prefixes ?? { 'config/': shape.kv ?? 100 }).map(([prefix, entries]) => ({ prefix, entries }));
  const destinations = shape.destinations ?? ['db', 'web'];
  return {
    version: 1,
    lastIndex: 1,
    stateBytes: 1,
    records: 1,
    kv: { entries: shape.kv ?? 100, bytes: 1, tombstones: 0, topPrefixes: prefixes, otherPrefixes: { prefixes: 0, entries: 0 } },
    catalog: { nodes: 3, serviceInstances: shape.instances ?? 30, services: shape.services ?? 10, checks: 3 },
    acl: { tokens: shape.tokens ?? 50, policies: 4, roles: 1, bindingRules: 0, authMethods: 0 },
    intentions: typeof destinations === 'number' ? { entries: destinations, sources: destinations } : { entries: destinations.length, sources: destinations.length, destinations },
    configEntries: { total: 2, byKind: {} },
    sessions: 0,
    preparedQueries: 0,
    caRoots: 1,
    recordTypes: {},
  };
}

describe('evaluateContentDrop', () => {
  it.each<{ name: string; before: Shape; after: Shape; thresholds?: ContentDropThresholds; findings: [string, string, string][] }>([
    { name: 'steady state', before: {}, after: {}, findings: [] },
    { name: 'growth', before: { kv: 10 }, after: { kv: 5000 }, findings: [] },
    {
      name: 'a KV tree wiped',
      before: { kv: 48210, prefixes: { 'config/': 47300, 'app/': 910 } },
      after: { kv: 1002, prefixes: { 'config/': 92, 'app/': 910 } },
      findings: [['content-drop:kv-entries', 'high', 'KV entries 48 210 → 1 002 (−98 %) under `config/`']],
    },
    { name: 'a drop of exactly the threshold is not beyond it', before: { kv: 100 }, after: { kv: 80 }, findings: [] },
    { name: 'a drop just beyond the threshold', before: { kv: 100 }, after: { kv: 79 }, findings: [['content-drop:kv-entries', 'high', 'KV entries 100 → 79 (−21 %) under `config/`']] },
    { name: 'everything gone', before: { kv: 5, prefixes: { '': 5 } }, after: { kv: 0, prefixes: {} }, findings: [['content-drop:kv-entries', 'high', 'KV entries 5 → 0 (−100 %) at the top level (keys without `/`)']] },
    { name: 'a prefix that fell off the list counts as emptied', before: { kv: 1000, prefixes: { 'a/': 600, 'b/': 400 } }, after: { kv: 600, prefixes: { 'a/': 600 } }, findings: [['content-drop:kv-entries', 'high', 'KV entries 1 000 → 600 (−40 %) under `b/`']] },
    { name: 'half the ACL tokens revoked', before: { tokens: 120 }, after: { tokens: 60 }, findings: [['content-drop:acl-tokens', 'high', 'ACL tokens 120 → 60 (−50 %)']] },
    { name: 'services deregistered', before: { services: 40, instances: 400 }, after: { services: 2, instances: 20 }, findings: [['content-drop:services', 'high', 'Services 40 → 2 (−95 %) (instances 400 → 20)']] },
    { name: 'a near-total drop never rounds to −100 %', before: { tokens: 1000 }, after: { tokens: 1 }, findings: [['content-drop:acl-tokens', 'high', 'ACL tokens 1 000 → 1 (−99 %)']] },
    { name: 'an intention removed', before: { destinations: ['db', 'payments', 'web'] }, after: { destinations: ['db', 'web'] }, findings: [['content-drop:service-intentions', 'medium', 'service-intentions entries 3 → 2: removed for `payments`']] },
    { name: 'an intention swapped for another still counts as removed', before: { destinations: ['db', 'web'] }, after: { destinations: ['cache', 'db'] }, findings: [['content-drop:service-intentions', 'medium', 'service-intentions entries 2 → 2: removed for `web`']] },
    { name: 'intentions too many to list: by count', before: { destinations: 500 }, after: { destinations: 498 }, findings: [['content-drop:service-intentions', 'medium', 'service-intentions entries 500 → 498 (2 removed)']] },
    { name: 'custom thresholds: 50 % tolerated for KV', before: { kv: 100 }, after: { kv: 60 }, thresholds: { kvEntriesDropPercent: 50 }, findings: [] },
    { name: 'custom thresholds: intentions as high', before: { destinations: ['a', 'b'] }, after: { destinations: ['a'] }, thresholds: { intentionRemovedSeverity: 'high' }, findings: [['content-drop:service-intentions', 'high', 'service-intentions entries 2 → 1: removed for `b`']] },
    { name: 'custom thresholds: intentions off', before: { destinations: ['a', 'b'] }, after: { destinations: ['a'] }, thresholds: { intentionRemovedSeverity: 'off' }, findings: [] },
    { name: '100 % turns a check off', before: { tokens: 10 }, after: { tokens: 0 }, thresholds: { aclTokensDropPercent: 100 }, findings: [] },
    { name: 'from zero nothing can drop', before: { kv: 0, prefixes: {} }, after: { kv: 0, prefixes: {} }, findings: [] },
  ])('$name', ({ before, after, thresholds, findings }) => {
    // Act
    const result = evaluateContentDrop(summary(before), summary(after), thresholds);

    // Assess
    expect(result.findings.map((f) => [f.id, f.severity, f.message])).toEqual(findings);
    for (const f of result.findings) {
      expect(f.check).toBe(CONTENT_DROP_CHECK);
      expect(f.remedy).toMatch(/restore-kv|ack-drop/);
    }
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_CONTENT_DROP_THRESHOLDS).toEqual({ kvEntriesDropPercent: 20, aclTokensDropPercent: 20, servicesDropPercent: 20, intentionRemovedSeverity: 'medium' });
  });

  it('returns metrics only for a cluster\'s first backup', () => {
    // Act
    const result = evaluateContentDrop(undefined, summary({ kv: 7, tokens: 3 }));

    // Assess
    expect(result.findings).toEqual([]);
    expect(result.metrics).toEqual(expect.arrayContaining([{ name: 'KvEntries', value: 7 }, { name: 'AclTokens', value: 3 }, { name: 'ServiceIntentionsEntries', value: 2 }]));
  });

  it('returns one metric per counted type with its previous value', () => {
    // Act
    const { metrics } = evaluateContentDrop(summary({ services: 9 }), summary({ services: 10 }));

    // Assess
    expect(metrics.map((m) => m.name)).toEqual([
      'KvEntries', 'KvTombstones', 'Nodes', 'ServiceInstances', 'Services', 'HealthChecks', 'AclTokens', 'AclPolicies', 'AclRoles',
      'AclBindingRules', 'AclAuthMethods', 'ServiceIntentionsEntries', 'ConfigEntries', 'Sessions', 'PreparedQueries', 'CaRoots',
    ]);
    expect(metrics.find((m) => m.name === 'Services')).toEqual({ name: 'Services', value: 10, previous: 9 });
  });

  it('names the previous backup and the cluster in the remedy', () => {
    // Act
    const [finding] = evaluateContentDrop(summary({ tokens: 10 }), summary({ tokens: 1 }), {}, { cluster: 'prod-east', previousBackup: 'consul/prod-east/2024/06/01/x.snap' }).findings;

    // Assess
    expect(finding.remedy).toContain('from consul/prod-east/2024/06/01/x.snap');
    expect(finding.remedy).toContain('`consul-ops ack-drop --cluster prod-east`');
  });
});
