/**
 * Server-side token create/update/clone with Consul's validation order and exact error texts
 * (`agent/consul/acl_token_writer.go`), plus the token's `Hash`. In a secondary datacenter, global tokens are written
 * in the primary and reach this datacenter through {@link AclReplication} (consul-api.md correction 7).
 */
import { createHash } from 'node:crypto';
import { isExpired, RESERVED_ID_PREFIX } from './acl-resolver';
import { TemplatedPolicyInput, templatedPolicyHashParts, validateTemplatedPolicies } from './acl-templated-policies';
import { formatGoDuration, isUuid, newUuid, nowRfc3339Nano, parseGoDuration, rfc3339Nano } from './go-format';
import { aclNotFound, rpcError } from './http-errors';
import { AclTokenRecord, IdLink, NodeIdentity, ServiceIdentity } from './store';
import { SimulatorCore } from './types';

/** A token as a client sends it (decoded Go field names). */
export interface TokenInput {
  AccessorID?: string;
  SecretID?: string;
  Description?: string;
  Policies?: { ID?: string; Name?: string }[];
  Roles?: { ID?: string; Name?: string }[];
  ServiceIdentities?: { ServiceName?: string; Datacenters?: string[] }[];
  NodeIdentities?: { NodeName?: string; Datacenter?: string }[];
  /** Consul ≥ 1.17 (the decoder refuses the field on older profiles). */
  TemplatedPolicies?: TemplatedPolicyInput[];
  Local?: boolean;
  AuthMethod?: string;
  ExpirationTime?: string;
  /** A Go duration string or nanoseconds. */
  ExpirationTTL?: string | number;
}

/** Consul's server defaults for token expiry bounds (consul-api.md §2.3: 1m..24h). */
const MIN_EXPIRATION_MS = 60_000;
const MAX_EXPIRATION_MS = 24 * 3_600_000;
const IDENTITY_NAME = /^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$/;

/** `ExpirationTTL` in ms; throws the decode error text for a bad duration string. */
export function ttlMs(ttl: string | number | undefined): number {
  if (ttl === undefined) return 0;
  if (typeof ttl === 'number') return ttl / 1e6;
  const ms = parseGoDuration(ttl);
  if (ms === undefined) throw new Error(`time: invalid duration "${ttl}"`);
  return ms;
}

/** The token with this AccessorID as the datacenter that owns it has it (the primary for forwarded writes). */
export function ownerToken(core: SimulatorCore, accessorId: string): AclTokenRecord | undefined {
  return core.replication.secondary ? core.replication.primaryToken(accessorId) : core.store.tokens.get(accessorId);
}

function allTokens(core: SimulatorCore): AclTokenRecord[] {
  return core.replication.secondary ? core.replication.primaryTokens() : [...core.store.tokens.values()];
}

/** The expiration a create asks for (`ExpirationTTL` or `ExpirationTime`), validated against 1m..24h. */
function expirationOf(input: TokenInput, now: Date): string | undefined {
  const ttl = ttlMs(input.ExpirationTTL);
  if (ttl < 0) throw rpcError(`Token Expiration TTL '${formatGoDuration(ttl)}' should be > 0`);
  let expiration = input.ExpirationTime;
  if (expiration !== undefined && ttl !== 0) throw rpcError('Token Expiration TTL and Expiration Time cannot both be set');
  // Stored as Go renders it (RFC3339Nano, trailing zeros trimmed), so a snapshot round trip keeps the text.
  if (expiration === undefined && ttl !== 0) expiration = rfc3339Nano(new Date(now.getTime() + ttl));
  if (expiration === undefined) return undefined;
  const expiresIn = Date.parse(expiration) - now.getTime();
  if (expiresIn < 0) throw rpcError('ExpirationTime cannot be before CreateTime');
  if (expiresIn > MAX_EXPIRATION_MS) {
    throw rpcError(`ExpirationTime cannot be more than ${formatGoDuration(MAX_EXPIRATION_MS)} in the future (was ${formatGoDuration(expiresIn)})`);
  }
  if (expiresIn < MIN_EXPIRATION_MS) {
    throw rpcError(`ExpirationTime cannot be less than ${formatGoDuration(MIN_EXPIRATION_MS)} in the future (was ${formatGoDuration(expiresIn)})`);
  }
  return expiration;
}

