/**
 * Parser for the subset of Consul's ACL rule language the simulator understands, in HCL or JSON form:
 * `acl|operator|mesh|peering|keyring = "<level>"` and `agent|node|service|key|session|event|query[_prefix] "<name>" {
 * policy = "<level>" [intentions = "<level>"] }`.
 */

/** A rule level as written in a policy. */
export type RuleLevel = 'deny' | 'read' | 'list' | 'write';

/** Exact and prefix rules for one named resource family. */
export interface NamedRules {
  readonly exact: Map<string, RuleLevel>;
  readonly prefix: Map<string, RuleLevel>;
}

/** The parsed rules of one policy. */
export interface ParsedRules {
  readonly scalar: Map<string, RuleLevel>;
  readonly named: Map<string, NamedRules>;
  /** Intention levels, derived from `service`/`service_prefix` rules. */
  readonly intentions: NamedRules;
}

const SCALARS = new Set(['acl', 'operator', 'mesh', 'peering', 'keyring']);
const NAMED = new Set(['agent', 'node', 'service', 'key', 'session', 'event', 'query']);
const LEVELS = new Set<string>(['deny', 'read', 'list', 'write']);

type Value = string | Block;
interface Block {
  readonly [key: string]: Value | Value[];
}

/** Creates an empty rule set. */
export function emptyRules(): ParsedRules {
  return { scalar: new Map(), named: new Map(), intentions: newNamed() };
}

function newNamed(): NamedRules {
  return { exact: new Map(), prefix: new Map() };
}

/** Parses a policy's `Rules` string; throws an `Error` with a parse message when it is malformed. */
export function parsePolicyRules(text: string): ParsedRules {
  const trimmed = text.trim();
  if (trimmed === '') return emptyRules();
  const tree = trimmed.startsWith('{') ? (JSON.parse(trimmed) as Block) : parseHcl(trimmed);
  const rules = emptyRules();
  for (const [key, raw] of Object.entries(tree)) {
    if (SCALARS.has(key)) {
      rules.scalar.set(key, level(raw, key));
      continue;
    }
    const family = key.replace(/_prefix$/, '');
    if (!NAMED.has(family)) throw new Error(`Failed to parse ACL rules: unknown rule "${key}"`);
    const target = rules.named.get(family) ?? newNamed();
    rules.named.set(family, target);
    const isPrefix = key.endsWith('_prefix');
    for (const block of Array.isArray(raw) ? raw : [raw]) {
      if (typeof block === 'string') throw new Error(`Failed to parse ACL rules: "${key}" needs a block`);
      for (const [name, body] of Object.entries(block)) {
        const inner = (Array.isArray(body) ? body[0] : body) as Block;
        const policy = inner.policy === undefined ? undefined : level(inner.policy, `${key}.policy`);
        if (policy) (isPrefix ? target.prefix : target.exact).set(name, policy);
        if (family === 'service') {
          const intent = inner.intentions === undefined ? derivedIntentions(policy) : level(inner.intentions, 'intentions');
          if (intent) (isPrefix ? rules.intentions.prefix : rules.intentions.exact).set(name, intent);
        }
      }
    }
  }
  return rules;
}

/** `service:read|write` imply `intentions:read` unless `intentions` is set explicitly (Consul docs). */
function derivedIntentions(policy: RuleLevel | undefined): RuleLevel | undefined {
  if (policy === 'deny') return 'deny';
  return policy === 'read' || policy === 'write' ? 'read' : undefined;
}

function level(raw: Value | Value[], where: string): RuleLevel {
  if (typeof raw !== 'string' || !LEVELS.has(raw)) throw new Error(`Failed to parse ACL rules: invalid level for ${where}`);
  return raw as RuleLevel;
}

// --- a tiny HCL reader: assignments, labelled blocks, strings, comments ---

type Tok = { t: 'str' | 'id' | 'sym'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s|,/.test(c)) i++;
    else if (c === '#' || (c === '/' && src[i + 1] === '/')) while (i < src.length && src[i] !== '\n') i++;
    else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i + 2) < 0 ? src.length : src.indexOf('*/', i + 2) + 2;
    else if ('{}=[]'.includes(c)) out.push({ t: 'sym', v: src[i++] });
    else if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') j++;
        v += src[j];
        j++;
      }
      if (j >= src.length) throw new Error('Failed to parse ACL rules: unterminated string');
      out.push({ t: 'str', v });
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_.-]+/.exec(src.slice(i));
      if (!m) throw new Error(`Failed to parse ACL rules: unexpected character '${c}'`);
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

function parseHcl(src: string): Block {
  const toks = tokenize(src);
  let pos = 0;
  const body = (closing: boolean): Record<string, Value | Value[]> => {
    const obj: Record<string, Value | Value[]> = {};
    while (pos < toks.length && !(closing && toks[pos].v === '}' && toks[pos].t === 'sym')) {
      const key = toks[pos++];
      if (key.t === 'sym') throw new Error(`Failed to parse ACL rules: unexpected '${key.v}'`);
      const next = toks[pos];
      if (next?.t === 'sym' && next.v === '=') {
        pos++;
        const val = toks[pos++];
        if (!val || val.t === 'sym') throw new Error(`Failed to parse ACL rules: missing value for ${key.v}`);
        obj[key.v] = val.v;
      } else if (next?.t === 'str') {
        pos++;
        expect('{');
        const inner = body(true);
        expect('}');
        const existing = (obj[key.v] as Record<string, Value>[] | undefined) ?? [];
        obj[key.v] = [...existing, { [next.v]: inner }];
      } else throw new Error(`Failed to parse ACL rules: expected '=' or a label after ${key.v}`);
    }
    return obj;
  };
  const expect = (sym: string): void => {
    if (toks[pos]?.v !== sym) throw new Error(`Failed to parse ACL rules: expected '${sym}'`);
    pos++;
  };
  return body(false);
}
