/**
 * Byte layouts of store keys and values (docs/FORMATS.md, "Store"). Keys are big-endian
 * so lmdb's byte order is numeric order; account history keys invert height and index so
 * a forward scan yields newest first.
 */
import { equalBytes, readUintBE, writeUintBE } from '../crypto/bytes.js';
import { ACCOUNT_BYTES, writeAccount } from '../state/accounts.js';
import type { Account, Receipt } from '../state/types.js';
import type { TransferFields } from '../tx/types.js';
import { StoreError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffff;

export function heightKey(height: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(height));
  return out;
}

export function readHeight(bytes: Uint8Array, offset = 0): number {
  if (offset + 8 > bytes.length) throw new StoreError('CORRUPT_STORE', 'a stored height is truncated');
  return safeInteger(
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset),
    'height',
  );
}

/**
 * A stored u64 that the code holds as a number: above 2^53 it could only come from a
 * damaged record, and as a double it would silently read as another value.
 */
function safeInteger(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new StoreError('CORRUPT_STORE', `a stored ${what} is above 2^53`);
  return Number(value);
}

/** A Uint8Array view of `bytes` (a Buffer's `slice` shares memory; a Uint8Array's copies). */
function plain(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
  if (bytes.length !== TX_LOCATION_BYTES)
    throw new StoreError('CORRUPT_STORE', 'tx location must be 12 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { height: safeInteger(view.getBigUint64(0), 'height'), index: view.getUint32(8) };
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

/** The signed fields of a transfer that its record keeps (the sender is the receipt's). */
export type IndexedTransfer = Pick<
  TransferFields,
  'nonce' | 'value' | 'gasLimit' | 'maxFeePerGas' | 'maxPriorityFeePerGas'
>;

/**
 * A committed transaction's record (bucket txRecords), 256 bytes:
 * txHash(32) || from(20) || to(20) || value(32) || nonce(8) || gasLimit(8) ||
 * maxFeePerGas(32) || maxPriorityFeePerGas(32) || gasUsed(8) || effectiveGasPrice(32) || fee(32).
 * Everything a history or block page shows, so such a page never decodes a block, and the
 * transaction's receipt (its status is always 1), so receipts are not stored a second time.
 */
export const TX_RECORD_BYTES = 256;

export interface TxRecord {
  height: number;
  index: number;
  txHash: Uint8Array;
  from: Uint8Array;
  to: Uint8Array;
  value: bigint;
  nonce: bigint;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  fee: bigint;
}

const U64_LIMIT = 1n << 64n;

/**
 * A u256 into a FRESH (zeroed) buffer: amounts below 2^64 (most fees and values) take one
 * 8-byte write instead of four words of bigint shifts, on the per-transaction commit path.
 */
function writeU256Fresh(view: DataView, at: number, value: bigint): void {
  if (value >= 0n && value < U64_LIMIT) view.setBigUint64(at + 24, value);
  else writeUintBE(view, at, value, 4);
}

function writeTxRecord(
  out: Uint8Array,
  view: DataView,
  at: number,
  receipt: Receipt,
  transfer: IndexedTransfer,
): void {
  out.set(receipt.txHash, at);
  out.set(receipt.from, at + 32);
  out.set(receipt.to, at + 52);
  writeU256Fresh(view, at + 72, transfer.value);
  view.setBigUint64(at + 104, transfer.nonce);
  view.setBigUint64(at + 112, transfer.gasLimit);
  writeU256Fresh(view, at + 120, transfer.maxFeePerGas);
  writeU256Fresh(view, at + 152, transfer.maxPriorityFeePerGas);
  view.setBigUint64(at + 184, receipt.gasUsed);
  writeU256Fresh(view, at + 192, receipt.effectiveGasPrice);
  writeU256Fresh(view, at + 224, receipt.fee);
}

/**
 * Transactions per txRecords value: a block's records are stored in groups of consecutive
 * indexes, each group one value that fills one 4 KB lmdb overflow page (15 x 256 bytes plus
 * the page header), so a commit writes one value per 15 transactions instead of one per
 * transaction, and a reader copies at most one page to read one record.
 */
export const TX_RECORDS_PER_GROUP = 15;

/** The txRecords key of the group holding transaction `index` of block `height`. */
export function txRecordGroupKey(height: number, index: number): Uint8Array {
  return encodeTxLocation(height, index - (index % TX_RECORDS_PER_GROUP));
}

/**
 * Decodes the record at `offset` of a txRecords group value, the transaction at
 * (`height`, `index`); undefined when the group holds no record there.
 */
export function decodeTxRecord(
  height: number,
  index: number,
  group: Uint8Array,
  offset: number,
): TxRecord | undefined {
  if (group.length % TX_RECORD_BYTES !== 0 || group.length > TX_RECORDS_PER_GROUP * TX_RECORD_BYTES)
    throw new StoreError('CORRUPT_STORE', 'tx record group has a bad length');
  if (offset + TX_RECORD_BYTES > group.length) return undefined;
  // a plain view: Buffer's slice would not copy, and lmdb-js reuses the buffer it read into
  const value = plain(group);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const at = offset;
  // no object spread here: V8 built this literal after a spread in a slow path, 15x the
  // cost of the rest of the decode, and a history or block page decodes one per row
  return {
    height,
    index,
    txHash: value.slice(at, at + 32),
    from: value.slice(at + 32, at + 52),
    to: value.slice(at + 52, at + 72),
    value: readUintBE(view, at + 72, 4),
    nonce: view.getBigUint64(at + 104),
    gasLimit: view.getBigUint64(at + 112),
    maxFeePerGas: readUintBE(view, at + 120, 4),
    maxPriorityFeePerGas: readUintBE(view, at + 152, 4),
    gasUsed: view.getBigUint64(at + 184),
    effectiveGasPrice: readUintBE(view, at + 192, 4),
    fee: readUintBE(view, at + 224, 4),
  };
}

/** The receipt a tx record carries (every committed transaction's status is 1). */
export function receiptOfRecord(record: TxRecord): Receipt {
  return {
    txHash: record.txHash,
    from: record.from,
    to: record.to,
    status: 1,
    gasUsed: record.gasUsed,
    effectiveGasPrice: record.effectiveGasPrice,
    fee: record.fee,
  };
}

/**
 * A block's summary (bucket summaries), 196 bytes: hash(32) || parentHash(32) || round(8) ||
 * timestampMs(8) || proposer(20) || txCount(4) || sizeBytes(4) || gasUsed(8) || fees(32) ||
 * burned(32) || totalTxs(8) || totalAccounts(8). The totals run from genesis up to and
 * including this block, so /stats and block lists never decode a block.
 */
export const SUMMARY_BYTES = 196;

export interface StoredSummary {
  height: number;
  hash: Uint8Array;
  parentHash: Uint8Array;
  round: number;
  timestampMs: number;
  proposer: Uint8Array;
  txCount: number;
  sizeBytes: number;
  gasUsed: bigint;
  fees: bigint;
  burned: bigint;
  /** Transactions committed up to and including this block. */
  totalTxs: number;
  /** Accounts ever created up to and including this block (genesis allocations count). */
  totalAccounts: number;
}

export function encodeSummary(s: Omit<StoredSummary, 'height'>): Uint8Array {
  const out = new Uint8Array(SUMMARY_BYTES);
  const view = new DataView(out.buffer);
  out.set(s.hash, 0);
  out.set(s.parentHash, 32);
  view.setBigUint64(64, BigInt(s.round));
  view.setBigUint64(72, BigInt(s.timestampMs));
  out.set(s.proposer, 80);
  view.setUint32(100, s.txCount);
  view.setUint32(104, s.sizeBytes);
  view.setBigUint64(108, s.gasUsed);
  writeUintBE(view, 116, s.fees, 4);
  writeUintBE(view, 148, s.burned, 4);
  view.setBigUint64(180, BigInt(s.totalTxs));
  view.setBigUint64(188, BigInt(s.totalAccounts));
  return out;
}

export function decodeSummary(height: number, stored: Uint8Array): StoredSummary {
  if (stored.length !== SUMMARY_BYTES)
    throw new StoreError('CORRUPT_STORE', 'block summary has a bad length');
  const bytes = plain(stored);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    height,
    hash: bytes.slice(0, 32),
    parentHash: bytes.slice(32, 64),
    round: safeInteger(view.getBigUint64(64), 'round'),
    timestampMs: safeInteger(view.getBigUint64(72), 'timestamp'),
    proposer: bytes.slice(80, 100),
    txCount: view.getUint32(100),
    sizeBytes: view.getUint32(104),
    gasUsed: view.getBigUint64(108),
    fees: readUintBE(view, 116, 4),
    burned: readUintBE(view, 148, 4),
    totalTxs: safeInteger(view.getBigUint64(180), 'transaction total'),
    totalAccounts: safeInteger(view.getBigUint64(188), 'account total'),
  };
}

/** One record of a commit batch: key and value, views of BlockRecords' buffer. */
export type StoreRecord = [key: Uint8Array, value: Uint8Array];

/**
 * The small records of one block commit, packed into one buffer: for each transaction its
 * location (the value under its hash in `txs`) and the history keys of its sender and
 * (unless a self-transfer) its recipient, whose value is the tx hash inside its record; the
 * keys of the tx record groups; the tx records back to back, so a group is one view; each
 * changed account's value. One allocation for the whole block, and lmdb-js resolves the
 * address of one ArrayBuffer instead of one per record.
 */
export class BlockRecords {
  /** txHash -> location. */
  readonly txs: StoreRecord[] = [];
  /** history key -> txHash. */
  readonly history: StoreRecord[] = [];
  /** group key -> the group's records, keys ascending. */
  readonly txRecordGroups: StoreRecord[] = [];
  /** address -> account. */
  readonly accounts: StoreRecord[] = [];
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly recordsAt: number;
  /** Where the next transaction's location and history keys go. */
  private at = 0;
  /** Where the next account value goes (after the records). */
  private accountsAt: number;

  constructor(
    private readonly height: number,
    txCount: number,
    accountCount: number,
  ) {
    const groups = Math.ceil(txCount / TX_RECORDS_PER_GROUP);
    const keysBytes = txCount * (TX_LOCATION_BYTES + 2 * HISTORY_KEY_BYTES) + groups * TX_LOCATION_BYTES;
    this.recordsAt = keysBytes;
    this.bytes = new Uint8Array(keysBytes + txCount * TX_RECORD_BYTES + accountCount * ACCOUNT_BYTES);
    this.view = new DataView(this.bytes.buffer);
    for (let g = 0; g < groups; g++) {
      const first = g * TX_RECORDS_PER_GROUP;
      const last = Math.min(txCount, first + TX_RECORDS_PER_GROUP);
      writeTxLocation(this.view, this.at, height, first);
      this.txRecordGroups.push([
        this.bytes.subarray(this.at, this.at + TX_LOCATION_BYTES),
        this.bytes.subarray(
          this.recordsAt + first * TX_RECORD_BYTES,
          this.recordsAt + last * TX_RECORD_BYTES,
        ),
      ]);
      this.at += TX_LOCATION_BYTES;
    }
    this.accountsAt = this.recordsAt + txCount * TX_RECORD_BYTES;
  }

  /** Adds transaction `index` (call in index order, each index once). */
  addTx(receipt: Receipt, transfer: IndexedTransfer, index: number): void {
    const { bytes, view, height } = this;
    const recordAt = this.recordsAt + index * TX_RECORD_BYTES;
    writeTxRecord(bytes, view, recordAt, receipt, transfer);
    const txHash = bytes.subarray(recordAt, recordAt + 32);
    let at = this.at;
    writeTxLocation(view, at, height, index);
    this.txs.push([txHash, bytes.subarray(at, at + TX_LOCATION_BYTES)]);
    at += TX_LOCATION_BYTES;
    writeHistoryKey(bytes, view, at, receipt.from, height, index);
    this.history.push([bytes.subarray(at, at + HISTORY_KEY_BYTES), txHash]);
    at += HISTORY_KEY_BYTES;
    if (!equalBytes(receipt.from, receipt.to)) {
      writeHistoryKey(bytes, view, at, receipt.to, height, index);
      this.history.push([bytes.subarray(at, at + HISTORY_KEY_BYTES), txHash]);
      at += HISTORY_KEY_BYTES;
    }
    this.at = at;
  }

  addAccount(address: Uint8Array, account: Account): void {
    const at = this.accountsAt;
    writeAccount(this.view, at, account);
    this.accounts.push([address, this.bytes.subarray(at, at + ACCOUNT_BYTES)]);
    this.accountsAt = at + ACCOUNT_BYTES;
  }
}

export function decodeHistoryKey(key: Uint8Array): { height: number; index: number } {
  if (key.length !== HISTORY_KEY_BYTES)
    throw new StoreError('CORRUPT_STORE', `a history key must be ${HISTORY_KEY_BYTES} bytes`);
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return {
    height: safeInteger(U64_MAX - view.getBigUint64(20), 'height'),
    index: U32_MAX - view.getUint32(28),
  };
}