/** Creates a token (PUT /v1/acl/token); `core.now()` stamps CreateTime. */
export function createToken(core: SimulatorCore, input: TokenInput): AclTokenRecord {
  const now = core.now();
  const accessor = input.AccessorID ?? '';
  const secret = input.SecretID ?? '';
  checkNewId(core, 'AccessorID', accessor, (t) => t.AccessorID === accessor);
  checkNewId(core, 'SecretID', secret, (t) => t.SecretID === secret);
  if (input.AuthMethod) throw rpcError('AuthMethod field is disallowed outside of login');
  const expiration = expirationOf(input, now);
  const token: AclTokenRecord = {
    AccessorID: accessor || newUuid(),
    SecretID: secret || newUuid(),
    Description: input.Description ?? '',
    Policies: [],
    Roles: [],
    ServiceIdentities: [],
    NodeIdentities: [],
    Local: input.Local ?? false,
    AuthMethod: '',
    ...(expiration === undefined ? {} : { ExpirationTime: expiration }),
    CreateTime: nowRfc3339Nano(now),
    Hash: '',
    CreateIndex: 0,
    ModifyIndex: 0,
  };
  return writeToken(core, token, input, undefined);
}

function checkNewId(core: SimulatorCore, field: string, id: string, used: (t: AclTokenRecord) => boolean): void {
  if (id === '') return;
  if (!isUuid(id)) throw rpcError(`Invalid Token: ${field} - not a valid UUID`);
  if (id.startsWith(RESERVED_ID_PREFIX)) throw rpcError(`Invalid Token: ${field} - UUIDs with the prefix "${RESERVED_ID_PREFIX}" are reserved`);
  if (allTokens(core).some(used)) throw rpcError(`Invalid Token: ${field} is already in use`);
}

/** Updates a token (PUT /v1/acl/token/:id): SecretID, Local, AuthMethod and expiry are immutable. */
export function updateToken(core: SimulatorCore, input: TokenInput & { AccessorID: string }): AclTokenRecord {
  const id = input.AccessorID;
  const match = ownerToken(core, id);
  if (!match || isExpired(match, core.now())) throw rpcError(`Cannot find token "${id}"`);
  if (input.SecretID && input.SecretID !== match.SecretID) throw rpcError("Changing a token's SecretID is not permitted");
  if ((input.Local ?? false) !== match.Local) throw rpcError(`Cannot toggle local mode of ${id}`);
  if (input.AuthMethod && input.AuthMethod !== match.AuthMethod) throw rpcError(`Cannot change AuthMethod of ${id}`);
  if (ttlMs(input.ExpirationTTL) !== 0) throw rpcError(`Cannot change expiration time of ${id}`);
  if (input.ExpirationTime !== undefined) {
    const same = match.ExpirationTime !== undefined && Date.parse(match.ExpirationTime) === Date.parse(input.ExpirationTime);
    if (!same) throw rpcError(`Cannot change expiration time of ${id}`);
  }
  const token: AclTokenRecord = { ...match, Description: input.Description ?? '' };
  return writeToken(core, token, input, match);
}

/**
 * Clones a token (PUT /v1/acl/token/:id/clone): new IDs; the same policies, roles, identities, templated policies,
 * locality and `ExpirationTime` (`TokenClone`, consul-api.md correction 3). Unknown accessor → 403 `ACL not found`.
 */
export function cloneToken(core: SimulatorCore, accessorId: string, description: string | undefined): AclTokenRecord {
  const source = ownerToken(core, accessorId);
  if (!source || isExpired(source, core.now())) throw aclNotFound();
  if (source.AuthMethod) throw rpcError('Cannot clone a token created from an auth method');
  return createToken(core, {
    Description: description || source.Description,
    Policies: source.Policies,
    Roles: source.Roles,
    ServiceIdentities: source.ServiceIdentities,
    NodeIdentities: source.NodeIdentities,
    ...(source.TemplatedPolicies ? { TemplatedPolicies: source.TemplatedPolicies.map(templatedInput) } : {}),
    Local: source.Local,
    ExpirationTime: source.ExpirationTime,
  });
}

function templatedInput(tp: NonNullable<AclTokenRecord['TemplatedPolicies']>[number]): TemplatedPolicyInput {
  return {
    TemplateID: tp.TemplateID,
    TemplateName: tp.TemplateName,
    ...(tp.TemplateVariables ? { TemplateVariables: { name: tp.TemplateVariables.Name } } : {}),
    ...(tp.Datacenters ? { Datacenters: tp.Datacenters } : {}),
  };
}

