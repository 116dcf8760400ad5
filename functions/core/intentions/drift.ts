import { INTENTION_CHECKS, intentionFinding, prepareIntention, type IntentionFinding, type PreparedIntention } from './model';
import type { IntentionBaseline } from './baseline';
import { describeL7 } from './l7';
import { allowsTraffic, describePair, type IntentionIndex, intentionKey, isExactPair, WILDCARD } from './precedence';

/**
 * The baseline half of the intention audit (drift: unexpected, missing, changed) and the shadowing check. Severity
 * rules follow ops-contracts.md §4.3: an unexpected allow is high and an unexpected deny info; a missing allow is
 * medium (outage risk); a missing deny is high when its pair is now let through (it shadowed a wildcard allow or
 * an allow default), low when the pair is still denied; a changed action or L7 rule is high.
 */

/** At most this many overridden destinations are named in one shadowing message. */
const MAX_NAMED = 5;

/** `allow`, `deny` or `L7 [allow GET prefix /v1/]`. */
function describeRule(i: PreparedIntention): string {
  return i.permissions ? `L7 [${describeL7(i.permissions)}]` : (i.action ?? 'deny');
}

/** How a pair is decided now: by which live intention, or by the default. */
function describeOutcome(winner: PreparedIntention | undefined, defaultPolicy: 'allow' | 'deny'): string {
  if (!winner) return `${defaultPolicy === 'allow' ? 'allowed' : 'denied'} by the default ("${defaultPolicy}")`;
  const verb = winner.permissions ? 'decided per request by' : winner.action === 'allow' ? 'allowed by' : 'denied by';
  return `${verb} ${describePair(winner)} (precedence ${winner.precedence})`;
}

/**
 * Compares the live intentions with the baseline.
 *
 * @param live deduplicated live intentions
 * @param index the same intentions, indexed
 * @param defaultPolicy the effective default, to tell what a missing deny lets through
 */
export function diffAgainstBaseline(live: readonly PreparedIntention[], index: IntentionIndex<PreparedIntention>, baseline: IntentionBaseline, defaultPolicy: 'allow' | 'deny'): IntentionFinding[] {
  const C = INTENTION_CHECKS;
  const out: IntentionFinding[] = [];
  const wanted = new Set<string>();
  for (const b of baseline.intentions.map(prepareIntention)) {
    wanted.add(intentionKey(b));
    const pair = describePair(b);
    const l = index.get(b);
    if (l === undefined) {
      const winner = index.winner(b);
      const outcome = describeOutcome(winner, defaultPolicy);
      if (allowsTraffic(b)) {
        out.push(intentionFinding(C.missingAllow, 'medium', pair, `The baseline ${b.permissions ? 'has the L7 rule' : 'allows'} ${pair}${b.permissions ? ` [${describeL7(b.permissions)}]` : ''}, but no such intention exists: that traffic is ${outcome}.`, `Re-create ${pair} as in the baseline (service-intentions entry "${b.destination}"), or drop it from the baseline if it is no longer needed.`));
      } else {
        const letThrough = winner ? allowsTraffic(winner) : defaultPolicy === 'allow';
        out.push(intentionFinding(C.missingDeny, letThrough ? 'high' : 'low', pair, `The baseline denies ${pair}, but no such intention exists: that traffic is ${outcome}.`, `Re-create the deny ${pair} (service-intentions entry "${b.destination}"), or drop it from the baseline.`));
      }
    } else if (l.decision !== b.decision) {
      out.push(intentionFinding(C.changed, 'high', pair, `${pair} differs from the baseline: baseline ${describeRule(b)}, live ${describeRule(l)}.`, `Restore ${pair} as in the baseline, or update the baseline if the change is intended.`));
    }
  }
  for (const l of live) {
    if (wanted.has(intentionKey(l))) continue;
    const pair = describePair(l);
    const legacy = l.origin === 'legacy-list' ? ', seen only in the legacy intentions list' : '';
    if (allowsTraffic(l)) {
      out.push(intentionFinding(C.unexpectedAllow, 'high', pair, `${pair} ${describeRule(l)} is live but not in the baseline (precedence ${l.precedence}${legacy}).`, `Delete ${pair} if nobody meant to open it, or add it to the baseline.`));
    } else {
      out.push(intentionFinding(C.unexpectedDeny, 'info', pair, `${pair} ${describeRule(l)} is live but not in the baseline (precedence ${l.precedence}${legacy}).`, `Add ${pair} to the baseline if it is intended, or delete it.`));
    }
  }
  return out;
}

/**
 * Rules that a higher-precedence rule overrides without refining them. In CE (namespaces always exact) this is one
 * shape: `s -> *` (precedence 6) loses to every `* -> d` (precedence 8) for destination `d`, because an exact
 * destination outranks an exact source. Refinements (`s -> d` over `s -> *`, anything over `* -> *`) are the
 * intended exceptions of a rule set and are not reported, nor are destinations an exact `s -> d` rule decides. One
 * finding per overridden rule, naming a few destinations.
 */
export function findShadowedIntentions(live: readonly PreparedIntention[], index: IntentionIndex<PreparedIntention>): IntentionFinding[] {
  // Per peer scope: the `* -> d` rules, grouped by what they decide (allow, deny, L7), destinations sorted.
  const overriders = new Map<string, Map<string, PreparedIntention[]>>();
  for (const i of live) {
    if (i.source !== WILDCARD || i.destination === WILDCARD) continue;
    const scope = overriders.get(i.sourcePeer ?? '') ?? new Map<string, PreparedIntention[]>();
    const group = i.permissions ? 'l7' : (i.action ?? 'deny');
    scope.set(group, [...(scope.get(group) ?? []), i]);
    overriders.set(i.sourcePeer ?? '', scope);
  }
  if (overriders.size === 0) return [];
  for (const scope of overriders.values()) for (const list of scope.values()) list.sort((a, b) => (a.destination < b.destination ? -1 : 1));
  const out: IntentionFinding[] = [];
  for (const r of live) {
    if (r.source === WILDCARD || r.destination !== WILDCARD || isExactPair(r)) continue;
    const scope = overriders.get(r.sourcePeer ?? '');
    if (!scope) continue;
    // Where an exact `s -> d` rule exists, it decides (an intended exception), not the `* -> d` rule.
    const winners = [...scope.entries()]
      .filter(([group]) => group !== r.decision)
      .flatMap(([, list]) => list)
      .filter((w) => index.get({ source: r.source, destination: w.destination, sourcePeer: r.sourcePeer }) === undefined);
    if (winners.length === 0) continue;
    winners.sort((a, b) => (a.destination < b.destination ? -1 : 1));
    const named = winners.slice(0, MAX_NAMED).map((w) => `${w.destination} (${describePair(w)} ${describeRule(w)})`);
    const more = winners.length > MAX_NAMED ? ` and ${winners.length - MAX_NAMED} more` : '';
    const pair = describePair(r);
    out.push(
      intentionFinding(
        INTENTION_CHECKS.shadowed,
        'medium',
        pair,
        `${pair} ${describeRule(r)} (precedence ${r.precedence}) does not decide traffic to ${named.join(', ')}${more}: a "* -> service" rule (precedence 8) outranks it, because an exact destination outranks an exact source.`,
        `If ${r.source} must be ${r.action === 'allow' ? 'allowed' : 'denied'} there, add exact ${r.source} -> <service> intentions (precedence 9); otherwise remove ${pair} or the conflicting rule.`,
      ),
    );
  }
  return out;
}
