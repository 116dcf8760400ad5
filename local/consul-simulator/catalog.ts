/**
 * The catalog (nodes, services, checks) and its endpoints: `/v1/catalog/services`, `/v1/catalog/service/:name` and
 * `/v1/catalog/connect/:service`, with ACL filtering from `ENDPOINT_ACL` (`service:read`; per instance also
 * `node:read`) and the `X-Consul-Results-Filtered-By-ACLs` header for non-anonymous tokens.
 */
import { beginServerRead, blockOn, queryReply, resultsFilteredHeader } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { newUuid } from './go-format';
import { HealthCheckRecord, NodeRecord, NodeServiceRecord } from './store';
import { SimulatorCore } from './types';

/** Input of `state.registerService`. */
export interface ServiceRegistration {
  readonly name: string;
  /** @default - the name */
  readonly id?: string;
  /** @default - the simulator's node */
  readonly node?: string;
  /** The service address (`''` means the node's). @default '' */
  readonly address?: string;
  /** @default 0 */
  readonly port?: number;
  /** @default [] */
  readonly tags?: string[];
  /** @default {} */
  readonly meta?: Record<string, string>;
  /** Register a `connect-proxy` sidecar for this destination service. @default - a typical service */
  readonly proxyFor?: { readonly service: string; readonly serviceId?: string; readonly localPort?: number };
  /** Connect-native service. @default false */
  readonly connectNative?: boolean;
  /** Service kind other than `connect-proxy` (e.g. `mesh-gateway`). @default - '' or `connect-proxy` with proxyFor */
  readonly kind?: string;
}

/** Input of `state.registerNode`. */
export interface NodeRegistration {
  readonly node: string;
  /** @default '127.0.0.1' */
  readonly address?: string;
  /** @default - a random UUID */
  readonly id?: string;
  /** @default {} */
  readonly meta?: Record<string, string>;
  /** @default - lan/wan (+ _ipv4) set to the address */
  readonly taggedAddresses?: Record<string, string>;
}

/** Input of `state.registerCheck`. */
export interface CheckRegistration {
  readonly id: string;
  /** @default - the id */
  readonly name?: string;
  /** @default - the simulator's node */
  readonly node?: string;
  /** @default 'passing' */
  readonly status?: 'passing' | 'warning' | 'critical';
  /** @default - a node check */
  readonly serviceId?: string;
  /** @default '' */
  readonly output?: string;
  /** Check type (`http`, `tcp`, `ttl`, …; `''` for serf checks). @default '' */
  readonly type?: string;
  /** `HealthCheckDefinition` fields (durations in ns). @default {} */
  readonly definition?: Record<string, unknown>;
}

/** Adds or updates a catalog node (a `nodes` write). */
export function registerNode(core: SimulatorCore, reg: NodeRegistration): NodeRecord {
  const existing = core.store.nodes.get(reg.node);
  const address = reg.address ?? existing?.Address ?? '127.0.0.1';
  const index = core.store.commit('nodes');
  const node: NodeRecord = {
    ID: reg.id ?? existing?.ID ?? newUuid(),
    Node: reg.node,
    Address: address,
    Datacenter: core.options.datacenter,
    TaggedAddresses: reg.taggedAddresses ?? existing?.TaggedAddresses ?? { lan: address, lan_ipv4: address, wan: address, wan_ipv4: address },
    Meta: reg.meta ?? existing?.Meta ?? {},
    PeerName: '',
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
  };
  core.store.nodes.set(node.Node, node);
  return node;
}

function ensureNode(core: SimulatorCore, name: string): NodeRecord {
  return core.store.nodes.get(name) ?? registerNode(core, { node: name });
}

/** Adds or replaces a catalog registration (creating its node when needed). */
export function registerService(core: SimulatorCore, reg: ServiceRegistration): NodeServiceRecord {
  const node = ensureNode(core, reg.node ?? core.options.nodeName);
  const id = reg.id ?? reg.name;
  const key = `${node.Node}/${id}`;
  const existing = core.store.services.get(key);
  const index = core.store.commit('services');
  const record: NodeServiceRecord = {
    Node: node.Node,
    Kind: reg.kind ?? (reg.proxyFor ? 'connect-proxy' : ''),
    ID: id,
    Service: reg.name,
    Tags: reg.tags ?? [],
    Address: reg.address ?? '',
    TaggedAddresses: {},
    Meta: reg.meta ?? {},
    Port: reg.port ?? 0,
    SocketPath: '',
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
    Proxy: reg.proxyFor
      ? {
          DestinationServiceName: reg.proxyFor.service,
          DestinationServiceID: reg.proxyFor.serviceId ?? reg.proxyFor.service,
          LocalServiceAddress: '127.0.0.1',
          ...(reg.proxyFor.localPort ? { LocalServicePort: reg.proxyFor.localPort } : {}),
        }
      : {},
    Connect: { Native: reg.connectNative ?? false },
    PeerName: '',
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
  };
  core.store.services.set(key, record);
  return record;
}

