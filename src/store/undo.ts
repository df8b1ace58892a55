/**
 * Undo records: what a committed block replaced, so the store can read the account tree and
 * the accounts as they were a few blocks ago (account proofs at recent committed heights,
 * docs/FORMATS.md "Account proofs at committed heights").
 *
 * The tree addresses its nodes by nibble path and keeps only the latest version, so older
 * versions cannot be kept by delaying deletes: a later block overwrites the same key. Each
 * block instead records, for every tree node it wrote or deleted and every account it
 * changed, the value before it (or its absence). Reading height h then layers the records
 * of blocks h+1..head, lowest height winning, over the current buckets.
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
 *           keyLength(1) || key || present(1) || valueLength(2) || value
 *   marker (kind 0xff, chunk 0, empty value): the block's undo records were written whole
 */
import { heightKey } from './codec.js';
import { StoreError } from './errors.js';

export const UNDO_TREE = 0;
export const UNDO_ACCOUNT = 1;
export const UNDO_MARKER = 0xff;

/** The tree chunk of the root and its children (node paths of 0 or 1 nibble). */
export const UNDO_TREE_TOP_CHUNK = 16;

/** One replaced value: `before` is undefined when the key did not exist before the block. */
export type UndoEntry = readonly [key: Uint8Array, before: Uint8Array | undefined];

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
  for (let i = 0; i < entries.length; i++) {
    const [key, before] = entries[i];
    if (key.length === 0 || key.length > 255 || (before && before.length > 0xffff))
      throw new StoreError('CORRUPT_STORE', 'an undo entry does not fit its encoding');
    const chunk = undoChunkOf(kind, key);
    chunks[i] = chunk;
    const bytes = 4 + key.length + (before === undefined ? 0 : before.length);
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
    const [key, before] = entries[i];
    let at = starts[chunks[i]];
    buffer[at++] = key.length;
    buffer.set(key, at);
    at += key.length;
    if (before === undefined) {
      buffer[at] = 0;
      view.setUint16(at + 1, 0);
      at += 3;
    } else {
      buffer[at] = 1;
      view.setUint16(at + 1, before.length);
      at += 3;
      buffer.set(before, at);
      at += before.length;
    }
    starts[chunks[i]] = at;
  }
  return out;
}

/** Calls `visit` with each entry of an encoded chunk (views into `chunk`). */
export function forEachUndoEntry(
  chunk: Uint8Array,
  visit: (key: Uint8Array, before: Uint8Array | undefined) => void,
): void {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = 0;
  while (at < chunk.length) {
    const keyLength = chunk[at++];
    if (at + keyLength + 3 > chunk.length) throw new StoreError('CORRUPT_STORE', 'undo chunk is truncated');
    const key = chunk.subarray(at, at + keyLength);
    at += keyLength;
    const present = chunk[at++] === 1;
    const length = view.getUint16(at);
    at += 2;
    if (at + length > chunk.length) throw new StoreError('CORRUPT_STORE', 'undo chunk is truncated');
    visit(key, present ? chunk.subarray(at, at + length) : undefined);
    at += length;
  }
}

/**
 * The entry for `key` in an encoded chunk: { before } (before undefined: the key was absent
 * before the block), or undefined when the chunk has no entry for the key.
 */
export function findUndoEntry(
  chunk: Uint8Array,
  key: Uint8Array,
): { before: Uint8Array | undefined } | undefined {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = 0;
  while (at < chunk.length) {
    const keyLength = chunk[at];
    if (at + 1 + keyLength + 3 > chunk.length)
      throw new StoreError('CORRUPT_STORE', 'undo chunk is truncated');
    const valueAt = at + 1 + keyLength + 3;
    const length = view.getUint16(valueAt - 2);
    if (valueAt + length > chunk.length) throw new StoreError('CORRUPT_STORE', 'undo chunk is truncated');
    if (keyLength === key.length) {
      let same = true;
      for (let i = 0; i < keyLength; i++)
        if (chunk[at + 1 + i] !== key[i]) {
          same = false;
          break;
        }
      if (same)
        return { before: chunk[valueAt - 3] === 1 ? chunk.subarray(valueAt, valueAt + length) : undefined };
    }
    at = valueAt + length;
  }
  return undefined;
}
