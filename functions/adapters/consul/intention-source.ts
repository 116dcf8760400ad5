import { CONSUL_ERROR_CODES, ConsulResultsFilteredError } from '../../core/shared/consul-errors';
import { ConsulOpsError, isErrorCode } from '../../core/shared/errors';
import type { AgentPolicyFacts, MutualTlsSetting } from '../../core/intentions/model';
import type { IntentionAuditSnapshot, IntentionAuditSource } from '../../core/intentions/ports';
import type { LiveIntention } from '../../core/intentions/model';
import { intentionKey } from '../../core/intentions/precedence';
import type { ConsulApi } from './api';
import type { ConsulResponse } from './client';
import type { AgentSelf, ConfigEntry, Intention, ServiceIntentionsConfigEntry } from './types';

/** The agent's config does not say how unmatched connections are decided. */
export class AgentPolicyUnreadableError extends ConsulOpsError {
  constructor(missing: string) {
    super(
      'INTENTION_AUDIT_AGENT_CONFIG_UNREADABLE',
      `GET /v1/agent/self does not show ${missing}, so the intention default cannot be determined`,
      'Give the audit token agent:read on the agent it talks to (agent_prefix "" { policy = "read" }), and audit a Consul >= 1.15 agent.',
      { context: { missing } },
    );
  }
}

