import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startConsulSimulator } from '../../../local/consul-simulator';
import { ENDPOINT_ACL } from '../../../local/consul-simulator/endpoint-acl';
import { resolveConsulProfile, VERSION_TABLE } from '../../../local/consul-simulator/version-profiles';
import { ALL_CONSUL_PROFILES, NEWEST_CONSUL, OLDEST_CONSUL } from '../../helpers/consul-versions';
import { call } from './http';

describe('resolveConsulProfile', () => {
  it('keeps one table, oldest first, every row with a source and the first row setting every flag', () => {
    // Prepare
    const key = (v: string) => v.split('.').map((n) => n.padStart(4, '0')).join('.');
    // Assess
    expect(VERSION_TABLE.map((r) => key(r.since))).toEqual(VERSION_TABLE.map((r) => key(r.since)).sort());
    for (const row of VERSION_TABLE) expect(row.source.length).toBeGreaterThan(20);
    expect(Object.keys(VERSION_TABLE[0].set).sort()).toEqual(Object.keys(resolveConsulProfile(NEWEST_CONSUL).features).sort());
  });

  // Expectations written from the reference, independently of the table.
  it.each([
    ['1.15.0', { leafCachePerToken: true, templatedPolicies: false, configEntryHash: false, locality: false, defaultIntentionPolicy: false }],
    ['1.15.7', { configEntryHash: false }],
    ['1.15.8', { leafCachePerToken: true, configEntryHash: true }],
    ['1.15.11', { leafCachePerToken: true, manualVirtualIps: false }],
    ['1.16.0', { leafCachePerToken: false, locality: true, manualVirtualIps: true, configEntryHash: false, templatedPolicies: false }],
    ['1.16.4', { configEntryHash: true }],
    ['1.17.0', { templatedPolicies: true, templatedPolicyNames: ['builtin/service', 'builtin/node', 'builtin/dns'], tokenListServiceNameMatchesTemplates: false }],
    ['1.17.1', { tokenListServiceNameMatchesTemplates: true, configEntryHash: true, defaultIntentionPolicy: false }],
    ['1.18.0', { defaultIntentionPolicy: true, leafCachePerToken: false }],
    ['1.21.2', { templatedPolicies: true, defaultIntentionPolicy: true, locality: true, configEntryHash: true }],
  ])('%s behaves as the reference says', (version, expected) => {
    expect(resolveConsulProfile(version).features).toMatchObject(expected);
  });

  it('maps a version between rows to the nearest lower row and keeps the requested version', () => {
    const profile = resolveConsulProfile('1.20.6');
    expect(profile).toMatchObject({ version: '1.20.6', row: '1.18.0' });
    expect(resolveConsulProfile('1.17.4').features.templatedPolicyNames).toHaveLength(6);
  });

  it.each([
    ['1.14.9', /^consulVersion 1\.14\.9 is older than the oldest simulated Consul \(1\.15\.0\); use 1\.15\.0 or newer$/],
    ['1.17', /^consulVersion must look like \d+\.\d+\.\d+ \(major\.minor\.patch\); got "1\.17"$/],
    ['v1.17.0', /must look like/],
  ])('refuses %s with a one-line error', (version, message) => {
    expect(() => resolveConsulProfile(version)).toThrow(message);
  });
});

describe('startConsulSimulator: consulVersion', () => {
  it('defaults to the newest profile and reports it in /v1/agent/self', async () => {
    // Prepare
    const sim = await startConsulSimulator({ nodeName: 'n1' });
    try {
      // Act
      const self = (await call(sim.url, 'GET', '/v1/agent/self', { token: sim.managementToken.secretId })).json<{ Config: { Version: string } }>();
      // Assess
      expect(sim.profile.version).toBe(NEWEST_CONSUL);
      expect(self.Config.Version).toBe(NEWEST_CONSUL);
    } finally {
      await sim.stop();
    }
  });

  it('state.setVersion switches behaviour with the reported version (an upgrade)', async () => {
    // Prepare
    const sim = await startConsulSimulator({ consulVersion: OLDEST_CONSUL });
    try {
      const body = { Description: 'x', TemplatedPolicies: [{ TemplateName: 'builtin/dns' }] };
      const before = await call(sim.url, 'PUT', '/v1/acl/token', { token: sim.managementToken.secretId, body });
      // Act
      sim.state.setVersion('1.17.4');
      const after = await call(sim.url, 'PUT', '/v1/acl/token', { token: sim.managementToken.secretId, body });
      // Assess
      expect([before.status, before.text]).toEqual([400, 'Token decoding failed: json: unknown field "TemplatedPolicies"']);
      expect(after.status).toBe(200);
      expect(sim.state.profile.features.templatedPolicies).toBe(true);
    } finally {
      await sim.stop();
    }
  });

  it.each(ALL_CONSUL_PROFILES)('default_intention_policy exists from 1.18 only (Consul %s)', async (consulVersion) => {
    const start = startConsulSimulator({ consulVersion, defaultIntentionPolicy: 'deny' });
    if (!/^1\.1[5-7]\./.test(consulVersion)) {
      const sim = await start;
      await sim.stop();
    } else {
      await expect(start).rejects.toThrow(`defaultIntentionPolicy needs Consul 1.18 or newer: Consul ${consulVersion} has no default_intention_policy option`);
    }
  });
});

describe('local/consul-simulator/README.md', () => {
  it('lists every VERSION_TABLE row and every ENDPOINT_ACL endpoint', () => {
    // Prepare
    const readme = readFileSync(join(__dirname, '../../../local/consul-simulator/README.md'), 'utf8');
    // Assess
    for (const row of VERSION_TABLE) expect(readme).toContain(`| \`${row.since}\` |`);
    for (const row of ENDPOINT_ACL) expect(readme).toContain(`\`${row.endpoint}\``);
  });
});
