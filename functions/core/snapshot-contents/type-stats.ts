import { goStringBytes } from './go-text';

/** One row of `consul snapshot inspect`: a record type (or a KV prefix), its record count and bytes. */
export interface TypeStat {
  /** Type name (`KVS`, `Unknown(77)`) or KV prefix (a Go string, see `go-text.ts`). */
  readonly name: string;
  /** Bytes: type byte + msgpack value of each record (the first record also carries the header). */
  readonly sum: number;
  readonly count: number;
}

/**
 * Inspect's `sortTypeStats` (command/snapshot/inspect/snapshot_inspect.go): descending `Sum`, ties by ascending name
 * in Go byte order (names are unique, so the order is total).
 */
export function sortTypeStats<T extends TypeStat>(stats: readonly T[]): T[] {
  const keyed = stats.map((s) => ({ s, bytes: goStringBytes(s.name) }));
  keyed.sort((a, b) => b.s.sum - a.s.sum || Buffer.compare(a.bytes, b.bytes));
  return keyed.map((k) => k.s);
}
