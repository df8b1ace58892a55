/**
 * One sender's pending transactions, sorted by nonce (one per nonce), with the running
 * totals that the bounds and the funds rule need. At most maxPerSender entries, so plain
 * arrays with binary search.
 */
import type { Address } from '../crypto/keys.js';
import type { VerifiedTransfer } from '../tx/index.js';

export interface PoolEntry {
  tx: VerifiedTransfer;
  /** 0x-hex of tx.hash: the pool's key. */
  key: string;
  /** addressKey(tx.from). */
  sender: string;
  /** raw.length: what the pool's byte bounds count. */
  size: number;
  /** What the raw tx adds to an encoded block: raw plus its RLP string prefix. */
  blockBytes: number;
  /** value + gasLimit x maxFeePerGas: the most the tx can cost, what funds are checked against. */
  maxCost: bigint;
  /** value + 21000 x effectiveGasPrice: what executing it takes from the sender. */
  debit: bigint;
  /** Effective tip per gas at the fixed base fee: the proposer's income, the selection order. */
  tip: bigint;
  /** The pool's clock at admission: a queued entry's age. */
  admittedAtMs: number;
  /** Admission order in this pool, from 1: the key of the newest-first listing. */
  seq: number;
  /**
   * Admitted through this node's API (it answered 202 and journaled it): never displaced to
   * make room for another transaction (admission.ts says why).
   */
  local: boolean;
}

export class SenderQueue {
  readonly entries: PoolEntry[] = [];
  bytes = 0;
  /** Sum of maxCost over entries; admission keeps it <= the committed balance. */
  cost = 0n;
  /**
   * Entries [0, executable) are pending: consecutive nonces from the committed nonce. The
   * rest are queued behind a gap. Set by `classify`, after every change of the entries or
   * of the committed nonce.
   */
  executable = 0;
  /** The queued count as the pool's total last counted it (see `settle`). */
  countedQueued = 0;

  constructor(readonly address: Address) {}

  get length(): number {
    return this.entries.length;
  }

  /** Entries behind a gap (after `classify`). */
  get queued(): number {
    return this.entries.length - this.executable;
  }

  /** Recomputes which entries are pending against the committed nonce `nonce`. */
  classify(nonce: bigint): void {
    this.executable =
      this.entries.length > 0 && this.entries[0].tx.nonce === nonce ? this.contiguousFrom(nonce) : 0;
  }

  /** The change in `queued` since the last call: what the pool's total must add. */
  settle(): number {
    const delta = this.queued - this.countedQueued;
    this.countedQueued = this.queued;
    return delta;
  }

  /** Index of the first entry with nonce >= `nonce` (entries.length when none). */
  lowerBound(nonce: bigint): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].tx.nonce < nonce) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(nonce: bigint): PoolEntry | undefined {
    const entry = this.entries[this.lowerBound(nonce)];
    return entry !== undefined && entry.tx.nonce === nonce ? entry : undefined;
  }

  /** Inserts `entry`, or swaps it for the entry of the same nonce, which is returned. */
  put(entry: PoolEntry): PoolEntry | undefined {
    const i = this.lowerBound(entry.tx.nonce);
    const old = this.entries[i];
    const replaced = old !== undefined && old.tx.nonce === entry.tx.nonce ? old : undefined;
    if (replaced) {
      this.entries[i] = entry;
      this.account(replaced, -1);
    } else {
      this.entries.splice(i, 0, entry);
    }
    this.account(entry, 1);
    return replaced;
  }

  /** Removes and returns the entries from index `from` on. */
  removeFrom(from: number): PoolEntry[] {
    const removed = this.entries.splice(from);
    for (const entry of removed) this.account(entry, -1);
    return removed;
  }

  /** Removes and returns the entries with nonce < `nonce`. */
  removeBelow(nonce: bigint): PoolEntry[] {
    const removed = this.entries.splice(0, this.lowerBound(nonce));
    for (const entry of removed) this.account(entry, -1);
    return removed;
  }

  remove(entry: PoolEntry): boolean {
    const i = this.lowerBound(entry.tx.nonce);
    if (this.entries[i] !== entry) return false;
    this.entries.splice(i, 1);
    this.account(entry, -1);
    return true;
  }

  /** Number of entries with consecutive nonces starting exactly at `nonce`. */
  contiguousFrom(nonce: bigint): number {
    let i = this.lowerBound(nonce);
    let expected = nonce;
    let count = 0;
    while (i < this.entries.length && this.entries[i].tx.nonce === expected) {
      count++;
      i++;
      expected++;
    }
    return count;
  }

  private account(entry: PoolEntry, sign: 1 | -1): void {
    this.bytes += sign * entry.size;
    this.cost += sign === 1 ? entry.maxCost : -entry.maxCost;
  }
}
