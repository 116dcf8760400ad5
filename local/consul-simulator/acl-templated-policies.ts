/**
 * ACL templated policies (Consul ≥ 1.17, `agent/structs/acl_templated_policy.go` and
 * `agent/structs/acltemplatedpolicy/policies/ce/*.hcl`): the built-in templates, validation on token/role writes, the
 * wire form, and the synthetic policy each one contributes to a token's authorizer.
 */
import { multierror } from './go-format';
import { rpcError } from './http-errors';
import { parsePolicyRules, ParsedRules } from './policy-rules';
import { TemplatedPolicyRecord } from './store';
import { TemplatedPolicyName } from './version-profiles';

/**
 * A templated policy as a client sends it (decoded Go field names). The variable's JSON name is `name`; Go matches
 * `Name` too, and so does the state API.
 */
export interface TemplatedPolicyInput {
  TemplateID?: string;
  TemplateName?: string;
  TemplateVariables?: { name?: string; Name?: string };
  Datacenters?: string[];
}

interface TemplateDef {
  /** `TemplateID` Consul stores (hidden from the CLI, present in the JSON). */
  readonly id: string;
  /** Schema requires `name` (`ACLTemplatedPolicyIdentitiesSchema`, min length 1). */
  readonly needsName: boolean;
  /** Name rule enforced by `ValidateTemplatedPolicy` (service/node identity names). */
  readonly identity?: 'service' | 'node';
  readonly rules: (name: string) => string;
}

/** The templates, with the rules of their CE HCL files (`{{.Name}}` substituted). */
const TEMPLATES: Readonly<Record<TemplatedPolicyName, TemplateDef>> = {
  'builtin/service': {
    id: '00000000-0000-0000-0000-000000000003',
    needsName: true,
    identity: 'service',
    rules: (n) =>
      `service "${n}" { policy = "write" }\nservice "${n}-sidecar-proxy" { policy = "write" }\n` +
      'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }',
  },
  'builtin/node': {
    id: '00000000-0000-0000-0000-000000000004',
    needsName: true,
    identity: 'node',
    rules: (n) => `node "${n}" { policy = "write" }\nservice_prefix "" { policy = "read" }`,
  },
  'builtin/dns': {
    id: '00000000-0000-0000-0000-000000000005',
    needsName: false,
    rules: () => 'node_prefix "" { policy = "read" }\nservice_prefix "" { policy = "read" }\nquery_prefix "" { policy = "read" }',
  },
  'builtin/nomad-server': {
    id: '00000000-0000-0000-0000-000000000006',
    needsName: false,
    rules: () => 'acl = "write"\nagent_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }\nservice_prefix "" { policy = "write" }',
  },
  'builtin/api-gateway': {
    id: '00000000-0000-0000-0000-000000000008',
    needsName: true,
    rules: (n) => `mesh = "read"\nnode_prefix "" { policy = "read" }\nservice_prefix "" { policy = "read" }\nservice "${n}" { policy = "write" }`,
  },
  'builtin/nomad-client': {
    id: '00000000-0000-0000-0000-000000000009',
    needsName: false,
    rules: (n) => `agent "${n}" { policy = "read" }\nnode "${n}" { policy = "write" }\nservice_prefix "" { policy = "write" }`,
  },
};

const IDENTITY_NAME = /^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$/;

/** The gojsonschema findings for the variables of a template that requires `name`. */
function schemaErrors(def: TemplateDef, vars: TemplatedPolicyInput['TemplateVariables']): string[] {
  if (!def.needsName) return [];
  if (vars === undefined) return ['Invalid type. Expected: object, given: null'];
  const name = vars.name ?? vars.Name;
  if (name === undefined) return ['name is required'];
  return name.length < 1 ? ['String length must be greater than or equal to 1'] : [];
}

/**
 * Validates templated policies on a token or role write, fills `TemplateID` and removes duplicates
 * (`ACLTemplatedPolicies.Deduplicate`). Texts follow the token writer; those marked in FACTS.md are unverified.
 */
export function validateTemplatedPolicies(
  list: readonly TemplatedPolicyInput[],
  known: readonly TemplatedPolicyName[],
  owner: 'token' | 'role',
  local: boolean,
): TemplatedPolicyRecord[] {
  const out: TemplatedPolicyRecord[] = [];
  for (const tp of list) {
    const name = tp.TemplateName ?? '';
    if (name === '') throw rpcError(`templated policy is missing the template name field on this ${owner}`);
    const def = (known as readonly string[]).includes(name) ? TEMPLATES[name as TemplatedPolicyName] : undefined;
    if (!def) throw rpcError(`templated policy with an invalid templated name: ${name} for this ${owner}`);
    if (local && tp.Datacenters && tp.Datacenters.length > 0) {
      throw rpcError(`templated policy ${JSON.stringify(name)} cannot specify a list of datacenters on a local token`);
    }
    const varName = tp.TemplateVariables?.name ?? tp.TemplateVariables?.Name;
    if (def.identity && varName && !IDENTITY_NAME.test(varName)) {
      throw rpcError(
        `encountered error validating templated policy: ${name}, error: ${def.identity} identity ${JSON.stringify(varName)} has an invalid name. ` +
          "Only lowercase alphanumeric characters, '-' and '_' are allowed",
      );
    }
    const errors = schemaErrors(def, tp.TemplateVariables);
    if (errors.length > 0) throw rpcError(`encountered error validating templated policy: ${name}, error: ${multierror(errors)}`);
    const record: TemplatedPolicyRecord = {
      TemplateID: tp.TemplateID || def.id,
      TemplateName: name,
      ...(tp.TemplateVariables ? { TemplateVariables: { Name: varName ?? '' } } : {}),
      ...(tp.Datacenters && tp.Datacenters.length > 0 ? { Datacenters: [...tp.Datacenters] } : {}),
    };
    const duplicate = out.some(
      (o) => o.TemplateName === name && (!def.needsName || (o.TemplateVariables?.Name ?? '') === (record.TemplateVariables?.Name ?? '')),
    );
    if (!duplicate) out.push(record);
  }
  return out;
}

/** The wire form (`structs.ACLTemplatedPolicy` JSON: `TemplateVariables` is `{"name": …}`). */
export function renderTemplatedPolicies(list: readonly TemplatedPolicyRecord[]): Record<string, unknown>[] {
  return list.map((tp) => ({
    ...(tp.TemplateID ? { TemplateID: tp.TemplateID } : {}),
    TemplateName: tp.TemplateName,
    ...(tp.TemplateVariables ? { TemplateVariables: tp.TemplateVariables.Name ? { name: tp.TemplateVariables.Name } : {} } : {}),
    ...(tp.Datacenters && tp.Datacenters.length > 0 ? { Datacenters: tp.Datacenters } : {}),
  }));
}

/** The rules of a templated policy's synthetic policy in datacenter `dc` (none outside its `Datacenters`). */
export function templatedPolicyRules(tp: TemplatedPolicyRecord, dc: string): ParsedRules {
  const def = TEMPLATES[tp.TemplateName as TemplatedPolicyName];
  if (!def || (tp.Datacenters && tp.Datacenters.length > 0 && !tp.Datacenters.includes(dc))) return parsePolicyRules('');
  return parsePolicyRules(def.rules(tp.TemplateVariables?.Name ?? ''));
}

/** Hash input of a templated policy (`ACLTemplatedPolicy.AddToHash`). */
export function templatedPolicyHashParts(tp: TemplatedPolicyRecord): string[] {
  return [tp.TemplateID, tp.TemplateName, tp.TemplateVariables?.Name ?? '', ...(tp.Datacenters ?? [])];
}
