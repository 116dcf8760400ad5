/**
 * The body of Consul's `PUT /v1/acl/token` for a token consul-ops creates, and the shell command an operator runs to
 * make the same request by hand (a restore's fix command). Pure.
 */
import type { NewToken, TokenLinks } from './ports';

/** `structs.ACLToken` as consul-ops writes it (Go field names; `TemplateVariables.name` is lower-case). */
export interface ConsulTokenBody {
  readonly AccessorID?: string;
  readonly SecretID?: string;
  readonly Description: string;
  readonly Policies: readonly { readonly ID?: string; readonly Name?: string }[];
  readonly Roles: readonly { readonly ID?: string; readonly Name?: string }[];
  readonly ServiceIdentities: readonly { readonly ServiceName: string; readonly Datacenters?: readonly string[] }[];
  readonly NodeIdentities: readonly { readonly NodeName: string; readonly Datacenter: string }[];
  readonly TemplatedPolicies?: readonly { readonly TemplateName: string; readonly TemplateVariables?: { readonly name: string }; readonly Datacenters?: readonly string[] }[];
  readonly Local: boolean;
  readonly ExpirationTTL?: string;
  readonly ExpirationTime?: string;
}

/**
 * The create body. Links go by ID (names are resolved by Consul and may have been renamed), or by name with
 * `byName` where a name is known (a fix command: the operator can re-create a missing policy under the same name).
 * `TemplatedPolicies` is only sent when there are some: Consul before 1.17 refuses the unknown field (strict
 * decoding, consul-api.md correction 4).
 */
export function consulTokenBody(token: Omit<NewToken, 'accessorId' | 'secretId'> & Partial<Pick<NewToken, 'accessorId' | 'secretId'>>, opts: { readonly byName?: boolean } = {}): ConsulTokenBody {
  const links: TokenLinks = token.links;
  const link = (l: { id: string; name?: string }) => (opts.byName && l.name ? { Name: l.name } : { ID: l.id });
  return {
    ...(token.accessorId === undefined ? {} : { AccessorID: token.accessorId }),
    ...(token.secretId === undefined ? {} : { SecretID: token.secretId }),
    Description: token.description,
    Policies: links.policies.map(link),
    Roles: links.roles.map(link),
    ServiceIdentities: links.serviceIdentities.map((s) => ({ ServiceName: s.serviceName, ...(s.datacenters ? { Datacenters: s.datacenters } : {}) })),
    NodeIdentities: links.nodeIdentities.map((n) => ({ NodeName: n.nodeName, Datacenter: n.datacenter })),
    ...(links.templatedPolicies.length > 0
      ? {
          TemplatedPolicies: links.templatedPolicies.map((t) => ({
            TemplateName: t.templateName,
            ...(t.name === undefined ? {} : { TemplateVariables: { name: t.name } }),
            ...(t.datacenters ? { Datacenters: t.datacenters } : {}),
          })),
        }
      : {}),
    Local: links.local,
    // A Go duration in whole seconds; Consul counts it from its own CreateTime, so clocks need not agree.
    ...(token.ttlMs === undefined ? {} : { ExpirationTTL: `${Math.round(token.ttlMs / 1000)}s` }),
    ...(token.expirationTime === undefined ? {} : { ExpirationTime: token.expirationTime }),
  };
}

/**
 * The command that creates `token` with the AccessorID and SecretID stored in `secret` (rotation schema, or a bare
 * SecretID when `bare`), run with the operator's `CONSUL_HTTP_ADDR` and `CONSUL_HTTP_TOKEN`. The SecretID goes from
 * Secrets Manager straight into the request body: it never appears in the command, the output or a report.
 *
 * @example
 * recreateTokenCommand('consul/prod/web', { description: 'web', links });
 * // aws secretsmanager get-secret-value --secret-id 'consul/prod/web' … | jq -c '{AccessorID: .accessorId, SecretID: .secretId} + {…}' | curl …
 */
export function recreateTokenCommand(secret: string, token: Omit<NewToken, 'accessorId' | 'secretId'> & { readonly accessorId?: string }, opts: { readonly bare?: boolean } = {}): string {
  const ids = opts.bare ? '{SecretID: .}' : '{AccessorID: .accessorId, SecretID: .secretId}';
  const filter = `${ids} + ${JSON.stringify(consulTokenBody(token, { byName: true }))}`;
  return (
    `aws secretsmanager get-secret-value --secret-id ${shellQuote(secret)} --query SecretString --output text` +
    ` | jq ${opts.bare ? '-R ' : ''}-c ${shellQuote(filter)}` +
    ' | curl --fail-with-body -X PUT -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" --data @- "$CONSUL_HTTP_ADDR/v1/acl/token"'
  );
}

/** Single-quotes a word for POSIX shells. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
