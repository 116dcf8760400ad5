/**
 * Catalog endpoints: `/v1/catalog/services`, `/v1/catalog/service/:name` and `/v1/catalog/connect/:service`, with
 * ACL filtering from `ENDPOINT_ACL` (`service:read`; per instance also `node:read`) and the
 * `X-Consul-Results-Filtered-By-ACLs` header for non-anonymous tokens.
 */
import { ANONYMOUS_ACCESSOR_ID } from './acl-resolver';
import { beginServerRead, blockOn, queryReply } from './query';
import { RequestContext } from './request-context';
import { Route } from './router';
import { CatalogServiceRecord } from './store';
import { SimulatorCore } from './types';

/** Input of `state.registerService`. */
export interface ServiceRegistration {
  readonly name: string;
  /** @default - the name */
  readonly id?: string;
  /** @default - the simulator's node */
  readonly node?: string;
  /** @default '127.0.0.1' */
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
}

/** Adds or replaces a catalog registration. */
export function registerService(core: SimulatorCore, reg: ServiceRegistration): CatalogServiceRecord {
  const node = reg.node ?? core.options.nodeName;
  const id = reg.id ?? reg.name;
  const key = `${node}/${id}`;
  const existing = core.store.services.get(key);
  const index = core.store.commit('catalog');
  const record: CatalogServiceRecord = {
    Node: node,
    Address: reg.address ?? '127.0.0.1',
    ServiceID: id,
    ServiceName: reg.name,
    ServiceKind: reg.proxyFor ? 'connect-proxy' : '',
    ServiceTags: reg.tags ?? [],
    ServiceAddress: reg.address ?? '',
    ServicePort: reg.port ?? 0,
    ServiceMeta: reg.meta ?? {},
    ...(reg.proxyFor
      ? {
          ServiceProxy: {
            DestinationServiceName: reg.proxyFor.service,
            DestinationServiceID: reg.proxyFor.serviceId ?? reg.proxyFor.service,
            LocalServiceAddress: '127.0.0.1',
            ...(reg.proxyFor.localPort ? { LocalServicePort: reg.proxyFor.localPort } : {}),
          },
        }
      : {}),
    ConnectNative: reg.connectNative ?? false,
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
  };
  core.store.services.set(key, record);
  return record;
}

/** Removes a registration; true when it existed. */
export function deregisterService(core: SimulatorCore, id: string, node = core.options.nodeName): boolean {
  const removed = core.store.services.delete(`${node}/${id}`);
  if (removed) core.store.commit('catalog');
  return removed;
}

/** `structs.ServiceNode` JSON. */
function renderServiceNode(core: SimulatorCore, s: CatalogServiceRecord): Record<string, unknown> {
  return {
    ID: s.Node === core.options.nodeName ? core.nodeId : '',
    Node: s.Node,
    Address: s.Address,
    Datacenter: core.options.datacenter,
    TaggedAddresses: { lan: s.Address, lan_ipv4: s.Address, wan: s.Address, wan_ipv4: s.Address },
    NodeMeta: { 'consul-network-segment': '', 'consul-version': core.runtime.version },
    ServiceKind: s.ServiceKind,
    ServiceID: s.ServiceID,
    ServiceName: s.ServiceName,
    ServiceTags: s.ServiceTags,
    ServiceAddress: s.ServiceAddress,
    ServiceWeights: { Passing: 1, Warning: 1 },
    ServiceMeta: s.ServiceMeta,
    ServicePort: s.ServicePort,
    ServiceSocketPath: '',
    ServiceEnableTagOverride: false,
    ServiceProxy: { ...(s.ServiceProxy ?? {}), MeshGateway: {}, Expose: {} },
    ServiceConnect: s.ConnectNative ? { Native: true } : {},
    CreateIndex: s.CreateIndex,
    ModifyIndex: s.ModifyIndex,
  };
}

function sorted(core: SimulatorCore): CatalogServiceRecord[] {
  return [...core.store.services.values()].sort((a, b) => (a.Node + a.ServiceID < b.Node + b.ServiceID ? -1 : 1));
}

function filteredHeader(ctx: RequestContext, filtered: boolean): Record<string, string> {
  const anonymous = ctx.token()?.AccessorID === ANONYMOUS_ACCESSOR_ID;
  return filtered && !anonymous ? { 'X-Consul-Results-Filtered-By-ACLs': 'true' } : {};
}

async function servicesHandler(ctx: RequestContext) {
  const opts = beginServerRead(ctx);
  const visible = ctx.aclFilter();
  await blockOn(ctx.core, opts, ['catalog']);
  const out: Record<string, string[]> = {};
  let filtered = false;
  for (const s of sorted(ctx.core)) {
    if (!visible({ name: s.ServiceName })) {
      filtered = true;
      continue;
    }
    const tags = new Set([...(out[s.ServiceName] ?? []), ...s.ServiceTags]);
    out[s.ServiceName] = [...tags].sort();
  }
  const ordered = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  return queryReply(ctx, ordered, ctx.core.store.tableIndex('catalog'), filteredHeader(ctx, filtered));
}

function nodesHandler(connect: boolean) {
  return async (ctx: RequestContext) => {
    const opts = beginServerRead(ctx);
    const name = decodeURIComponent(ctx.suffix);
    const allow = ctx.aclFilter();
    await blockOn(ctx.core, opts, ['catalog']);
    const tag = ctx.query.get('tag');
    const matches = sorted(ctx.core).filter((s) =>
      connect ? s.ServiceProxy?.DestinationServiceName === name || (s.ConnectNative && s.ServiceName === name) : s.ServiceName === name,
    );
    // filterServiceNodes: each instance needs node:read on its node and service:read on its service.
    const allowed = matches.filter((s) => allow({ node: s.Node, name: s.ServiceName }));
    const visible = allowed.filter((s) => !tag || s.ServiceTags.includes(tag));
    const filtered = allowed.length < matches.length;
    return queryReply(ctx, visible.map((s) => renderServiceNode(ctx.core, s)), ctx.core.store.tableIndex('catalog'), filteredHeader(ctx, filtered));
  };
}

/** Catalog routes. */
export const catalogRoutes: Route[] = [
  { pattern: '/v1/catalog/services', methods: ['GET'], handler: servicesHandler },
  { pattern: '/v1/catalog/service/', methods: ['GET'], handler: nodesHandler(false) },
  { pattern: '/v1/catalog/connect/', methods: ['GET'], handler: nodesHandler(true) },
];
