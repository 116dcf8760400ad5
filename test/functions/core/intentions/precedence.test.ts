import { IntentionIndex, intentionPrecedence, type DecidingIntention } from '../../../../functions/core/intentions/precedence';

describe('intentionPrecedence', () => {
  it.each([
    { sourceNS: 'default', source: 'web', destinationNS: 'default', destination: 'db', precedence: 9 },
    { sourceNS: 'default', source: '*', destinationNS: 'default', destination: 'db', precedence: 8 },
    { sourceNS: '*', source: '*', destinationNS: 'default', destination: 'db', precedence: 7 },
    { sourceNS: 'default', source: 'web', destinationNS: 'default', destination: '*', precedence: 6 },
    { sourceNS: 'default', source: '*', destinationNS: 'default', destination: '*', precedence: 5 },
    { sourceNS: '*', source: '*', destinationNS: 'default', destination: '*', precedence: 4 },
    { sourceNS: 'default', source: 'web', destinationNS: '*', destination: '*', precedence: 3 },
    { sourceNS: 'default', source: '*', destinationNS: '*', destination: '*', precedence: 2 },
    { sourceNS: '*', source: '*', destinationNS: '*', destination: '*', precedence: 1 },
  ])('$sourceNS/$source -> $destinationNS/$destination has precedence $precedence (the docs table)', ({ precedence, ...sides }) => {
    expect(intentionPrecedence(sides)).toBe(precedence);
  });

  it('defaults namespaces to the exact CE "default" (9, 8, 6, 5)', () => {
    expect([['web', 'db'], ['*', 'db'], ['web', '*'], ['*', '*']].map(([source, destination]) => intentionPrecedence({ source, destination }))).toEqual([9, 8, 6, 5]);
  });
});

describe('IntentionIndex.winner', () => {
  const rules: DecidingIntention[] = [
    { source: '*', destination: '*', action: 'deny' },
    { source: 'web', destination: '*', action: 'allow' },
    { source: '*', destination: 'db', action: 'deny' },
    { source: 'web', destination: 'api', action: 'allow' },
    { source: 'web', destination: 'db', action: 'allow', sourcePeer: 'dc2' },
  ];
  const index = new IntentionIndex(rules);

  it.each([
    { pair: { source: 'web', destination: 'api' }, winner: 'web -> api' },
    { pair: { source: 'web', destination: 'db' }, winner: '* -> db' },
    { pair: { source: 'web', destination: 'cache' }, winner: 'web -> *' },
    { pair: { source: 'batch', destination: 'cache' }, winner: '* -> *' },
    { pair: { source: 'web', destination: 'db', sourcePeer: 'dc2' }, winner: 'web -> db (dc2)' },
    { pair: { source: 'web', destination: 'cache', sourcePeer: 'dc2' }, winner: undefined },
  ])('decides $pair.source -> $pair.destination by $winner', ({ pair, winner }) => {
    const w = index.winner(pair);
    expect(w && `${w.source} -> ${w.destination}${w.sourcePeer ? ` (${w.sourcePeer})` : ''}`).toBe(winner);
  });

  it('lets a deny win a tie of the same identity', () => {
    const tie = new IntentionIndex<DecidingIntention>([{ source: 'a', destination: 'b', action: 'allow' }, { source: 'a', destination: 'b', action: 'deny' }]);
    expect(tie.winner({ source: 'a', destination: 'b' })?.action).toBe('deny');
  });
});
