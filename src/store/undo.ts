/**
 * Undo records: what a committed block replaced, so the store can read the account tree and
 * the accounts as they were a few blocks ago (account proofs at recent committed heights,
 * docs/FORMATS.md "Account proofs at committed heights").
 *
 * The tree addresses its nodes by nibble path and keeps only the latest version, so older
 * versions cannot be kept by delaying deletes: a later block overwrites the same key. Each
 * block instead records, for every tree node it wrote or deleted and every account it
 * changed, the value before it (or its absence). Reading height h then starts from the
 * current buckets and undoes blocks head, head - 1, .., h + 1 in turn.
 *
 * A node a block rewrites keeps its layout in almost every case (the same children, one
 * leaf's value hash and the digests above it changed), so such a node's record is a word
 * diff: which 32-byte words of the node differ and their old bytes, about a quarter of the
 * old node. Undoing it needs the node as the block wrote it, which is why a read undoes the
 * blocks in turn from the head down.
 *
 * A block's records are split into a few chunks: tree nodes by the first nibble of their
 * path, except the root and its children (every block rewrites them), which have a chunk of
 * their own; accounts by the first nibble of the address. One account's path lies in two
 * tree chunks and its account in one, so a proof reads three values per block, and a
 * commit writes (and later deletes) at most 33 values: a put costs lmdb's writer and the
 * main thread about as much as a few kilobytes of value, so fewer, larger chunks are
 * cheaper to write than one per key byte.
 *
 *   key   = height(8) || kind(1: 0 tree node, 1 account, 0xff marker) || chunk(1)
 *   chunk = entries, in the order the block produced them:
 *           keyLength(1) || key || form(1) || valueLength(2) || value
 *   form  = 0 absent before the block (no value), 1 the whole value before the block,
 *           2 word diff against the value the block wrote (same length, same first
 *           length mod 32 bytes): the length (2), a bitmap of the 32-byte words after
 *           those bytes, bit i (byte i >> 3, bit 7 - (i & 7)) set when word i differs,
 *           then the old words
 *   marker (kind 0xff, chunk 0, empty value): the block's undo records were written whole
 */
import { heightKey } from './codec.js';
import { StoreError } from './errors.js';

export const UNDO_TREE = 0;
export const UNDO_ACCOUNT = 1;
export const UNDO_MARKER = 0xff;

/** The tree chunk of the root and its children (node paths of 0 or 1 nibble). */
export const UNDO_TREE_TOP_CHUNK = 16;

/**
 * One replaced value: `before` is undefined when the key did not exist before the block;
 * `after`, when given, is what the block wrote, which lets the record be a word diff.
 */
export type UndoEntry = readonly [key: Uint8Array, before: Uint8Array | undefined, after?: Uint8Array];

const ABSENT = 0;
const WHOLE = 1;
const WORD_DIFF = 2;

/**
 * The bytes of the word diff of `before` against `after` (form 2), or -1 when it does not
 * apply (another length or other leading bytes) or saves nothing. Writes the diff at `at`
 * of `out` when `out` is given; without it, only measures.
 */
function wordDiff(before: Uint8Array, after: Uint8Array, out?: Uint8Array, at = 0): number {
  const length = before.length;
  if (after.length !== length) return -1;
  const head = length % 32;
  for (let i = 0; i < head; i++) if (before[i] !== after[i]) return -1;
  const words = (length - head) >> 5;
  const bitmapAt = at + 2;
  const bitmapBytes = (words + 7) >> 3;
  let bytes = 2 + bitmapBytes;
  let w = bitmapAt + bitmapBytes;
  if (out !== undefined) {
    out[at] = length >> 8;
    out[at + 1] = length & 0xff;
    out.fill(0, bitmapAt, bitmapAt + bitmapBytes);
  }
  for (let word = 0; word < words; word++) {
    const start = head + (word << 5);
    let same = true;
    for (let i = start; i < start + 32; i++)
      if (before[i] !== after[i]) {
        same = false;
        break;
      }
    if (same) continue;
    bytes += 32;
    if (out !== undefined) {
      out[bitmapAt + (word >> 3)] |= 0x80 >> (word & 7);
      out.set(before.subarray(start, start + 32), w);
      w += 32;
    }
  }
  return bytes < length ? bytes : -1;
}

/** The value before a word diff: `after` (the value the block wrote) with the old words put back. */
function undoWordDiff(diff: Uint8Array, after: Uint8Array | undefined): Uint8Array {
  if (after === undefined || diff.length < 2 || ((diff[0] << 8) | diff[1]) !== after.length)
    throw new StoreError('CORRUPT_STORE', 'an undo diff does not match the value it applies to');
  const head = after.length % 32;
  const words = (after.length - head) >> 5;
  const bitmapBytes = (words + 7) >> 3;
  const out = after.slice();
  let at = 2 + bitmapBytes;
  for (let word = 0; word < words; word++) {
    if ((diff[2 + (word >> 3)] & (0x80 >> (word & 7))) === 0) continue;
    if (at + 32 > diff.length) throw new StoreError('CORRUPT_STORE', 'an undo diff is truncated');
    out.set(diff.subarray(at, at + 32), head + (word << 5));
    at += 32;
  }
  if (at !== diff.length)
    throw new StoreError('CORRUPT_STORE', 'an undo diff does not match the value it applies to');
  return out;
}