/** Adds or replaces a health check on a node (and, with `serviceId`, a service). */
export function registerCheck(core: SimulatorCore, reg: CheckRegistration): HealthCheckRecord {
  const node = ensureNode(core, reg.node ?? core.options.nodeName);
  const service = reg.serviceId ? core.store.services.get(`${node.Node}/${reg.serviceId}`) : undefined;
  if (reg.serviceId && !service) throw new Error(`no service ${reg.serviceId} on node ${node.Node}: register it first`);
  const key = `${node.Node}/${reg.id}`;
  const existing = core.store.checks.get(key);
  const index = core.store.commit('checks');
  const check: HealthCheckRecord = {
    Node: node.Node,
    CheckID: reg.id,
    Name: reg.name ?? reg.id,
    Status: reg.status ?? 'passing',
    Notes: '',
    Output: reg.output ?? '',
    ServiceID: service?.ID ?? '',
    ServiceName: service?.Service ?? '',
    ServiceTags: service?.Tags ?? [],
    Type: reg.type ?? '',
    Interval: '',
    Timeout: '',
    ExposedPort: 0,
    PeerName: '',
    Definition: reg.definition ?? {},
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
  };
  core.store.checks.set(key, check);
  return check;
}

/** Removes a registration and its checks; true when it existed. */
export function deregisterService(core: SimulatorCore, id: string, node = core.options.nodeName): boolean {
  const removed = core.store.services.delete(`${node}/${id}`);
  if (!removed) return false;
  const checks = [...core.store.checks.entries()].filter(([, c]) => c.Node === node && c.ServiceID === id);
  checks.forEach(([key]) => core.store.checks.delete(key));
  const index = core.store.commit('services');
  if (checks.length) core.store.touch(index, 'checks');
  return true;
}

/** `structs.ServiceNode` JSON. */
function renderServiceNode(core: SimulatorCore, s: NodeServiceRecord): Record<string, unknown> {
  const node = core.store.nodes.get(s.Node);
  return {
    ID: node?.ID ?? '',
    Node: s.Node,
    Address: node?.Address ?? '',
    Datacenter: node?.Datacenter ?? core.options.datacenter,
    TaggedAddresses: node?.TaggedAddresses ?? {},
    NodeMeta: node?.Meta ?? {},
    ServiceKind: s.Kind,
    ServiceID: s.ID,
    ServiceName: s.Service,
    ServiceTags: s.Tags,
    ServiceAddress: s.Address,
    ServiceWeights: s.Weights,
    ServiceMeta: s.Meta,
    ServicePort: s.Port,
    ServiceSocketPath: s.SocketPath,
    ServiceEnableTagOverride: s.EnableTagOverride,
    ServiceProxy: { ...s.Proxy, MeshGateway: {}, Expose: {} },
    ServiceConnect: s.Connect.Native ? { Native: true } : {},
    CreateIndex: s.CreateIndex,
    ModifyIndex: s.ModifyIndex,
  };
}

function sorted(core: SimulatorCore): NodeServiceRecord[] {
  return [...core.store.services.values()].sort((a, b) => (a.Node + a.ID < b.Node + b.ID ? -1 : 1));
}

async function servicesHandler(ctx: RequestContext) {
  const opts = beginServerRead(ctx);
  const visible = ctx.aclFilter();
  await blockOn(ctx.core, opts, ['services']);
  const out: Record<string, string[]> = {};
  let filtered = false;
  for (const s of sorted(ctx.core)) {
    if (!visible({ name: s.Service })) {
      filtered = true;
      continue;
    }
    const tags = new Set([...(out[s.Service] ?? []), ...s.Tags]);
    out[s.Service] = [...tags].sort();
  }
  const ordered = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  return queryReply(ctx, ordered, ctx.core.store.tableIndex('services'), resultsFilteredHeader(ctx, filtered));
}

function nodesHandler(connect: boolean) {
  return async (ctx: RequestContext) => {
    const opts = beginServerRead(ctx);
    const name = decodeURIComponent(ctx.suffix);
    const allow = ctx.aclFilter();
    await blockOn(ctx.core, opts, ['services']);
    const tag = ctx.query.get('tag');
    const matches = sorted(ctx.core).filter((s) =>
      connect ? (s.Kind === 'connect-proxy' && s.Proxy.DestinationServiceName === name) || (s.Connect.Native && s.Service === name) : s.Service === name,
    );
    // filterServiceNodes: each instance needs node:read on its node and service:read on its service.
    const allowed = matches.filter((s) => allow({ node: s.Node, name: s.Service }));
    const visible = allowed.filter((s) => !tag || s.Tags.includes(tag));
    const filtered = allowed.length < matches.length;
    return queryReply(ctx, visible.map((s) => renderServiceNode(ctx.core, s)), ctx.core.store.tableIndex('services'), resultsFilteredHeader(ctx, filtered));
  };
}

/** Catalog routes. */
export const catalogRoutes: Route[] = [
  { pattern: '/v1/catalog/services', methods: ['GET'], handler: servicesHandler },
  { pattern: '/v1/catalog/service/', methods: ['GET'], handler: nodesHandler(false) },
  { pattern: '/v1/catalog/connect/', methods: ['GET'], handler: nodesHandler(true) },
];
