import { mapBounded } from '../../../../functions/core/shared/bounded-map';

describe('mapBounded', () => {
  it('keeps the order and never has more than `limit` calls in flight', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const work = async (n: number) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, (n * 7) % 5));
      inFlight--;
      return n * 2;
    };

    // Act
    const out = await mapBounded(Array.from({ length: 50 }, (_, i) => i), 4, work);

    // Assess
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(4);
  });

  it('skips items not started once the signal aborts', async () => {
    // Prepare
    const stop = new AbortController();
    const work = async (n: number) => {
      if (n === 1) stop.abort();
      return `done ${n}`;
    };

    // Act
    const out = await mapBounded([0, 1, 2, 3], 1, work, { signal: stop.signal, onSkip: (n) => `skipped ${n}` });

    // Assess
    expect(out).toEqual(['done 0', 'done 1', 'skipped 2', 'skipped 3']);
  });

  it('refuses a limit below 1', async () => {
    await expect(mapBounded([1], 0, async (n) => n)).rejects.toThrow(RangeError);
  });
});