type Loose = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads what the intention audit needs over Consul's HTTP API, in parallel: `GET /v1/agent/self` (ACLs enabled, ACL
 * default policy, `default_intention_policy` where the version has it), every `service-intentions` config entry,
 * the legacy `GET /v1/connect/intentions` list (for intentions only visible there), the `mesh` entry and the
 * `proxy-defaults` and `service-defaults` entries (`MutualTLSMode`). Never calls `/v1/connect/intentions/check`,
 * whose default is wrong when the settings disagree (hashicorp/consul#23868).
 *
 * Needs `agent:read`, `intentions:read` on every destination and `service:read` for the service-defaults entries
 * (`service_prefix "" { policy = "read" }` grants both). Consul filters lists silently, so an audit could see fewer
 * intentions than exist and call the mesh clean; the source therefore refuses to go on when Consul says it hid results
 * (`X-Consul-Results-Filtered-By-ACLs`), and reads the `service-intentions` entry of the wildcard destination `*`
 * directly: Consul checks `intentions:read` on `*` before it looks the entry up (`agent/consul/config_endpoint.go`
 * `ConfigEntry.Get`: `lookupEntry.CanRead(authz)` comes before the state read), so a token that cannot read every
 * destination's intentions is refused with a 403 even when no such entry exists.
 */
export class ConsulIntentionSource implements IntentionAuditSource {
  constructor(
    private readonly api: ConsulApi,
    private readonly options: { readonly dc?: string } = {},
  ) {}

  /** @inheritdoc */
  async readIntentionState(): Promise<IntentionAuditSnapshot> {
    const dc = this.options.dc;
    const [self, entries, legacy, mesh, proxyDefaults, serviceDefaults] = await Promise.all([
      this.api.agentSelf(),
      this.api.configEntries<ServiceIntentionsConfigEntry>('service-intentions', { dc }),
      this.api.intentionsList({ dc }),
      this.optionalEntry('mesh', 'mesh'),
      this.api.configEntries('proxy-defaults', { dc }),
      this.api.configEntries('service-defaults', { dc }),
      // Only for its permission check (see the class comment); the entry itself is in the list.
      this.optionalEntry('service-intentions', '*'),
    ]);
    this.refuseFiltered(entries, '/v1/config/service-intentions', { resource: 'intention', level: 'read', what: 'service-intentions entries' });
    this.refuseFiltered(legacy, '/v1/connect/intentions', { resource: 'intention', level: 'read', what: 'intentions' });
    this.refuseFiltered(serviceDefaults, '/v1/config/service-defaults', { resource: 'service', level: 'read', what: 'service-defaults entries' });
    const header = [self, entries, legacy].map((r) => r.meta.defaultAclPolicy).find((v) => v !== undefined);
    const indexes: Record<string, number> = {};
    const note = (name: string, r: ConsulResponse<unknown> | undefined) => {
      if (r?.meta.index !== undefined) indexes[name] = r.meta.index;
    };
    note('service-intentions', entries);
    note('connect-intentions', legacy);
    note('mesh', mesh);
    note('proxy-defaults', proxyDefaults);
    note('service-defaults', serviceDefaults);
    return {
      datacenter: self.body.Config.Datacenter,
      consulVersion: self.body.Config.Version,
      agent: agentPolicyFacts(self.body, header),
      intentions: mergeIntentions(entries.body ?? [], legacy.body ?? []),
      allowEnablingPermissiveMutualTLS: mesh?.body.AllowEnablingPermissiveMutualTLS === true,
      mutualTls: [...mutualTlsSettings('proxy-defaults', proxyDefaults.body ?? []), ...mutualTlsSettings('service-defaults', serviceDefaults.body ?? [])],
      indexes,
    };
  }

  private refuseFiltered(response: ConsulResponse<unknown>, path: string, missing: { resource: string; level: string; what: string }): void {
    if (response.meta.resultsFilteredByAcls) throw new ConsulResultsFilteredError({ method: 'GET', path, address: this.api.http.addresses[0] ?? 'consul' }, missing);
  }

  private async optionalEntry(kind: string, name: string): Promise<ConsulResponse<ConfigEntry> | undefined> {
    try {
      return await this.api.configEntry(kind, name, { dc: this.options.dc });
    } catch (err) {
      if (isErrorCode(err, CONSUL_ERROR_CODES.notFound)) return undefined;
      throw err;
    }
  }
}

/**
 * The default-deciding settings from `DebugConfig`: the newer layout (`ACLResolverSettings.ACLDefaultPolicy`), the
 * older flat one (`ACLDefaultPolicy`), then the `X-Consul-Default-ACL-Policy` header; `Stats.consul.acl` as the
 * last word on whether ACLs are on.
 */
export function agentPolicyFacts(self: AgentSelf, header: string | undefined): AgentPolicyFacts {
  const debug: Loose = isObject(self.DebugConfig) ? self.DebugConfig : {};
  const resolver: Loose = isObject(debug.ACLResolverSettings) ? debug.ACLResolverSettings : {};
  const statsAcl = self.Stats?.consul?.acl;
  const enabled = [debug.ACLsEnabled, resolver.ACLsEnabled, statsAcl === undefined ? undefined : statsAcl === 'enabled'].find((v) => typeof v === 'boolean');
  if (enabled === undefined) throw new AgentPolicyUnreadableError('whether ACLs are enabled (DebugConfig.ACLsEnabled)');
  const policy = [resolver.ACLDefaultPolicy, debug.ACLDefaultPolicy, header].map((v) => (typeof v === 'string' ? v.toLowerCase() : undefined)).find((v) => v === 'allow' || v === 'deny');
  if (policy === undefined) throw new AgentPolicyUnreadableError('the ACL default policy (DebugConfig.ACLResolverSettings.ACLDefaultPolicy or X-Consul-Default-ACL-Policy)');
  const dip = debug.DefaultIntentionPolicy;
  const intentionPolicy = typeof dip === 'string' ? dip.toLowerCase() : undefined;
  return {
    aclsEnabled: enabled,
    aclDefaultPolicy: policy as 'allow' | 'deny',
    // Absent on versions before the option existed (PR #20544, 1.18); an unknown value counts as unset.
    ...(intentionPolicy === undefined ? {} : { defaultIntentionPolicy: intentionPolicy === 'allow' || intentionPolicy === 'deny' ? intentionPolicy : '' }),
    ...(header === undefined ? {} : { headerDefaultAclPolicy: header }),
  };
}

/** Config-entry sources, plus legacy-list intentions no config entry holds. */
export function mergeIntentions(entries: readonly ServiceIntentionsConfigEntry[], legacy: readonly Intention[]): LiveIntention[] {
  const out: LiveIntention[] = [];
  for (const entry of entries) {
    for (const s of entry.Sources ?? []) {
      out.push({ source: s.Name, destination: entry.Name, ...(s.Peer ? { sourcePeer: s.Peer } : {}), ...(s.Action ? { action: s.Action } : {}), ...(s.Permissions?.length ? { permissions: s.Permissions } : {}), origin: 'config-entry' });
    }
  }
  const seen = new Set(out.map(intentionKey));
  for (const i of legacy) {
    const live: LiveIntention = {
      source: i.SourceName,
      destination: i.DestinationName,
      ...(i.SourcePeer ? { sourcePeer: i.SourcePeer } : {}),
      ...(i.Action ? { action: i.Action } : {}),
      ...(i.Permissions?.length ? { permissions: i.Permissions } : {}),
      origin: 'legacy-list',
    };
    if (!seen.has(intentionKey(live))) out.push(live);
  }
  return out;
}

function mutualTlsSettings(kind: MutualTlsSetting['kind'], entries: readonly ConfigEntry[]): MutualTlsSetting[] {
  return entries.filter((e) => typeof e.MutualTLSMode === 'string' && e.MutualTLSMode !== '').map((e) => ({ kind, name: e.Name, mode: String(e.MutualTLSMode) }));
}
