import { acknowledgeContentHold, decideContentHold, retentionHoldOf, type ContentHold } from '../../../../functions/core/backup/content-hold';
import type { ContentSummary } from '../../../../functions/core/snapshot-contents';
import { decodeWhole, kvs, stateBin } from '../../../helpers/state-bin';

const NOW = new Date('2026-11-21T12:00:00.000Z');

function summary(kv: number): ContentSummary {
  const records = Array.from({ length: kv }, (_, i) => kvs(`config/k${i}`, 'v'));
  return decodeWhole(stateBin(10, records), { summary: true }).summary!;
}

const ref = (n: number) => ({ key: `snapshots/c1/b${n}.snap`, versionId: `v${n}`, takenAt: `2026-11-21T0${n}:00:00.000Z` });

function openHold(baseline = 100): ContentHold {
  const d = decideContentHold({ cluster: 'c1', hold: undefined, previous: { ref: ref(1), summary: summary(baseline) }, current: { ref: ref(2), summary: summary(10) }, now: NOW });
  return d.hold!;
}

describe('decideContentHold', () => {
  it.each<[string, () => Parameters<typeof decideContentHold>[0], string, number]>([
    ['first backup: metrics only', () => ({ cluster: 'c1', hold: undefined, previous: undefined, current: { ref: ref(1), summary: summary(10) }, now: NOW }), 'none', 0],
    ['no drop: nothing', () => ({ cluster: 'c1', hold: undefined, previous: { ref: ref(1), summary: summary(10) }, current: { ref: ref(2), summary: summary(9) }, now: NOW }), 'none', 0],
    ['a drop opens a hold', () => ({ cluster: 'c1', hold: undefined, previous: { ref: ref(1), summary: summary(100) }, current: { ref: ref(2), summary: summary(10) }, now: NOW }), 'opened', 1],
    ['an open hold is kept (and reported) while the counts stay down', () => ({ cluster: 'c1', hold: openHold(), previous: { ref: ref(2), summary: summary(10) }, current: { ref: ref(3), summary: summary(12) }, now: NOW }), 'kept', 1],
    ['counts back within the threshold of the held baseline release it', () => ({ cluster: 'c1', hold: openHold(), previous: { ref: ref(2), summary: summary(10) }, current: { ref: ref(3), summary: summary(85) }, now: NOW }), 'released', 0],
    ['a closed hold is history: a new drop opens a new one', () => ({ cluster: 'c1', hold: acknowledgeContentHold(openHold(), 'alice', NOW), previous: { ref: ref(3), summary: summary(50) }, current: { ref: ref(4), summary: summary(5) }, now: NOW }), 'opened', 1],
  ])('%s', (_name, input, change, findings) => {
    // Act
    const decision = decideContentHold(input());

    // Assess
    expect(decision.change).toBe(change);
    expect(decision.findings).toHaveLength(findings);
  });

  it('holds the previous backup and keeps its summary as the baseline', () => {
    // Act
    const hold = openHold();

    // Assess
    expect(hold).toMatchObject({ version: 1, cluster: 'c1', status: 'open', openedAt: NOW.toISOString(), held: ref(1), firstDrop: ref(2) });
    expect(hold.baseline.kv.entries).toBe(100);
    expect(hold.findings).toEqual([{ id: 'content-drop:kv-entries', severity: 'high', message: 'KV entries 100 → 10 (−90 %) under `config/`' }]);
  });

  it('reports an open hold against its baseline, not against the previous backup', () => {
    // Act: the previous backup already had the damage; compared with it, nothing dropped
    const decision = decideContentHold({ cluster: 'c1', hold: openHold(), previous: { ref: ref(2), summary: summary(10) }, current: { ref: ref(3), summary: summary(10) }, now: NOW });

    // Assess
    expect(decision.findings.map((f) => f.message)).toEqual(['KV entries 100 → 10 (−90 %) under `config/`']);
    expect(decision.metrics.find((m) => m.name === 'KvEntries')).toEqual({ name: 'KvEntries', value: 10, previous: 10 });
  });
});

describe('retentionHoldOf', () => {
  it('keeps the held version of an open hold, with a reason naming the drop and how to release it', () => {
    expect(retentionHoldOf(openHold())).toEqual([
      {
        key: ref(1).key,
        versionId: 'v1',
        reason: 'content-drop hold: the last backup before KV entries 100 → 10 (−90 %) under `config/` (seen 2026-11-21T02:00:00.000Z); kept until `consul-ops ack-drop --cluster c1` or the counts recover',
      },
    ]);
  });

  it('keeps nothing for a closed hold or none', () => {
    expect(retentionHoldOf(acknowledgeContentHold(openHold(), 'alice', NOW))).toEqual([]);
    expect(retentionHoldOf(undefined)).toEqual([]);
  });
});
