/** The commit's key sort (src/store/sort.ts) gives exactly byKey's order, every record once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byKey, sortedByKey } from '../../../src/store/sort.js';

describe('sortedByKey', () => {
  it('orders keys of any length, with shared first bytes, as byKey does', () => {
    let seed = 99;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    const records: Array<[Uint8Array, Uint8Array]> = [];
    for (let i = 0; i < 5000; i++) {
      // short keys, keys equal in their first four bytes, and prefixes of each other
      const length = 1 + (next() % 34);
      const key = Uint8Array.from({ length }, (_, j) => (j < 3 && i % 4 === 0 ? 7 : next() & 255));
      records.push([key, Uint8Array.of(i & 255, i >> 8)]);
    }
    records.push([Uint8Array.of(7), new Uint8Array(0)], [Uint8Array.of(7, 7), new Uint8Array(0)]);
    records.push([Uint8Array.of(7, 7, 7, 0), new Uint8Array(0)], [Uint8Array.of(7, 7, 7), new Uint8Array(0)]);
    const input = records.slice();
    const sorted = sortedByKey(records);
    assert.deepEqual(records, input, 'the input array is left as it was');
    assert.deepEqual(sorted, records.slice().sort(byKey));
    assert.deepEqual(sortedByKey([]), []);
  });
});
