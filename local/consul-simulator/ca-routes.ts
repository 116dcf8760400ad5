/**
 * Connect CA endpoints (consul-api.md §4): roots (server and agent-cached), CA configuration (`operator:write`),
 * and the agent's leaf certificate (`service:write`, `X-Cache`).
 */
import { decodeStruct, F, parseGoJson, StructSpec } from './go-decode';
import { badRequest } from './http-errors';
import { beginServerRead, blockOn, checkDatacenter, parseQueryOptions, queryMetaHeaders, queryReply, requireLeader } from './query';
import { textReply } from './reply';
import { RequestContext } from './request-context';
import { Route } from './router';
import { CaRootRecord } from './store';
import { SimulatorCore } from './types';

/**
 * `structs.CAConfiguration` through its `UnmarshalJSON` (snake-case `force_without_cross_signing` accepted;
 * `ClusterID` is `json:"-"`, so unknown), decoded strictly like every `decodeBody`.
 */
const CA_CONFIG_SPEC: StructSpec = {
  struct: 'structs.CAConfiguration',
  fields: {
    Provider: F.str,
    Config: F.map('map[string]interface {}'),
    State: F.map(),
    ForceWithoutCrossSigning: F.bool,
    force_without_cross_signing: F.bool,
    CreateIndex: F.num(),
    ModifyIndex: F.num(),
  },
};

/** `structs.CARoot` JSON (signing material stripped; SerialNumber as an exact uint64 number). */
function renderRoot(r: CaRootRecord): Record<string, unknown> {
  return {
    ID: r.ID,
    Name: r.Name,
    SerialNumber: BigInt(r.SerialNumber),
    SigningKeyID: r.SigningKeyID,
    ExternalTrustDomain: '',
    NotBefore: r.NotBefore,
    NotAfter: r.NotAfter,
    RootCert: r.RootCert,
    IntermediateCerts: null,
    Active: r.Active,
    PrivateKeyType: r.PrivateKeyType,
    PrivateKeyBits: r.PrivateKeyBits,
    CreateIndex: r.CreateIndex,
    ModifyIndex: r.ModifyIndex,
  };
}

/** `structs.IndexedCARoots` JSON. */
export function renderRoots(core: SimulatorCore): Record<string, unknown> {
  return { ActiveRootID: core.ca.activeRoot().ID, TrustDomain: core.ca.trustDomain, Roots: core.store.caRoots.map(renderRoot) };
}

/** The agent cache of `/v1/agent/connect/ca/roots`: the roots index it last fetched, and when. */
const agentRootsCache = new WeakMap<SimulatorCore, { index: number; at: number }>();

function agentCacheHeaders(core: SimulatorCore, index: number): Record<string, string> {
  const now = core.now().getTime();
  const cached = agentRootsCache.get(core);
  if (cached && cached.index === index) return { 'X-Cache': 'HIT', Age: String(Math.round((now - cached.at) / 1000)) };
  agentRootsCache.set(core, { index, at: now });
  return { 'X-Cache': 'MISS' };
}

async function rootsHandler(ctx: RequestContext) {
  const agent = ctx.path.startsWith('/v1/agent/');
  const opts = agent ? parseQueryOptions(ctx) : beginServerRead(ctx);
  ctx.enforceAcl();
  await blockOn(ctx.core, opts, ['connect-ca-roots']);
  const index = ctx.core.store.tableIndex('connect-ca-roots');
  if (!agent && ctx.query.get('pem') === 'true') {
    const pem = ctx.core.store.caRoots.map((r) => r.RootCert).join('');
    return { status: 200, headers: { ...queryMetaHeaders(ctx.core, index), 'Content-Type': 'application/pem-certificate-chain' }, body: Buffer.from(pem) };
  }
  return queryReply(ctx, renderRoots(ctx.core), index, agent ? agentCacheHeaders(ctx.core, index) : {});
}

async function configHandler(ctx: RequestContext) {
  if (ctx.method === 'PUT') {
    checkDatacenter(ctx);
    let body: Record<string, unknown>;
    try {
      body = decodeStruct(parseGoJson((await ctx.readBody()).toString('utf8')), CA_CONFIG_SPEC);
    } catch (err) {
      throw badRequest(`Request decode failed: ${(err as Error).message}`);
    }
    requireLeader(ctx, false);
    ctx.enforceAcl();
    const ttl = (body.Config as Record<string, unknown> | undefined)?.LeafCertTTL;
    const index = ctx.core.store.commit('connect-ca-config');
    const current = ctx.core.store.caConfig;
    ctx.core.store.caConfig = { ...current, Config: { ...current.Config, ...((body.Config as object) ?? {}) }, ModifyIndex: index };
    if (ttl !== undefined) ctx.core.ca.clearLeafCache();
    return textReply(200, '');
  }
  const opts = beginServerRead(ctx);
  ctx.enforceAcl();
  await blockOn(ctx.core, opts, ['connect-ca-config']);
  const cfg = ctx.core.store.caConfig;
  const sorted = Object.fromEntries(Object.entries(cfg.Config).sort(([a], [b]) => (a < b ? -1 : 1)));
  const out = { Provider: cfg.Provider, Config: sorted, State: null, ForceWithoutCrossSigning: false, CreateIndex: cfg.CreateIndex, ModifyIndex: cfg.ModifyIndex };
  return queryReply(ctx, out, ctx.core.store.tableIndex('connect-ca-config'));
}

async function leafHandler(ctx: RequestContext) {
  parseQueryOptions(ctx);
  const service = decodeURIComponent(ctx.suffix);
  ctx.enforceAcl();
  const { leaf, hit, ageSeconds } = await ctx.core.ca.leaf(service, ctx.core.runtime.leader, ctx.secret);
  const cache: Record<string, string> = hit ? { 'X-Cache': 'HIT', Age: String(ageSeconds) } : { 'X-Cache': 'MISS' };
  return queryReply(ctx, leaf, leaf.ModifyIndex, cache);
}

/** CA routes. */
export const caRoutes: Route[] = [
  { pattern: '/v1/connect/ca/roots', methods: ['GET'], handler: rootsHandler },
  { pattern: '/v1/agent/connect/ca/roots', methods: ['GET'], handler: rootsHandler, local: true },
  { pattern: '/v1/connect/ca/configuration', methods: ['GET', 'PUT'], handler: configHandler },
  { pattern: '/v1/agent/connect/ca/leaf/', methods: ['GET'], handler: leafHandler, local: true },
];
