import { z } from 'zod';

/**
 * Helpers that make zod speak the deploy-config error format: one line per problem, `<field path>: <what is expected,
 * with an example>`, e.g. `clusters[0].consul.addresses[1]: expected an https:// URL, e.g. https://consul.internal:8501`.
 */

/**
 * A zod error map saying what a field expects; a missing field reads "is required; expected …".
 *
 * @param description what a valid value looks like, with an example
 */
export function expected(description: string): (issue: { readonly input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? `is required; expected ${description}` : `expected ${description}`);
}

/**
 * A `z.strictObject` whose errors name the known fields (for typos) or show an example object (for a wrong type).
 *
 * @param example how a valid object looks, e.g. `e.g. { mode: "GOVERNANCE", days: 7 }`
 * @param shape the fields
 */
export function strictObject<T extends z.ZodRawShape>(example: string, shape: T): z.ZodObject<T, z.core.$strict> {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field; expected one of: ${known}`;
      return expected(`an object, ${example}`)(issue);
    },
  });
}

/** `['clusters', 0, 'consul']` → `clusters[0].consul`; the root is called `config`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  }
  return out === '' ? 'config' : out;
}

/** One line per problem of a zod issue; an unknown-keys issue yields one line per unknown key. */
export function errorMessage(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: ${issue.message}`);
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}
