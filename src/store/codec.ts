/**
 * Byte layouts of store keys and values (docs/FORMATS.md, "Store"). Keys are big-endian
 * so lmdb's byte order is numeric order; account history keys invert height and index so
 * a forward scan yields newest first.
 */
import { RLP } from '@ethereumjs/rlp';
import { bigintToBytes, bytesToBigint } from '../crypto/bytes.js';
import type { Receipt } from '../state/types.js';
import { StoreError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffff;

export function heightKey(height: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(height));
  return out;
}

export function readHeight(bytes: Uint8Array, offset = 0): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset));
}

/** Where a transaction sits: 8-byte height || 4-byte index. */
export function encodeTxLocation(height: number, index: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(height));
  view.setUint32(8, index);
  return out;
}

export function decodeTxLocation(bytes: Uint8Array): { height: number; index: number } {
  if (bytes.length !== 12) throw new StoreError('CORRUPT_STORE', 'tx location must be 12 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { height: Number(view.getBigUint64(0)), index: view.getUint32(8) };
}

/** address(20) || (2^64-1-height)(8) || (2^32-1-index)(4): newest first under a forward scan. */
export function historyKey(address: Uint8Array, height: number, index: number): Uint8Array {
  const out = new Uint8Array(32);
  out.set(address, 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(20, U64_MAX - BigInt(height));
  view.setUint32(28, U32_MAX - index);
  return out;
}

export function decodeHistoryKey(key: Uint8Array): { height: number; index: number } {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return { height: Number(U64_MAX - view.getBigUint64(20)), index: U32_MAX - view.getUint32(28) };
}

export function encodeReceipts(receipts: readonly Receipt[]): Uint8Array {
  return RLP.encode(
    receipts.map((r) => [
      r.txHash,
      r.from,
      r.to,
      bigintToBytes(BigInt(r.status)),
      bigintToBytes(r.gasUsed),
      bigintToBytes(r.effectiveGasPrice),
      bigintToBytes(r.fee),
    ]),
  );
}

export function decodeReceipts(bytes: Uint8Array): Receipt[] {
  const list = RLP.decode(bytes) as Uint8Array[][];
  return list.map((f) => ({
    txHash: f[0],
    from: f[1],
    to: f[2],
    status: 1,
    gasUsed: bytesToBigint(f[4]),
    effectiveGasPrice: bytesToBigint(f[5]),
    fee: bytesToBigint(f[6]),
  }));
}