export function undoKey(height: number, kind: number, chunk: number): Uint8Array {
  const out = new Uint8Array(10);
  out.set(heightKey(height), 0);
  out[8] = kind;
  out[9] = chunk;
  return out;
}

/**
 * The chunk of a tree node key (nodes.ts: packed nibbles || nibble count) or of an address.
 * A node key's last byte is its nibble count.
 */
export function undoChunkOf(kind: number, key: Uint8Array): number {
  if (kind === UNDO_TREE && key[key.length - 1] <= 1) return UNDO_TREE_TOP_CHUNK;
  return key[0] >> 4;
}

/**
 * The chunk values of one kind of entries of one block, chunks ascending: [chunk, value].
 * All values are views of one buffer (one allocation, and one address for lmdb-js).
 */
export function encodeUndoChunks(kind: number, entries: readonly UndoEntry[]): Array<[number, Uint8Array]> {
  const chunkBytes = new Array<number>(UNDO_TREE_TOP_CHUNK + 1).fill(0);
  const chunks = new Uint8Array(entries.length);
  let total = 0;
  // the value bytes of each entry: -1 absent, else its whole or diffed length
  const valueBytes = new Int32Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const [key, before, after] = entries[i];
    if (key.length === 0 || key.length > 255 || (before && before.length > 0xffff))
      throw new StoreError('CORRUPT_STORE', 'an undo entry does not fit its encoding');
    const chunk = undoChunkOf(kind, key);
    chunks[i] = chunk;
    let value = -1;
    if (before !== undefined) {
      const diff = after === undefined ? -1 : wordDiff(before, after);
      value = diff >= 0 ? diff : before.length;
    }
    valueBytes[i] = value;
    const bytes = 4 + key.length + (value < 0 ? 0 : value);
    chunkBytes[chunk] += bytes;
    total += bytes;
  }
  const buffer = new Uint8Array(total);
  const view = new DataView(buffer.buffer);
  const starts = new Array<number>(chunkBytes.length);
  const out: Array<[number, Uint8Array]> = [];
  let start = 0;
  for (let chunk = 0; chunk < chunkBytes.length; chunk++) {
    starts[chunk] = start;
    if (chunkBytes[chunk] > 0) out.push([chunk, buffer.subarray(start, start + chunkBytes[chunk])]);
    start += chunkBytes[chunk];
  }
  for (let i = 0; i < entries.length; i++) {
    const [key, before, after] = entries[i];
    let at = starts[chunks[i]];
    buffer[at++] = key.length;
    buffer.set(key, at);
    at += key.length;
    const value = valueBytes[i];
    if (before === undefined) {
      buffer[at] = ABSENT;
      view.setUint16(at + 1, 0);
      at += 3;
    } else if (after !== undefined && value !== before.length) {
      buffer[at] = WORD_DIFF;
      view.setUint16(at + 1, value);
      at += 3;
      wordDiff(before, after, buffer, at);
      at += value;
    } else {
      buffer[at] = WHOLE;
      view.setUint16(at + 1, value);
      at += 3;
      buffer.set(before, at);
      at += value;
    }
    starts[chunks[i]] = at;
  }
  return out;
}

/**
 * Undoes one block's record of `key` in an encoded chunk: given the value the block left
 * (`after`, undefined when absent), returns { before } (undefined: absent before the
 * block); undefined when the chunk has no entry for the key (the block did not change it).
 */
export function undoEntry(
  chunk: Uint8Array,
  key: Uint8Array,
  after: Uint8Array | undefined,
): { before: Uint8Array | undefined } | undefined {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = 0;
  while (at < chunk.length) {
    const keyLength = chunk[at];
    const valueAt = at + 1 + keyLength + 3;
    if (valueAt > chunk.length) throw new StoreError('CORRUPT_STORE', 'undo chunk is truncated');
    const length = view.getUint16(valueAt - 2);
    if (valueAt + length > chunk.length) throw new StoreError('CORRUPT_STORE', 'undo chunk is truncated');
    let same = keyLength === key.length;
    for (let i = 0; same && i < keyLength; i++) same = chunk[at + 1 + i] === key[i];
    if (same) {
      const value = chunk.subarray(valueAt, valueAt + length);
      const form = chunk[valueAt - 3];
      if (form === ABSENT) return { before: undefined };
      if (form === WHOLE) return { before: value };
      if (form === WORD_DIFF) return { before: undoWordDiff(value, after) };
      throw new StoreError('CORRUPT_STORE', `undo entry of unknown form ${form}`);
    }
    at = valueAt + length;
  }
  return undefined;
}
