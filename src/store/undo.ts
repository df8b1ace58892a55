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
 * A block's records are split into chunks by the first byte of the key: every node on one
 * account's path lies in at most three tree chunks (the root's, its first nibble's, its
 * first byte's) and its account in one account chunk, so a proof reads a few small values
 * per block instead of the whole block's record, and a commit writes (and later deletes) at
 * most 512 values instead of one per entry.
 *
 *   key   = height(8) || kind(1: 0 tree node, 1 account, 0xff marker) || chunk(1)
 *   chunk = entries sorted by key: keyLength(1) || key || present(1) || valueLength(2) || value
 *   marker (kind 0xff, chunk 0, empty value): the block's undo records were written whole
 */
import { heightKey } from './codec.js';
import { StoreError } from './errors.js';

export const UNDO_TREE = 0;
export const UNDO_ACCOUNT = 1;
export const UNDO_MARKER = 0xff;

/** One replaced value: `before` is undefined when the key did not exist before the block. */
export type UndoEntry = readonly [key: Uint8Array, before: Uint8Array | undefined];

export function undoKey(height: number, kind: number, chunk: number): Uint8Array {
  const out = new Uint8Array(10);
  out.set(heightKey(height), 0);
  out[8] = kind;
  out[9] = chunk;
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The chunk values of one kind of entries of one block: [chunk byte, encoded chunk]. */
export function encodeUndoChunks(entries: readonly UndoEntry[]): Array<[number, Uint8Array]> {
  const byChunk = new Map<number, UndoEntry[]>();
  for (const entry of entries) {
    const [key, before] = entry;
    if (key.length === 0 || key.length > 255 || (before && before.length > 0xffff))
      throw new StoreError('CORRUPT_STORE', 'an undo entry does not fit its encoding');
    const list = byChunk.get(key[0]);
    if (list) list.push(entry);
    else byChunk.set(key[0], [entry]);
  }
  const out: Array<[number, Uint8Array]> = [];
  for (const [chunk, list] of [...byChunk].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => compareBytes(a[0], b[0]));
    let bytes = 0;
    for (const [key, before] of list) bytes += 4 + key.length + (before?.length ?? 0);
    const value = new Uint8Array(bytes);
    const view = new DataView(value.buffer);
    let at = 0;
    for (const [key, before] of list) {
      value[at++] = key.length;
      value.set(key, at);
      at += key.length;
      value[at++] = before ? 1 : 0;
      view.setUint16(at, before?.length ?? 0);
      at += 2;
      if (before) {
        value.set(before, at);
        at += before.length;
      }
    }
    out.push([chunk, value]);
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