/** Resolves links and identities (`TokenWriter.write`), stamps indexes and the hash, and stores the token. */
function writeToken(core: SimulatorCore, token: AclTokenRecord, input: TokenInput, existing: AclTokenRecord | undefined): AclTokenRecord {
  const store = core.store;
  token.Policies = resolveLinks(input.Policies ?? [], 'policy', (name) => [...store.policies.values()].find((p) => p.Name === name)?.ID, (id) => store.policies.has(id));
  token.Roles = resolveLinks(input.Roles ?? [], 'role', (name) => [...store.roles.values()].find((r) => r.Name === name)?.ID, (id) => store.roles.has(id));
  token.ServiceIdentities = validateServiceIdentities(input.ServiceIdentities ?? [], token.Local);
  token.NodeIdentities = validateNodeIdentities(input.NodeIdentities ?? []);
  const templated = validateTemplatedPolicies(input.TemplatedPolicies ?? [], core.profile.features.templatedPolicyNames, 'token', token.Local);
  if (templated.length > 0) token.TemplatedPolicies = templated;
  else delete token.TemplatedPolicies;
  token.Hash = tokenHash(token);
  const index = store.commit('acl-tokens');
  token.CreateIndex = existing?.CreateIndex ?? index;
  token.ModifyIndex = index;
  if (core.replication.forwards(token)) core.replication.enqueue(token.AccessorID, token, core.now());
  else store.tokens.set(token.AccessorID, token);
  return token;
}

/** Resolves `{ID}`/`{Name}` links to stored IDs, deduplicated, with Consul's `No such ACL …` errors. */
export function resolveLinks(
  links: { ID?: string; Name?: string }[],
  what: 'policy' | 'role',
  byName: (name: string) => string | undefined,
  exists: (id: string) => boolean,
): IdLink[] {
  const out: IdLink[] = [];
  for (const link of links) {
    let id = link.ID ?? '';
    if (id === '') {
      id = byName(link.Name ?? '') ?? '';
      if (id === '') throw rpcError(`No such ACL ${what} with name "${link.Name ?? ''}"`);
    } else if (!exists(id)) throw rpcError(`No such ACL ${what} with ID "${id}"`);
    if (!out.some((l) => l.ID === id)) out.push({ ID: id });
  }
  return out;
}

/** Validates service identities (token writer texts). */
export function validateServiceIdentities(list: NonNullable<TokenInput['ServiceIdentities']>, local: boolean): ServiceIdentity[] {
  return list.map((s) => {
    const name = s.ServiceName ?? '';
    if (name === '') throw rpcError('Service identity is missing the service name field on this token');
    if (local && s.Datacenters && s.Datacenters.length > 0) {
      throw rpcError(`Service identity "${name}" cannot specify a list of datacenters on a local token`);
    }
    if (name.length > 256 || !IDENTITY_NAME.test(name)) {
      throw rpcError(`Service identity "${name}" has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed`);
    }
    return s.Datacenters && s.Datacenters.length > 0 ? { ServiceName: name, Datacenters: s.Datacenters } : { ServiceName: name };
  });
}

/** Validates node identities (token writer texts). */
export function validateNodeIdentities(list: NonNullable<TokenInput['NodeIdentities']>): NodeIdentity[] {
  return list.map((n) => {
    if (!n.NodeName) throw rpcError('Node identity is missing the node name field on this token');
    if (n.NodeName.length > 256 || !IDENTITY_NAME.test(n.NodeName)) {
      throw rpcError("Node identity has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed");
    }
    if (!n.Datacenter) throw rpcError('Node identity is missing the datacenter field on this token');
    return { NodeName: n.NodeName, Datacenter: n.Datacenter };
  });
}

/**
 * The token hash: base64 of a 32-byte digest over the same fields as Consul's `SetHash` (Consul uses BLAKE2b-256;
 * Node has no BLAKE2b-256, so this uses SHA-256: same size and encoding, different bytes).
 */
export function tokenHash(token: AclTokenRecord): string {
  const h = createHash('sha256');
  h.update(token.Description).update(token.Local ? 'local' : 'global');
  token.Policies.forEach((p) => h.update(p.ID));
  token.Roles.forEach((r) => h.update(r.ID));
  token.ServiceIdentities.forEach((s) => h.update(s.ServiceName).update((s.Datacenters ?? []).join(',')));
  token.NodeIdentities.forEach((n) => h.update(n.NodeName).update(n.Datacenter));
  (token.TemplatedPolicies ?? []).forEach((tp) => templatedPolicyHashParts(tp).forEach((p) => h.update(p)));
  return h.digest('base64');
}
