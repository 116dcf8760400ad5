/**
 * The value of a Consul token secret that consul-ops rotates (Secrets Manager `SecretString`, JSON):
 *
 * ```json
 * {
 *   "accessorId": "6a1253d2-1785-24fd-91c2-f8e78c745511",   // the token's AccessorID (not secret)
 *   "secretId": "45a3bd52-07c7-47a4-52fd-0745e0cfe967",     // the token itself: never logged
 *   "cluster": "prod-east",                                  // the consul-ops cluster the token belongs to
 *   "previousAccessorId": "…",                               // the token this value replaced (set by rotation)
 *   "previousRotatedAt": "2026-05-01T10:00:00.000Z",         // when that rotation started (set by rotation)
 *   "retired": [                                             // the retired-token ledger (set by rotation)
 *     { "accessorId": "…", "deleteAfter": "2026-05-02T10:00:00.000Z" }
 *   ],
 *   "createdAt": "2026-05-01T10:00:00.000Z",                 // when this value was made (set by rotation)
 *   "description": "web frontend"                             // free text, carried over by every rotation
 * }
 * ```
 *
 * `accessorId`, `secretId` and `cluster` are required; `previousAccessorId` and `previousRotatedAt` come together.
 * `retired` lists every token replaced by a rotation that may still exist in Consul, each with the time after which
 * it is deleted (`retired-ledger.ts`). A value written before the ledger existed has only `previousAccessorId`: it
 * counts as a one-entry ledger. Unknown fields are refused, so a typo cannot silently drop a field at the next
 * rotation. Pure: no I/O.
 *
 * Invariant: a value that does not match is refused with the field name only; the value is never echoed.
 */
import { RotationSecretInvalidError } from './errors';

/** One entry of the retired-token ledger: a replaced token and when it may be deleted. */
export interface RetiredToken {
  readonly accessorId: string;
  /** ISO 8601: the end of this token's grace period. */
  readonly deleteAfter: string;
}

/** A parsed rotation secret value. */
export interface RotationSecretValue {
  readonly accessorId: string;
  /** The token's SecretID. Never log it. */
  readonly secretId: string;
  readonly cluster: string;
  /** @default - none: this value was not made by a rotation */
  readonly previousAccessorId?: string;
  /** ISO 8601. @default - none */
  readonly previousRotatedAt?: string;
  /** The retired-token ledger, oldest first. @default - none (a value from before the ledger: see `retiredLedgerOf`) */
  readonly retired?: readonly RetiredToken[];
  /** ISO 8601. @default - unknown */
  readonly createdAt?: string;
  /** @default - none */
  readonly description?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLUSTER = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const FIELDS = ['accessorId', 'secretId', 'cluster', 'previousAccessorId', 'previousRotatedAt', 'retired', 'createdAt', 'description'] as const;
/** Far more than any ledger holds (entries leave it once their token is gone); it keeps the value well under 64 KB. */
export const MAX_RETIRED_ENTRIES = 200;

type Check = (value: unknown) => string | undefined;
const uuid: Check = (v) => (typeof v === 'string' && UUID.test(v) ? undefined : 'is not a UUID');
const time: Check = (v) => (typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'is not an ISO 8601 time, e.g. 2026-05-01T10:00:00Z');
const ledger: Check = (v) => {
  if (!Array.isArray(v)) return 'is not a list of {"accessorId", "deleteAfter"}';
  if (v.length > MAX_RETIRED_ENTRIES) return `has more than ${MAX_RETIRED_ENTRIES} entries`;
  const seen = new Set<string>();
  for (const [i, entry] of v.entries()) {
    const e = entry as Record<string, unknown>;
    if (typeof entry !== 'object' || entry === null || Object.keys(e).some((k) => k !== 'accessorId' && k !== 'deleteAfter')) {
      return `[${i}] is not an object {"accessorId", "deleteAfter"}`;
    }
    const problem = uuid(e.accessorId) ?? (time(e.deleteAfter) && `deleteAfter ${time(e.deleteAfter)}`);
    if (problem) return `[${i}] ${problem.startsWith('deleteAfter') ? problem : `accessorId ${problem}`}`;
    if (seen.has(e.accessorId as string)) return `[${i}] lists accessorId ${e.accessorId as string} twice`;
    seen.add(e.accessorId as string);
  }
  return undefined;
};
const CHECKS: Record<(typeof FIELDS)[number], Check> = {
  accessorId: uuid,
  secretId: uuid,
  cluster: (v) => (typeof v === 'string' && CLUSTER.test(v) ? undefined : 'is not a lower-case DNS label, e.g. prod-east'),
  previousAccessorId: uuid,
  previousRotatedAt: time,
  retired: ledger,
  createdAt: time,
  description: (v) => (typeof v === 'string' && v.length <= 256 ? undefined : 'is not a string of at most 256 characters'),
};
const REQUIRED = new Set<string>(['accessorId', 'secretId', 'cluster']);

/**
 * Parses and checks a secret value.
 *
 * @param versionLabel which version was read, e.g. `AWSCURRENT` (used in the error only)
 * @throws RotationSecretInvalidError naming the field; the value itself is never part of the error
 */
export function parseRotationSecret(value: string | undefined, secretName: string, versionLabel: string): RotationSecretValue {
  const fail = (field: string, problem: string): never => {
    throw new RotationSecretInvalidError(secretName, versionLabel, field, problem);
  };
  if (value === undefined || value.trim() === '') return fail('', 'has no SecretString value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // The parser's message quotes the input: drop it.
    return fail('', 'is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('', 'is not a JSON object');
  const obj = parsed as Record<string, unknown>;
  const unknownField = Object.keys(obj).find((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknownField !== undefined) {
    // Only a plain identifier is echoed: a key that looks like anything else could itself be a pasted secret.
    fail(/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(unknownField) ? unknownField : '(unnamed)', `is not a known field (known: ${FIELDS.join(', ')})`);
  }
  for (const field of FIELDS) {
    if (obj[field] === undefined) {
      if (REQUIRED.has(field)) fail(field, 'is missing');
      continue;
    }
    const problem = CHECKS[field](obj[field]);
    if (problem !== undefined) fail(field, problem);
  }
  if ((obj.previousAccessorId === undefined) !== (obj.previousRotatedAt === undefined)) {
    fail(obj.previousAccessorId === undefined ? 'previousRotatedAt' : 'previousAccessorId', 'needs previousAccessorId and previousRotatedAt together');
  }
  if (obj.previousAccessorId !== undefined && obj.previousAccessorId === obj.accessorId) fail('previousAccessorId', 'names the token itself');
  if ((obj.retired as RetiredToken[] | undefined)?.some((r) => r.accessorId === obj.accessorId)) fail('retired', 'names the current token itself');
  return obj as unknown as RotationSecretValue;
}

/** The JSON to store, fields in schema order (optional fields only when set). */
export function serializeRotationSecret(value: RotationSecretValue): string {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (value[field] === undefined) continue;
    out[field] = field === 'retired' ? value.retired!.map((r) => ({ accessorId: r.accessorId, deleteAfter: r.deleteAfter })) : value[field];
  }
  return JSON.stringify(out);
}
