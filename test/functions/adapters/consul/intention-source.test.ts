import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { agentPolicyFacts, ConsulIntentionSource, mergeIntentions } from '../../../../functions/adapters/consul/intention-source';
import { json, useConsulHttpHarness } from '../../../helpers/consul-http-harness';
import type { AgentSelf, Intention, ServiceIntentionsConfigEntry } from '../../../../functions/adapters/consul/types';

const CONFIG = { Datacenter: 'dc1', NodeName: 'n1', NodeID: 'id', Revision: 'r', Server: true, Version: '1.18.2' };

describe('agentPolicyFacts', () => {
  it.each([
    {
      name: 'the newer layout with default_intention_policy',
      self: { Config: CONFIG, DebugConfig: { ACLsEnabled: true, ACLResolverSettings: { ACLDefaultPolicy: 'allow', ACLsEnabled: true }, DefaultIntentionPolicy: 'deny' } },
      facts: { aclsEnabled: true, aclDefaultPolicy: 'allow', defaultIntentionPolicy: 'deny', headerDefaultAclPolicy: 'allow' },
    },
    {
      name: 'the older flat layout without the option',
      self: { Config: CONFIG, DebugConfig: { ACLsEnabled: true, ACLDefaultPolicy: 'deny' } },
      facts: { aclsEnabled: true, aclDefaultPolicy: 'deny', headerDefaultAclPolicy: 'allow' },
    },
    {
      name: 'no DebugConfig: Stats and the header',
      self: { Config: CONFIG, Stats: { consul: { acl: 'disabled' } } },
      facts: { aclsEnabled: false, aclDefaultPolicy: 'allow', headerDefaultAclPolicy: 'allow' },
    },
    {
      name: 'an empty default_intention_policy',
      self: { Config: CONFIG, DebugConfig: { ACLsEnabled: true, ACLResolverSettings: { ACLDefaultPolicy: 'deny' }, DefaultIntentionPolicy: '' } },
      facts: { aclsEnabled: true, aclDefaultPolicy: 'deny', defaultIntentionPolicy: '', headerDefaultAclPolicy: 'allow' },
    },
  ])('reads $name', ({ self, facts }) => {
    expect(agentPolicyFacts(self as AgentSelf, 'allow')).toEqual(facts);
  });

  it('refuses to guess when nothing says whether ACLs are on', () => {
    expect(() => agentPolicyFacts({ Config: CONFIG }, 'deny')).toThrow(expect.objectContaining({ code: 'INTENTION_AUDIT_AGENT_CONFIG_UNREADABLE', remedy: expect.stringContaining('agent:read') }));
  });
});

describe('mergeIntentions', () => {
  it('takes config-entry sources and adds legacy-list intentions no entry holds', () => {
    // Prepare
    const entries = [{ Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Action: 'allow', Precedence: 9, Type: 'consul' }, { Name: 'api', Peer: 'dc2', Precedence: 9, Type: 'consul', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/' } }] }] }] as ServiceIntentionsConfigEntry[];
    const legacy = [
      { SourceName: 'web', DestinationName: 'db', Action: 'allow', Description: '', SourceType: 'consul', Precedence: 9, CreateIndex: 1, ModifyIndex: 1 },
      { SourceName: 'old', DestinationName: 'db', Action: 'deny', Description: '', SourceType: 'consul', Precedence: 9, CreateIndex: 1, ModifyIndex: 1 },
    ] as Intention[];

    // Act + Assess
    expect(mergeIntentions(entries, legacy)).toEqual([
      { source: 'web', destination: 'db', action: 'allow', origin: 'config-entry' },
      { source: 'api', destination: 'db', sourcePeer: 'dc2', permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/' } }], origin: 'config-entry' },
      { source: 'old', destination: 'db', action: 'deny', origin: 'legacy-list' },
    ]);
  });
});

describe('ConsulIntentionSource.readIntentionState', () => {
  const h = useConsulHttpHarness();
  const SELF = { Config: CONFIG, DebugConfig: { ACLsEnabled: true, ACLResolverSettings: { ACLDefaultPolicy: 'deny' } } };

  /** A Consul that answers every read, with `X-Consul-Results-Filtered-By-ACLs: true` on `filteredPath`. */
  async function consul(filteredPath?: string) {
    const srv = await h.serve((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const filtered: Record<string, string> = path === filteredPath ? { 'X-Consul-Results-Filtered-By-ACLs': 'true' } : {};
      if (path === '/v1/agent/self') return json(res, 200, SELF, filtered);
      if (path === '/v1/config/mesh/mesh' || path === '/v1/config/service-intentions/*') return json(res, 404, 'Config entry not found');
      return json(res, 200, [], { 'X-Consul-Index': '7', ...filtered });
    });
    return new ConsulIntentionSource(new ConsulApi(h.client([srv.url])));
  }

  it('reads a complete view', async () => {
    // Act / Assess
    await expect((await consul()).readIntentionState()).resolves.toMatchObject({ datacenter: 'dc1', intentions: [] });
  });

  it.each([
    { path: '/v1/config/service-intentions', permission: 'intention:read' },
    { path: '/v1/connect/intentions', permission: 'intention:read' },
    { path: '/v1/config/service-defaults', permission: 'service:read' },
  ])('refuses a view Consul filtered by ACLs ($path), naming $permission', async ({ path, permission }) => {
    // Act
    const attempt = (await consul(path)).readIntentionState();

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'CONSUL_RESULTS_FILTERED', context: expect.objectContaining({ permission, path }) });
  });
});
