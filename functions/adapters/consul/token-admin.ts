/**
 * {@link RotationConsul} over {@link ConsulApi}: the ACL token calls a rotation makes, with "not found" answers turned
 * into `undefined` and everything else left as the typed Consul errors (e.g. `CONSUL_PERMISSION_DENIED` with
 * `context.permission = 'acl:write'`).
 *
 * Invariant: SecretIDs only travel in request bodies and the `X-Consul-Token` header; the HTTP client masks them in
 * any error text.
 */
import { CONSUL_ERROR_CODES } from '../../core/shared/consul-errors';
import { isErrorCode } from '../../core/shared/errors';
import type { ConsulTokenInfo, NewToken, RotationConsul } from '../../core/rotation/ports';
import { consulTokenBody } from '../../core/rotation/token-body';
import type { ConsulApi } from './api';
import type { ACLToken, ACLTokenWrite } from './types';

/** Turns Consul's token JSON into the rotation's view of it. */
export function tokenInfoOf(token: ACLToken): ConsulTokenInfo {
  return {
    accessorId: token.AccessorID,
    secretId: token.SecretID,
    description: token.Description,
    ...(token.AuthMethod ? { authMethod: token.AuthMethod } : {}),
    links: {
      policies: (token.Policies ?? []).map((p) => ({ id: p.ID ?? '', ...(p.Name ? { name: p.Name } : {}) })),
      roles: (token.Roles ?? []).map((r) => ({ id: r.ID ?? '', ...(r.Name ? { name: r.Name } : {}) })),
      serviceIdentities: (token.ServiceIdentities ?? []).map((s) => ({ serviceName: s.ServiceName, ...(s.Datacenters?.length ? { datacenters: s.Datacenters } : {}) })),
      nodeIdentities: (token.NodeIdentities ?? []).map((n) => ({ nodeName: n.NodeName, datacenter: n.Datacenter })),
      // The variable's JSON key is lower-case `name` (`json:"name,omitempty"` in agent/structs/acl_templated_policy.go).
      templatedPolicies: (token.TemplatedPolicies ?? []).map((t) => ({
        templateName: t.TemplateName,
        ...(t.TemplateVariables?.name ? { name: t.TemplateVariables.name } : {}),
        ...(t.Datacenters?.length ? { datacenters: t.Datacenters } : {}),
      })),
      local: token.Local,
    },
    ...(token.CreateTime ? { createTime: token.CreateTime } : {}),
    ...(token.ExpirationTime ? { expirationTime: token.ExpirationTime } : {}),
  };
}

/** The create body (`consulTokenBody`, shared with the restore's fix command). */
export function tokenWriteOf(token: NewToken): ACLTokenWrite {
  return consulTokenBody(token);
}

/**
 * The Consul side of token rotation. The new token is created with `PUT /v1/acl/token` and caller-chosen IDs rather
 * than `PUT /v1/acl/token/:id/clone`: clone picks random IDs, so a retried setSecret could mint a second token, and
 * clone copies the absolute `ExpirationTime`, so the copy of an expiring token would die with the original.
 *
 * @example
 * const consul = new ConsulTokenAdmin(api); // api authenticates with the AWSCURRENT management token
 */
export class ConsulTokenAdmin implements RotationConsul {
  constructor(private readonly api: ConsulApi) {}

  async readToken(accessorId: string, asSecret?: string): Promise<ConsulTokenInfo | undefined> {
    try {
      return tokenInfoOf((await this.api.tokenRead(accessorId, { token: asSecret })).body);
    } catch (err) {
      if (isErrorCode(err, CONSUL_ERROR_CODES.tokenNotFound)) return undefined;
      throw err;
    }
  }

  async readSelf(secretId: string): Promise<ConsulTokenInfo | undefined> {
    try {
      return tokenInfoOf((await this.api.tokenSelf(secretId)).body);
    } catch (err) {
      // 404 `Supplied token does not exist` (older: 403 `ACL not found`): Consul does not know this secret.
      if (isErrorCode(err, CONSUL_ERROR_CODES.aclNotFound)) return undefined;
      throw err;
    }
  }

  async createToken(token: NewToken, asSecret?: string): Promise<void> {
    await this.api.tokenCreate(tokenWriteOf(token), { token: asSecret });
  }

  async deleteToken(accessorId: string, asSecret?: string): Promise<'deleted' | 'not-found'> {
    try {
      await this.api.tokenDelete(accessorId, { token: asSecret });
      return 'deleted';
    } catch (err) {
      if (isErrorCode(err, CONSUL_ERROR_CODES.tokenNotFound)) return 'not-found';
      throw err;
    }
  }
}
