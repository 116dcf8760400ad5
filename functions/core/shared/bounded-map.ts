/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order in the result. Once `signal`
 * aborts, items not started yet are not started: they map to `onSkip(item)` instead (calls in flight finish).
 *
 * @example
 * const results = await mapBounded(targets, 16, (t) => probe(t), { signal, onSkip: () => ({ ok: false, reason: 'skipped' }) });
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  options: { readonly signal?: AbortSignal; readonly onSkip?: (item: T) => R } = {},
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive whole number, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      if (options.signal?.aborted && options.onSkip) {
        results[i] = options.onSkip(items[i]);
        continue;
      }
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
