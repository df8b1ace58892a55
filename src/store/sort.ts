/**
 * Key order for a commit's puts: lmdb's writer applies them in the order queued, and in key
 * order it walks each B-tree left to right (store.ts putAll).
 */

/** Byte order of the keys (what lmdb sorts by); random keys differ in the first bytes. */
export function byKey(a: readonly [Uint8Array, Uint8Array], b: readonly [Uint8Array, Uint8Array]): number {
  const x = a[0];
  const y = b[0];
  const n = x.length < y.length ? x.length : y.length;
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Records a key sort ranks at once by their first four bytes (below 2^21: prefix * 2^21 + i < 2^53). */
const SORT_INDEX_LIMIT = 2 ** 21;

/**
 * `records` in byKey order, as a new array. Ranks each record by its key's first four bytes
 * with the record's index in the low bits of one float64 and sorts those numbers natively
 * (Float64Array sort: no comparator calls), then orders the few runs of equal first bytes
 * with byKey. Keys are hashes, addresses and tree paths, whose first bytes are spread out.
 */
export function sortedByKey<T extends readonly [Uint8Array, Uint8Array]>(records: readonly T[]): T[] {
  const n = records.length;
  if (n >= SORT_INDEX_LIMIT) return records.slice().sort(byKey);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const key = records[i][0];
    const length = key.length;
    const prefix =
      (length > 0 ? key[0] * 0x1000000 : 0) +
      (length > 1 ? key[1] << 16 : 0) +
      (length > 2 ? key[2] << 8 : 0) +
      (length > 3 ? key[3] : 0);
    ranks[i] = prefix * SORT_INDEX_LIMIT + i;
  }
  ranks.sort();
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = records[ranks[i] % SORT_INDEX_LIMIT];
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && Math.floor(ranks[i] / SORT_INDEX_LIMIT) === Math.floor(ranks[start] / SORT_INDEX_LIMIT))
      continue;
    if (i - start > 1) {
      const run = out.slice(start, i).sort(byKey);
      for (let j = 0; j < run.length; j++) out[start + j] = run[j];
    }
    start = i;
  }
  return out;
}
