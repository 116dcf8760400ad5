/**
 * The simulator's authorizer: merges a token's policy rules (deny wins, like Consul's policy merger), resolves
 * exact-then-longest-prefix matches and falls back to the ACL default policy. `acl:*` never falls back to an allow
 * default (Consul's `allowAll` authorizer has `allowManage: false`); the snapshot permission is `acl:write`.
 */
import type { AclRule } from './endpoint-acl';
import { AccessLevel, AclResource } from './http-errors';
import { emptyRules, NamedRules, ParsedRules, RuleLevel } from './policy-rules';

/** Settings that decide what happens when no rule matches. */
export interface AuthorizerSettings {
  /** ACLs disabled: everything is allowed. */
  readonly aclsEnabled: boolean;
  /** The ACL `default_policy`. */
  readonly defaultPolicy: 'allow' | 'deny';
}

const RANK: Record<RuleLevel, number> = { deny: 0, read: 1, list: 2, write: 3 };

/** Decides what one resolved token may do. */
export class Authorizer {
  /** The AccessorID the denial texts name. */
  readonly accessorId: string;
  private readonly management: boolean;
  private readonly rules: ParsedRules;
  private readonly settings: AuthorizerSettings;

  constructor(accessorId: string, rules: ParsedRules[], management: boolean, settings: AuthorizerSettings) {
    this.accessorId = accessorId;
    this.rules = mergeRules(rules);
    this.management = management;
    this.settings = settings;
  }

  /** True when the token may access `resource` at `level` (on `name` for named resources). */
  allowed(resource: AclResource, level: AccessLevel, name?: string): boolean {
    if (!this.settings.aclsEnabled || this.management) return true;
    const found = this.lookup(resource, name);
    if (found === undefined) return resource === 'acl' ? false : this.settings.defaultPolicy === 'allow';
    return found !== 'deny' && RANK[found] >= RANK[level];
  }

  /**
   * `KeyWritePrefix`-style check (recursive KV deletes): `level` on the prefix itself and no more specific rule under
   * the prefix granting less.
   */
  allowedUnderPrefix(resource: AclResource, level: AccessLevel, prefix: string): boolean {
    if (!this.allowed(resource, level, prefix)) return false;
    if (!this.settings.aclsEnabled || this.management) return true;
    const rules = this.rules.named.get(resource);
    if (!rules) return true;
    const under = [...rules.exact.entries(), ...rules.prefix.entries()].filter(([name]) => name.startsWith(prefix) && name !== prefix);
    return under.every(([, l]) => l !== 'deny' && RANK[l] >= RANK[level]);
  }

  /** True when the token holds one `ENDPOINT_ACL` rule (a `prefix` rule through {@link allowedUnderPrefix}). */
  allowsRule(rule: AclRule): boolean {
    return rule.prefix ? this.allowedUnderPrefix(rule.resource, rule.level, rule.name ?? '') : this.allowed(rule.resource, rule.level, rule.name);
  }

  /** The intention default when no intention matches: allow when ACLs are off, else the ACL default policy. */
  intentionDefaultAllow(): boolean {
    return !this.settings.aclsEnabled || this.settings.defaultPolicy === 'allow';
  }

  private lookup(resource: AclResource, name: string | undefined): RuleLevel | undefined {
    if (resource === 'mesh' || resource === 'peering') return this.scalar(resource) ?? this.scalar('operator');
    if (name === undefined) return this.scalar(resource);
    if (resource === 'intention') return match(this.rules.intentions, name);
    return match(this.rules.named.get(resource), name);
  }

  private scalar(key: string): RuleLevel | undefined {
    return this.rules.scalar.get(key);
  }
}

/** Exact rule first, else the longest matching prefix. */
function match(rules: NamedRules | undefined, name: string): RuleLevel | undefined {
  if (!rules) return undefined;
  const exact = rules.exact.get(name);
  if (exact) return exact;
  let best: string | undefined;
  for (const prefix of rules.prefix.keys()) {
    if (name.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : rules.prefix.get(best);
}

/** Merges several policies rule by rule, like Consul's policy merger: deny wins, then the higher level. */
function mergeRules(all: ParsedRules[]): ParsedRules {
  const out = emptyRules();
  const put = (map: Map<string, RuleLevel>, key: string, l: RuleLevel): void => {
    const cur = map.get(key);
    if (cur === undefined || (cur !== 'deny' && (l === 'deny' || RANK[l] > RANK[cur]))) map.set(key, l);
  };
  const putNamed = (target: NamedRules, src: NamedRules): void => {
    src.exact.forEach((l, k) => put(target.exact, k, l));
    src.prefix.forEach((l, k) => put(target.prefix, k, l));
  };
  for (const rules of all) {
    rules.scalar.forEach((l, k) => put(out.scalar, k, l));
    putNamed(out.intentions, rules.intentions);
    rules.named.forEach((src, family) => {
      const target = out.named.get(family) ?? { exact: new Map(), prefix: new Map() };
      out.named.set(family, target);
      putNamed(target, src);
    });
  }
  return out;
}
