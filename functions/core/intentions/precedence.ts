/**
 * How Consul orders intentions (consul-api.md §3.3, ops-contracts.md §4.1): precedence from the wildcard shape of
 * each side, and the decision for a (source, destination) pair = the highest-precedence matching intention, deny
 * winning ties. Pure and allocation-light: the audit runs it for every intention of large meshes.
 */

/** The wildcard: only ever a whole value, never part of a name. */
export const WILDCARD = '*';

/** The sides of an intention that decide its precedence and what it matches. */
export interface IntentionSides {
  readonly source: string;
  readonly destination: string;
  /** A cluster peer the source lives in. @default - a local source */
  readonly sourcePeer?: string;
  /** @default 'default' (CE has no other namespace) */
  readonly sourceNS?: string;
  /** @default 'default' */
  readonly destinationNS?: string;
}

/** An intention with what it decides: an L4 action, or L7 permissions (`action` absent). */
export interface DecidingIntention extends IntentionSides {
  readonly action?: 'allow' | 'deny';
  /** Normalised L7 permissions; present means "decided per request". */
  readonly permissions?: readonly unknown[];
}

/** One side's count of exact parts: namespace `*` → 0, name `*` → 1, both exact → 2 (`intentionCountExact`). */
function countExact(ns: string | undefined, name: string): number {
  if ((ns ?? 'default') === WILDCARD) return 0;
  return name === WILDCARD ? 1 : 2;
}

/**
 * Consul's `computeIntentionPrecedence`: the destination's exact count gives a maximum (2 → 9, 1 → 6, 0 → 3) and
 * each wildcard part of the source takes one off. In CE (namespaces always exact) the values are 9, 8, 6 and 5.
 *
 * @example
 * intentionPrecedence({ source: '*', destination: 'db' }); // 8
 */
export function intentionPrecedence(i: IntentionSides): number {
  const dst = countExact(i.destinationNS, i.destination);
  const max = dst === 2 ? 9 : dst === 1 ? 6 : 3;
  return max - (2 - countExact(i.sourceNS, i.source));
}

/** True for an intention naming one source and one destination (precedence 9). */
export function isExactPair(i: IntentionSides): boolean {
  return i.source !== WILDCARD && i.destination !== WILDCARD;
}

/** `peer/source/destination`: the identity of an intention (what Consul allows once per config entry). */
export function intentionKey(i: IntentionSides): string {
  return `${i.sourcePeer ?? ''}\u0000${i.source}\u0000${i.destination}`;
}

/** `web -> db`, `web (peer dc2) -> *`: how reports name an intention or a pair. */
export function describePair(i: IntentionSides): string {
  return `${i.source}${i.sourcePeer ? ` (peer ${i.sourcePeer})` : ''} -> ${i.destination}`;
}

/** What an intention decides, comparable with `===`: `allow`, `deny`, or `l7:<canonical permissions>`. */
export function decisionOf(i: DecidingIntention, l7Digest: (permissions: readonly unknown[]) => string): string {
  return i.permissions ? `l7:${l7Digest(i.permissions)}` : (i.action ?? 'deny');
}

/** True when the intention lets at least some traffic through: an L4 allow, or any allowing L7 permission. */
export function allowsTraffic(i: DecidingIntention): boolean {
  if (!i.permissions) return i.action === 'allow';
  return i.permissions.some((p) => String((p as { Action?: unknown }).Action).toLowerCase() === 'allow');
}

/**
 * Intentions indexed by identity, answering "which one decides this pair?" with at most four lookups
 * (`s→d`, `*→d`, `s→*`, `*→*` within the source's peer), so a whole-mesh audit stays linear.
 */
export class IntentionIndex<T extends DecidingIntention> {
  private readonly byKey = new Map<string, T>();

  constructor(intentions: Iterable<T>) {
    for (const i of intentions) {
      const key = intentionKey(i);
      const seen = this.byKey.get(key);
      // Deny wins ties (Consul's evaluation order); one identity appears once in valid Consul data anyway.
      if (seen === undefined || (seen.action !== 'deny' && i.action === 'deny')) this.byKey.set(key, i);
    }
  }

  /** The intention with exactly this identity. */
  get(sides: IntentionSides): T | undefined {
    return this.byKey.get(intentionKey(sides));
  }

  /**
   * The intention that decides traffic from `source` to `destination`: the highest precedence match, a deny first
   * on equal precedence. `source`/`destination` may be `*` to ask "what decides an arbitrary service?".
   */
  winner(pair: IntentionSides): T | undefined {
    const peer = pair.sourcePeer;
    let best: T | undefined;
    let bestPrecedence = -1;
    for (const [source, destination] of [
      [pair.source, pair.destination],
      [WILDCARD, pair.destination],
      [pair.source, WILDCARD],
      [WILDCARD, WILDCARD],
    ]) {
      const candidate = this.byKey.get(intentionKey({ source, destination, sourcePeer: peer }));
      if (candidate === undefined) continue;
      const precedence = intentionPrecedence(candidate);
      if (precedence > bestPrecedence || (precedence === bestPrecedence && candidate.action === 'deny' && best?.action !== 'deny')) {
        best = candidate;
        bestPrecedence = precedence;
      }
    }
    return best;
  }
}
