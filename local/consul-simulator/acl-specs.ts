/**
 * The Go structs Consul decodes ACL request bodies into (`agent/structs/acl.go`, CE), per version profile: a field
 * the simulated version does not have (e.g. `TemplatedPolicies` before 1.17) is an unknown field like any other.
 */
import { F, FieldSpec, StructSpec } from './go-decode';
import { ProfileFeatures } from './version-profiles';

const link = (struct: string): StructSpec => ({ struct, fields: { ID: F.str, Name: F.str } });

const SERVICE_IDENTITIES = F.list('structs.ACLServiceIdentities', {
  struct: 'structs.ACLServiceIdentity',
  fields: { ServiceName: F.str, Datacenters: F.strs },
});

const NODE_IDENTITIES = F.list('structs.ACLNodeIdentities', {
  struct: 'structs.ACLNodeIdentity',
  fields: { NodeName: F.str, Datacenter: F.str },
});

/** `structs.ACLTemplatedPolicies` (≥ 1.17); the variables' JSON name is `name` (`json:"name,omitempty"`). */
const TEMPLATED_POLICIES: FieldSpec = F.list('structs.ACLTemplatedPolicies', {
  struct: 'structs.ACLTemplatedPolicy',
  fields: {
    TemplateID: F.str,
    TemplateName: F.str,
    TemplateVariables: { struct: 'structs.ACLTemplatedPolicyVariables', fields: { name: F.str } },
    Datacenters: F.strs,
  },
});

function templated(features: ProfileFeatures): Record<string, FieldSpec> {
  return features.templatedPolicies ? { TemplatedPolicies: TEMPLATED_POLICIES } : {};
}

/** The request body struct of token create, update and clone (`structs.ACLToken` through its `UnmarshalJSON`). */
export function tokenSpec(features: ProfileFeatures): StructSpec {
  return {
    struct: 'structs.ACLToken',
    fields: {
      AccessorID: F.str,
      SecretID: F.str,
      Description: F.str,
      Policies: F.list('[]structs.ACLTokenPolicyLink', link('structs.ACLTokenPolicyLink')),
      Roles: F.list('[]structs.ACLTokenRoleLink', link('structs.ACLTokenRoleLink')),
      ServiceIdentities: SERVICE_IDENTITIES,
      NodeIdentities: NODE_IDENTITIES,
      ...templated(features),
      Local: F.bool,
      AuthMethod: F.str,
      ExpirationTime: F.time,
      ExpirationTTL: { t: 'duration', go: 'time.Duration' },
      CreateTime: F.time,
      Hash: F.str,
      CreateIndex: F.num(),
      ModifyIndex: F.num(),
    },
  };
}

/** `structs.ACLPolicy` (its `UnmarshalJSON` takes `Hash` as a string). */
export const POLICY_SPEC: StructSpec = {
  struct: 'structs.ACLPolicy',
  fields: {
    ID: F.str,
    Name: F.str,
    Description: F.str,
    Rules: F.str,
    Datacenters: F.strs,
    Hash: F.str,
    CreateIndex: F.num(),
    ModifyIndex: F.num(),
  },
};

/** `structs.ACLRole`. */
export function roleSpec(features: ProfileFeatures): StructSpec {
  return {
    struct: 'structs.ACLRole',
    fields: {
      ID: F.str,
      Name: F.str,
      Description: F.str,
      Policies: F.list('[]structs.ACLRolePolicyLink', link('structs.ACLRolePolicyLink')),
      ServiceIdentities: SERVICE_IDENTITIES,
      NodeIdentities: NODE_IDENTITIES,
      ...templated(features),
      Hash: F.str,
      CreateIndex: F.num(),
      ModifyIndex: F.num(),
    },
  };
}

/**
 * `rewordUnknownEnterpriseFieldError` (agent/http_ce.go): CE answers an unknown `"Namespace"` field (exactly that key)
 * with a hint that namespaces are an Enterprise feature.
 */
export function rewordEnterpriseField(message: string): string {
  return message === 'json: unknown field "Namespace"' ? `${message} - Namespaces are a Consul Enterprise feature` : message;
}
