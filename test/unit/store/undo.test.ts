/**
 * The undo records' codec (src/store/undo.ts): every entry, whole or as a word diff against
 * the value its block wrote, undoes back to the value before the block.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeUndoChunks,
  UNDO_ACCOUNT,
  UNDO_TREE,
  type UndoEntry,
  undoEntry,
} from '../../../src/store/undo.js';

/** Deterministic pseudo-random bytes (mulberry32). */
function random(seed: number): (n: number) => Uint8Array {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

describe('undo records codec', () => {
  it('undoes every entry to its value before the block: absent, whole or word diff', () => {
    const bytes = random(7);
    const entries: UndoEntry[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < 300; i++) {
      // node keys: packed nibbles || nibble count; counts 0 and 1 go to the top chunk
      const key = Uint8Array.of(...bytes(1 + (i % 3)), i % 5);
      const id = Buffer.from(key).toString('hex');
      if (keys.has(id)) continue;
      keys.add(id);
      const length = 5 + 32 * (2 + (i % 20));
      const before = bytes(length);
      let after: Uint8Array | undefined = before.slice();
      // a few changed words (a diff), or another layout (whole), or a new node (absent)
      if (i % 7 === 0) after = bytes(length + 32);
      else
        for (let w = 0; w <= i % 4; w++)
          after.set(bytes(32), 5 + 32 * ((i * 3 + w * 5) % ((length - 5) / 32)));
      entries.push(i % 11 === 0 ? [key, undefined, after] : [key, before, after]);
    }
    entries.push([Uint8Array.of(0x12, 3), bytes(101)]); // no value written: recorded whole
    const chunks = encodeUndoChunks(UNDO_TREE, entries);
    assert.ok(chunks.length > 1 && chunks.length <= 17);
    const whole = entries.reduce((n, [, before]) => n + (before?.length ?? 0), 0);
    const stored = chunks.reduce((n, [, value]) => n + value.length, 0);
    assert.ok(stored < whole / 2, `diffs keep ${stored} of ${whole} bytes`);
    const byChunk = new Map(chunks);
    for (const [key, before, after] of entries) {
      const chunk = key[key.length - 1] <= 1 ? 16 : key[0] >> 4;
      const entry = undoEntry(byChunk.get(chunk)!, key, after);
      assert.deepEqual(entry?.before, before, `entry ${Buffer.from(key).toString('hex')}`);
    }
    assert.equal(undoEntry(chunks[0][1], Uint8Array.of(0xff, 0xff, 0xff, 9), undefined), undefined);
  });

  it('refuses a diff that does not fit the value it applies to, and a truncated chunk', () => {
    const key = Uint8Array.of(0x40, 2);
    const before = new Uint8Array(69).fill(1);
    const after = before.slice();
    after[40] = 2;
    const [[, chunk]] = encodeUndoChunks(UNDO_TREE, [[key, before, after]]);
    assert.ok(chunk.length < before.length);
    assert.deepEqual(undoEntry(chunk, key, after)?.before, before);
    assert.throws(() => undoEntry(chunk, key, undefined), { code: 'CORRUPT_STORE' });
    assert.throws(() => undoEntry(chunk, key, new Uint8Array(101)), { code: 'CORRUPT_STORE' });
    assert.throws(() => undoEntry(chunk.subarray(0, chunk.length - 1), key, after), {
      code: 'CORRUPT_STORE',
    });
  });

  it('chunks accounts by the first nibble of the address', () => {
    const a = new Uint8Array(20).fill(0x31);
    const b = new Uint8Array(20).fill(0x3f);
    const c = new Uint8Array(20).fill(0xa0);
    const chunks = encodeUndoChunks(UNDO_ACCOUNT, [
      [a, new Uint8Array(40)],
      [b, undefined],
      [c, new Uint8Array(40).fill(9)],
    ]);
    assert.deepEqual(
      chunks.map(([chunk]) => chunk),
      [3, 10],
    );
    assert.deepEqual(undoEntry(chunks[0][1], b, new Uint8Array(40)), { before: undefined });
    assert.deepEqual(undoEntry(chunks[1][1], c, undefined)?.before, new Uint8Array(40).fill(9));
  });
});
