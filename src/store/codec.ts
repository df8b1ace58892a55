/**
 * Byte layouts of store keys and values (docs/FORMATS.md, "Store"). Keys are big-endian
 * so lmdb's byte order is numeric order; account history keys invert height and index so
 * a forward scan yields newest first.
 */
import { equalBytes, readUintBE, writeUintBE } from '../crypto/bytes.js';
import { ACCOUNT_BYTES, writeAccount } from '../state/accounts.js';
import type { Account, Receipt } from '../state/types.js';
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

export const TX_LOCATION_BYTES = 12;
export const HISTORY_KEY_BYTES = 32;

/** Where a transaction sits: 8-byte height || 4-byte index. */
export function encodeTxLocation(height: number, index: number): Uint8Array {
  const out = new Uint8Array(TX_LOCATION_BYTES);
  writeTxLocation(new DataView(out.buffer), 0, height, index);
  return out;
}

function writeTxLocation(view: DataView, at: number, height: number, index: number): void {
  view.setUint32(at, Math.floor(height / 0x100000000));
  view.setUint32(at + 4, height >>> 0);
  view.setUint32(at + 8, index);
}

export function decodeTxLocation(bytes: Uint8Array): { height: number; index: number } {
  if (bytes.length !== 12) throw new StoreError('CORRUPT_STORE', 'tx location must be 12 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { height: Number(view.getBigUint64(0)), index: view.getUint32(8) };
}

/** address(20) || (2^64-1-height)(8) || (2^32-1-index)(4): newest first under a forward scan. */
export function historyKey(address: Uint8Array, height: number, index: number): Uint8Array {
  const out = new Uint8Array(HISTORY_KEY_BYTES);
  writeHistoryKey(out, new DataView(out.buffer), 0, address, height, index);
  return out;
}

function writeHistoryKey(
  out: Uint8Array,
  view: DataView,
  at: number,
  address: Uint8Array,
  height: number,
  index: number,
): void {
  out.set(address, at);
  // ~height as two u32 words (heights are safe integers, below 2^53).
  view.setUint32(at + 20, ~Math.floor(height / 0x100000000) >>> 0);
  view.setUint32(at + 24, ~(height >>> 0) >>> 0);
  view.setUint32(at + 28, ~index >>> 0);
}

/**
 * The small records of one block commit, packed into one buffer in write order: for each
 * receipt its tx location, the sender's history key and (unless a self-transfer) the
 * recipient's; then each changed account's value. One allocation for the whole block.
 */
export class BlockRecords {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;

  constructor(txCount: number, accountCount: number) {
    this.bytes = new Uint8Array(
      txCount * (TX_LOCATION_BYTES + 2 * HISTORY_KEY_BYTES) + accountCount * ACCOUNT_BYTES,
    );
    this.view = new DataView(this.bytes.buffer);
  }

  addTx(receipt: Receipt, height: number, index: number): void {
    writeTxLocation(this.view, this.at, height, index);
    this.at += TX_LOCATION_BYTES;
    writeHistoryKey(this.bytes, this.view, this.at, receipt.from, height, index);
    this.at += HISTORY_KEY_BYTES;
    if (!equalBytes(receipt.from, receipt.to)) {
      writeHistoryKey(this.bytes, this.view, this.at, receipt.to, height, index);
      this.at += HISTORY_KEY_BYTES;
    }
  }

  addAccount(account: Account): void {
    writeAccount(this.view, this.at, account);
    this.at += ACCOUNT_BYTES;
  }
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
