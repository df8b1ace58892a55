/**
 * Byte layouts of store keys and values (docs/FORMATS.md, "Store"). Keys are big-endian
 * so lmdb's byte order is numeric order; account history keys invert height and index so
 * a forward scan yields newest first.
 */
import { readUintBE, writeUintBE } from '../crypto/bytes.js';
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

/**
 * A block's receipts as fixed-width records, 145 bytes each:
 * txHash(32) || from(20) || to(20) || status(1) || gasUsed(8) || effectiveGasPrice(32) || fee(32).
 * Fixed width instead of RLP: no bigint-to-hex conversions on the commit path.
 */
const RECEIPT_BYTES = 145;

export function encodeReceipts(receipts: readonly Receipt[]): Uint8Array {
  const out = new Uint8Array(receipts.length * RECEIPT_BYTES);
  const view = new DataView(out.buffer);
  receipts.forEach((r, i) => {
    const at = i * RECEIPT_BYTES;
    out.set(r.txHash, at);
    out.set(r.from, at + 32);
    out.set(r.to, at + 52);
    out[at + 72] = r.status;
    view.setBigUint64(at + 73, r.gasUsed);
    writeUintBE(view, at + 81, r.effectiveGasPrice, 4);
    writeUintBE(view, at + 113, r.fee, 4);
  });
  return out;
}

export function decodeReceipts(bytes: Uint8Array): Receipt[] {
  if (bytes.length % RECEIPT_BYTES !== 0)
    throw new StoreError('CORRUPT_STORE', 'receipts record has a bad length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const receipts: Receipt[] = [];
  for (let at = 0; at < bytes.length; at += RECEIPT_BYTES) {
    if (bytes[at + 72] !== 1) throw new StoreError('CORRUPT_STORE', 'receipt status must be 1');
    receipts.push({
      txHash: bytes.slice(at, at + 32),
      from: bytes.slice(at + 32, at + 52),
      to: bytes.slice(at + 52, at + 72),
      status: 1,
      gasUsed: view.getBigUint64(at + 73),
      effectiveGasPrice: readUintBE(view, at + 81, 4),
      fee: readUintBE(view, at + 113, 4),
    });
  }
  return receipts;
}
