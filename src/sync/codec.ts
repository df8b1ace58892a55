/**
 * Byte formats of the block-sync protocol (docs/PROTOCOL.md, "Block sync"). One stream per
 * request on `/bft-ledger/<fork>/sync/1`; every message is a frame `u32be length || body`:
 *
 *   request:   rlp([fromHeight, count])               1 <= count <= MAX_BLOCKS_PER_REQUEST
 *   response:  rlp([headHeight])                      the server's committed head, then
 *              rlp([block encoding, commit QC]) * k   heights fromHeight .. fromHeight+k-1,
 *                                                     k <= count, then the server closes
 *
 * Integers are minimal big-endian; decoding re-encodes and compares (one encoding each).
 */
import { RLP } from '@ethereumjs/rlp';
import { decodeBlock, MAX_DECODED_BLOCK_TXS } from '../chain/index.js';
import type { Block } from '../chain/types.js';
import { equalBytes } from '../crypto/bytes.js';
import { decodeRlp } from '../crypto/rlp.js';
import { SyncError } from './errors.js';

/** Blocks one request may ask for. */
export const MAX_BLOCKS_PER_REQUEST = 32;

export interface SyncRequest {
  fromHeight: number;
  count: number;
}

/** One served block with the QC that certifies it. */
export interface SyncItem {
  block: Block;
  /** The encoded QC certifying `block` (src/consensus codec). */
  qc: Uint8Array;
}

export interface SyncResponse {
  headHeight: number;
  items: SyncItem[];
}

function int(value: unknown, what: string): number {
  if (!(value instanceof Uint8Array)) throw new SyncError('MALFORMED', `${what} must be a byte string`);
  if (value.length > 6) throw new SyncError('MALFORMED', `${what} is too large`);
  if (value.length > 0 && value[0] === 0) throw new SyncError('MALFORMED', `${what} is not minimal`);
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

function decodeList(bytes: Uint8Array, what: string, length: number): unknown[] {
  let decoded: unknown;
  try {
    // every sync message is one flat list of `length` strings: nothing deeper or longer is decoded
    decoded = decodeRlp(bytes, { maxDepth: 1, maxItems: 1 + length });
  } catch {
    throw new SyncError('MALFORMED', `${what} is not RLP`);
  }
  if (!Array.isArray(decoded) || decoded.length !== length)
    throw new SyncError('MALFORMED', `${what} must be a list of ${length}`);
  return decoded;
}

export function encodeSyncRequest(r: SyncRequest): Uint8Array {
  return RLP.encode([r.fromHeight, r.count]);
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  const [from, count] = decodeList(bytes, 'sync request', 2);
  const r = { fromHeight: int(from, 'fromHeight'), count: int(count, 'count') };
  if (r.fromHeight < 1) throw new SyncError('MALFORMED', 'fromHeight must be at least 1');
  if (r.count < 1 || r.count > MAX_BLOCKS_PER_REQUEST)
    throw new SyncError('MALFORMED', `count ${r.count} is not in 1..${MAX_BLOCKS_PER_REQUEST}`);
  if (!equalBytes(encodeSyncRequest(r), bytes))
    throw new SyncError('MALFORMED', 'sync request is not canonical');
  return r;
}

export function encodeSyncStatus(headHeight: number): Uint8Array {
  return RLP.encode([headHeight]);
}

export function decodeSyncStatus(bytes: Uint8Array): number {
  const [head] = decodeList(bytes, 'sync status', 1);
  const h = int(head, 'headHeight');
  if (!equalBytes(encodeSyncStatus(h), bytes))
    throw new SyncError('MALFORMED', 'sync status is not canonical');
  return h;
}

/** `blockBytes` is the canonical block encoding (as stored), `qc` the encoded commit QC. */
export function encodeSyncItem(blockBytes: Uint8Array, qc: Uint8Array): Uint8Array {
  return RLP.encode([blockBytes, qc]);
}

/**
 * `maxBlockTxs` is the chain's limit (genesis): a peer's block claiming more is refused
 * while its RLP shape is checked, before any of it is decoded (the default, the largest
 * limit a genesis may set, is for callers without a chain).
 */
export function decodeSyncItem(bytes: Uint8Array, maxBlockTxs = MAX_DECODED_BLOCK_TXS): SyncItem {
  const [blockBytes, qc] = decodeList(bytes, 'sync item', 2);
  if (!(blockBytes instanceof Uint8Array) || !(qc instanceof Uint8Array))
    throw new SyncError('MALFORMED', 'a sync item holds two byte strings');
  if (!equalBytes(RLP.encode([blockBytes, qc]), bytes))
    throw new SyncError('MALFORMED', 'sync item is not canonical');
  let block: Block;
  try {
    block = decodeBlock(blockBytes, maxBlockTxs);
  } catch (err) {
    throw new SyncError('MALFORMED', `block does not decode: ${(err as Error).message}`, { cause: err });
  }
  return { block, qc };
}

/** The response's frames in order: status, then one per item. */
export function decodeSyncResponse(
  frames: readonly Uint8Array[],
  request: SyncRequest,
  maxBlockTxs = MAX_DECODED_BLOCK_TXS,
): SyncResponse {
  if (frames.length === 0) throw new SyncError('MALFORMED', 'empty sync response');
  // [range] never more blocks than asked for
  if (frames.length - 1 > request.count)
    throw new SyncError('WRONG_RANGE', `${frames.length - 1} blocks for a request of ${request.count}`);
  const headHeight = decodeSyncStatus(frames[0]);
  const items = frames.slice(1).map((frame) => decodeSyncItem(frame, maxBlockTxs));
  items.forEach((item, i) => {
    // [range] the blocks are the requested heights, in order
    if (item.block.header.height !== request.fromHeight + i)
      throw new SyncError(
        'WRONG_RANGE',
        `block ${i} of the response has height ${item.block.header.height}, not ${request.fromHeight + i}`,
      );
  });
  return { headHeight, items };
}
