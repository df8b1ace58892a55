/**
 * The mempool: one validation gate for transactions (`add` / `addVerified`), per-sender
 * nonce-ordered queues with bounds, and block filling for the leader (`selectForBlock`).
 *
 * Pure and deterministic: the committed state, the signature backend, the clock and the
 * bounds are injected; there are no timers and no I/O. The same calls at the same clock
 * readings give the same pool, and `selectForBlock` is a function of the pool's contents.
 *
 * Pending and queued, as in geth's and Besu's pools: a sender's transactions with
 * consecutive nonces from its committed nonce are pending (selectable); those behind a gap
 * are queued. Queued ones have their own small share of the pool, in total and per sender,
 * a lifetime, and give way to pending ones and to better-paying queued ones, so senders
 * that never send their next nonce cannot fill the pool.
 *
 * Local transactions, as geth's pool keeps its locals: those this node admitted through
 * its API (`{ local: true }`) were answered 202, so they never give way to make room. A
 * queued local one waits for its gap to close (until its lifetime ends): its predecessor
 * was acknowledged by some node, which gossips it until it commits. Without this, a
 * transfer acknowledged while its predecessor was still on its way could be displaced on
 * every node and lost, and every later nonce of its sender with it.
 *
 * Invariants, kept by every method:
 * - each sender has at most one transaction per nonce, all with
 *   committed nonce <= nonce < committed nonce + maxNonceAhead;
 * - at most maxQueuedTxs queued in total and maxQueuedPerSender per sender; a local
 *   transaction is admitted (or made local) behind a gap only while fewer than
 *   maxLocalQueuedTxs local ones are; a queued transaction is never older than
 *   queuedLifetimeMs after an expiry pass;
 * - the sum of value + gasLimit x maxFeePerGas over a sender's queue never exceeds its
 *   committed balance (checked on admission, restored on commit), so every prefix of the
 *   queue can pay;
 * - count and bytes stay within the bounds, in total and per sender;
 * - every pending transaction had its sender recovered exactly once, on admission; blocks
 *   reuse that result through `get` / `lookupVerified`.
 */
import { toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/hash.js';
import type { Address } from '../crypto/keys.js';
import { defaultBackend, type SignatureBackend } from '../crypto/verifier.js';
import {
  type AccountReader,
  addressKey,
  checkTransfer,
  EMPTY_ACCOUNT,
  effectiveGasPrice,
  type StateParams,
  TRANSFER_GAS,
} from '../state/index.js';
import {
  decodeTransfer,
  MAX_TX_BYTES,
  recoverSender,
  type SignedTransfer,
  TxError,
  type VerifiedTransfer,
  withSender,
} from '../tx/index.js';
import { MempoolError, type MempoolErrorCode, STATE_CODE } from './errors.js';
import { Heap } from './heap.js';
import type {
  AddOptions,
  AddResult,
  AdmissionListener,
  CommitOutcome,
  CommittedTx,
  MempoolBlockLimits,
  MempoolComponents,
  MempoolMetrics,
  PoolTx,
  SelectOptions,
} from './interface.js';
import { type MempoolOptions, resolveOptions } from './options.js';
import { type PoolEntry, SenderQueue } from './queue.js';

/** A replacement must raise both maxFeePerGas and maxPriorityFeePerGas by at least this much. */
export const REPLACEMENT_BUMP_PERCENT = 10n;

/**
 * What a block's own RLP framing may add to the header and the raw transactions: the
 * prefixes of the outer list and of the transaction list, at most 5 bytes each below 4 GiB.
 */
export const BLOCK_FRAMING_BYTES = 10;

/** Bytes a raw tx takes inside the block's RLP list: itself plus its string prefix. */
function rlpItemBytes(length: number): number {
  // A raw tx starts with 0x02 and is longer than one byte: always a prefixed string.
  if (length < 56) return length + 1;
  return length + 1 + (length < 0x100 ? 1 : length < 0x10000 ? 2 : 3);
}

/** True when `next` may take the nonce slot of `pending` (both fee caps raised by >= 10%). */
export function outbids(next: VerifiedTransfer, pending: VerifiedTransfer): boolean {
  const scale = 100n + REPLACEMENT_BUMP_PERCENT;
  return (
    next.maxFeePerGas * 100n >= pending.maxFeePerGas * scale &&
    next.maxPriorityFeePerGas * 100n >= pending.maxPriorityFeePerGas * scale
  );
}

function asMempoolError(e: unknown): MempoolError {
  if (e instanceof MempoolError) return e;
  if (e instanceof TxError) return new MempoolError(e.code, e.message, { cause: e });
  throw e; // a bug, not a verdict: let it surface
}

/** A sender's position while a block is being filled. */
interface Cursor {
  queue: SenderQueue;
  /** Index of the sender's next candidate in queue.entries. */
  index: number;
  /** The sender's account as the block so far leaves it (credits ignored: conservative). */
  nonce: bigint;
  balance: bigint;
}

/** Selection order: higher effective tip first, then lower hash. */
function cursorBefore(a: Cursor, b: Cursor): boolean {
  const x = a.queue.entries[a.index];
  const y = b.queue.entries[b.index];
  if (x.tip !== y.tip) return x.tip > y.tip;
  return x.key < y.key;
}

export class Mempool {
  private accounts: AccountReader;
  private readonly params: StateParams;
  private readonly blockLimits: MempoolBlockLimits;
  private readonly backend: SignatureBackend;
  readonly options: Readonly<MempoolOptions>;

  private readonly byHash = new Map<string, PoolEntry>();
  private readonly senders = new Map<string, SenderQueue>();
  /** Hashes of recently committed txs, oldest first (a Set keeps insertion order). */
  private readonly recentCommitted = new Set<string>();
  private totalBytes = 0;
  /** Queued entries in the pool (sum of the queues' countedQueued). */
  private queuedTotal = 0;
  /** Senders with at least one queued entry: where expiry and displacement look. */
  private readonly gappedSenders = new Set<string>();
  /** No queued entry expires before this (a lower bound: a pass before it finds nothing). */
  private nextExpiryMs = Number.POSITIVE_INFINITY;
  private readonly now: () => number;
  /**
   * Entries in admission order (seq ascending), for the newest-first listing. Entries that
   * left the pool stay until a compaction (when they are half of it), so removal is O(1)
   * and the array holds at most twice the pool.
   */
  private byAdmission: PoolEntry[] = [];
  private leftSinceCompaction = 0;
  private nextSeq = 1;
  private readonly admissionListeners = new Set<AdmissionListener>();

  /** tx hash (0x-hex) -> recovered sender, bounded (see `recover`). */
  private readonly recoveredSenders = new Map<string, Address>();
  private readonly counters = {
    admitted: 0,
    replaced: 0,
    included: 0,
    evicted: 0,
    recoveries: 0,
    expired: 0,
    displaced: 0,
    rejected: new Map<MempoolErrorCode, number>(),
  };

  constructor(components: MempoolComponents, options: Partial<MempoolOptions> = {}) {
    this.accounts = components.accounts;
    this.params = components.params;
    this.blockLimits = components.blockLimits;
    this.backend = components.backend ?? defaultBackend();
    this.now = components.now ?? (() => 0);
    this.options = Object.freeze(resolveOptions(options));
  }

  // ---- admission ----

  /**
   * The gate for a raw transaction (HTTP, gossip): decode, dedupe, recover the sender
   * (once), then the state rules, replacement and bounds. Throws MempoolError on refusal.
   */
  add(raw: Uint8Array, options: AddOptions = {}): AddResult {
    return this.addDecoded(this.decode(raw), options);
  }

  /**
   * The first step of `add` alone, for callers that need the hash before admission (the
   * API names each outcome by it): decodeTransfer with this chain id; a refusal is
   * counted and thrown as a MempoolError.
   */
  decode(raw: Uint8Array): SignedTransfer {
    try {
      return decodeTransfer(raw, this.params.chainId);
    } catch (e) {
      const error = asMempoolError(e);
      this.countRejected(error);
      throw error;
    }
  }

  /**
   * `add` for a transaction the caller already decoded with decodeTransfer and this chain
   * id (the gossip gate and the API decode each transaction once, for their own checks).
   */
  addDecoded(signed: SignedTransfer, options: AddOptions = {}): AddResult {
    return this.gate(() => {
      // Dedupe before recovery: a re-gossiped tx costs a keccak, not a signature check.
      const key = toHex(signed.hash);
      this.checkUnknown(key);
      let tx: VerifiedTransfer;
      try {
        tx = this.recoverKeyed(signed, key);
      } catch (e) {
        throw asMempoolError(e);
      }
      return this.admit(tx, key, options.local === true);
    });
  }

  /**
   * The sender of a decoded transaction, recovered at most once per node: the sender is a
   * function of the transaction's bytes, so it is remembered by hash (bounded). Block
   * execution calls this too: a transaction that reaches a validator in a proposal before
   * its gossip batch is recovered there, and the batch then costs no second recovery.
   * Throws TxError BAD_SIGNATURE when no sender can be recovered.
   */
  recover(signed: SignedTransfer): VerifiedTransfer {
    return this.recoverKeyed(signed, toHex(signed.hash));
  }

  private recoverKeyed(signed: SignedTransfer, key: string): VerifiedTransfer {
    const from = this.recoveredSenders.get(key);
    if (from !== undefined) return withSender(signed, from);
    this.counters.recoveries++;
    const tx = recoverSender(signed, this.backend);
    if (this.recoveredSenders.size >= this.options.maxRecoveredSenders) {
      // insertion order: drop the oldest
      this.recoveredSenders.delete(this.recoveredSenders.keys().next().value!);
    }
    this.recoveredSenders.set(key, tx.from);
    return tx;
  }

  /**
   * Admits a transaction whose sender was already recovered on this node (a gossip batch
   * verified off the event loop). The caller vouches that `tx` came from decodeTransfer and
   * recoverSender with this chain id; everything after the signature is checked as in add.
   */
  addVerified(tx: VerifiedTransfer): AddResult {
    return this.gate(() => {
      if (tx.raw.length > MAX_TX_BYTES)
        throw new MempoolError('OVERSIZE', `a transaction is at most ${MAX_TX_BYTES} bytes`);
      const key = toHex(tx.hash);
      this.checkUnknown(key);
      return this.admit(tx, key, false);
    });
  }

  /** Counts the outcome of one admission; refusals are rethrown. */
  private gate(admit: () => AddResult): AddResult {
    try {
      const result = admit();
      this.counters.admitted++;
      if (result.kind === 'replaced') this.counters.replaced++;
      if (this.admissionListeners.size > 0) {
        const entry = this.byHash.get(toHex(result.tx.hash));
        // an entry admitted queued may have been promoted already; report what admission said
        if (entry) this.notifyAdmitted({ ...this.poolTxOf(entry), queued: result.queued });
      }
      return result;
    } catch (e) {
      if (e instanceof MempoolError) this.countRejected(e);
      throw e;
    }
  }

  private countRejected(e: MempoolError): void {
    this.counters.rejected.set(e.code, (this.counters.rejected.get(e.code) ?? 0) + 1);
  }

  private checkUnknown(key: string): void {
    if (this.byHash.has(key)) throw new MempoolError('ALREADY_KNOWN', `transaction ${key} is pending`);
    if (this.recentCommitted.has(key))
      throw new MempoolError('ALREADY_KNOWN', `transaction ${key} is already committed`);
  }

  /** `key`: toHex(tx.hash), which the caller has already computed for its dedupe check. */
  private admit(tx: VerifiedTransfer, key: string, local: boolean): AddResult {
    // first, so that nothing read below is removed by an expiry before the tx is placed
    this.expireQueued();
    const account = this.accounts.getAccount(tx.from) ?? EMPTY_ACCOUNT;
    const sender = addressKey(tx.from);
    const queue = this.senders.get(sender);
    const old = queue?.get(tx.nonce);
    const entry = this.entryOf(tx, sender, key, local);

    // src/state's rules (chain id, intrinsic gas, base fee, priority fee, then funds), as if
    // the sender's other queued txs ran first at their maximum cost. The nonce is checked
    // apart, as a window; rules that make the tx invalid forever are reported before it.
    const reserved = (queue?.cost ?? 0n) - (old?.maxCost ?? 0n);
    const error = checkTransfer(tx, { nonce: tx.nonce, balance: account.balance - reserved }, this.params);
    if (error && error.code !== 'INSUFFICIENT_FUNDS')
      throw new MempoolError(STATE_CODE[error.code], error.message);

    // The nonce window: below it the tx can never run, far above it it only takes room.
    if (tx.nonce < account.nonce)
      throw new MempoolError('NONCE_TOO_LOW', `nonce ${tx.nonce} < account nonce ${account.nonce}`);
    const ahead = BigInt(this.options.maxNonceAhead);
    if (tx.nonce >= account.nonce + ahead) {
      throw new MempoolError(
        'NONCE_TOO_HIGH',
        `nonce ${tx.nonce} >= account nonce ${account.nonce} + ${ahead}`,
      );
    }

    if (error) {
      const context =
        reserved > 0n ? ` (balance ${account.balance}, ${reserved} reserved by queued txs)` : '';
      throw new MempoolError('INSUFFICIENT_FUNDS', `${error.message}${context}`);
    }

    if (old && !outbids(tx, old.tx)) {
      throw new MempoolError(
        'REPLACEMENT_UNDERPRICED',
        `replacing nonce ${tx.nonce} needs both fee caps raised by ${REPLACEMENT_BUMP_PERCENT}%`,
      );
    }

    // Queued: the nonce is past the sender's run of consecutive nonces from its committed one.
    const run = queue ? queue.contiguousFrom(account.nonce) : 0;
    const queued = tx.nonce > account.nonce + BigInt(run);

    // Bounds: a replacement takes its predecessor's slot and bytes.
    const addCount = old ? 0 : 1;
    const addBytes = entry.size - (old?.size ?? 0);
    const o = this.options;
    if (
      (queue?.length ?? 0) + addCount > o.maxPerSender ||
      (queue?.bytes ?? 0) + addBytes > o.maxBytesPerSender
    ) {
      throw new MempoolError(
        'SENDER_FULL',
        `a sender holds at most ${o.maxPerSender} transactions and ${o.maxBytesPerSender} bytes`,
      );
    }
    if (queued && addCount > 0 && (queue?.length ?? 0) - run >= o.maxQueuedPerSender) {
      throw new MempoolError(
        'SENDER_FULL',
        `a sender holds at most ${o.maxQueuedPerSender} transactions behind a nonce gap (next executable nonce ${account.nonce + BigInt(run)})`,
      );
    }
    if (queued && local && addCount > 0 && this.localQueued() >= o.maxLocalQueuedTxs) {
      throw new MempoolError(
        'MEMPOOL_FULL',
        `the pool holds at most ${o.maxLocalQueuedTxs} transactions submitted here behind a nonce gap (next executable nonce ${account.nonce + BigInt(run)})`,
      );
    }
    const victims = this.makeRoom(entry, queued, addCount, addBytes);

    for (const victim of victims) this.dropQueued(victim);
    this.counters.displaced += victims.length;
    let target = queue;
    if (!target) {
      target = new SenderQueue(tx.from);
      this.senders.set(sender, target);
    }
    const replaced = target.put(entry);
    if (replaced) {
      this.byHash.delete(replaced.key);
      this.totalBytes -= replaced.size;
    }
    if (replaced) this.leftAdmissionOrder();
    this.byHash.set(entry.key, entry);
    this.byAdmission.push(entry);
    this.totalBytes += entry.size;
    target.classify(account.nonce);
    this.settle(target, sender);
    return replaced ? { kind: 'replaced', tx, replaced: replaced.tx, queued } : { kind: 'added', tx, queued };
  }

  /**
   * The queued entries to drop so that `entry` fits: none when it fits as is. A pending
   * entry may displace any queued one (an executable tx is worth more than a gapped one,
   * whatever the fee); a queued one only a queued one with a lower tip. Never the sender's
   * own entries, never a local one. Throws MEMPOOL_FULL when no such choice makes room.
   */
  private makeRoom(entry: PoolEntry, queued: boolean, addCount: number, addBytes: number): PoolEntry[] {
    const o = this.options;
    const overQueued = () => (queued && addCount > 0 ? this.queuedTotal + 1 - o.maxQueuedTxs : 0);
    const fits = (count: number, bytes: number, queuedFreed: number) =>
      this.byHash.size + addCount - count <= o.maxTxs &&
      this.totalBytes + addBytes - bytes <= o.maxBytes &&
      overQueued() - queuedFreed <= 0;
    if (fits(0, 0, 0)) return [];

    const victims: PoolEntry[] = [];
    let bytes = 0;
    const chosen = new Set<PoolEntry>();
    while (!fits(victims.length, bytes, victims.length)) {
      const victim = this.cheapestQueued(entry.sender, chosen);
      if (victim === undefined || (queued && victim.tip >= entry.tip)) {
        const share = queued ? `, ${o.maxQueuedTxs} of them behind a nonce gap` : '';
        throw new MempoolError(
          'MEMPOOL_FULL',
          `the pool holds at most ${o.maxTxs} transactions and ${o.maxBytes} bytes${share}`,
        );
      }
      chosen.add(victim);
      victims.push(victim);
      bytes += victim.size;
    }
    return victims;
  }

  /** Local entries among the queued ones: a pass over the queued share, which is bounded. */
  private localQueued(): number {
    let count = 0;
    for (const sender of this.gappedSenders) {
      const queue = this.senders.get(sender)!;
      for (let i = queue.executable; i < queue.length; i++) if (queue.entries[i].local) count++;
    }
    return count;
  }

  /**
   * Makes a pending transaction local (this node's API was asked for it again, and the
   * caller journals it): true when the pool holds it. A queued one stays as it is when the
   * local queued share is full.
   */
  markLocal(hash: Uint8Array | string): boolean {
    const key = typeof hash === 'string' ? hash.toLowerCase() : toHex(hash);
    const entry = this.byHash.get(key);
    if (!entry) return false;
    if (entry.local) return true;
    const queue = this.senders.get(entry.sender)!;
    const queued = queue.entries.indexOf(entry) >= queue.executable;
    if (queued && this.localQueued() >= this.options.maxLocalQueuedTxs) return false;
    entry.local = true;
    return true;
  }

  /**
   * The queued entry to displace first: lowest tip, then the latest admitted, then the
   * highest hash (deterministic). A linear pass over the queued share, which is small and
   * bounded by maxQueuedTxs.
   */
  private cheapestQueued(exceptSender: string, except: ReadonlySet<PoolEntry>): PoolEntry | undefined {
    let best: PoolEntry | undefined;
    for (const sender of this.gappedSenders) {
      if (sender === exceptSender) continue;
      const queue = this.senders.get(sender)!;
      for (let i = queue.executable; i < queue.length; i++) {
        const e = queue.entries[i];
        if (except.has(e) || e.local) continue;
        if (
          best === undefined ||
          e.tip < best.tip ||
          (e.tip === best.tip &&
            (e.admittedAtMs > best.admittedAtMs ||
              (e.admittedAtMs === best.admittedAtMs && e.key > best.key)))
        )
          best = e;
      }
    }
    return best;
  }

  /** Removes a queued entry (displaced or expired): the sender's pending ones stay as they are. */
  private dropQueued(entry: PoolEntry): void {
    const queue = this.senders.get(entry.sender)!;
    queue.remove(entry);
    this.settle(queue, entry.sender);
    this.forget(entry);
  }

  /**
   * Brings the queued total, the gapped senders and the next expiry up to date with
   * `queue`'s classification (`sender`: its key).
   */
  private settle(queue: SenderQueue, sender: string): void {
    const delta = queue.settle();
    this.queuedTotal += delta;
    if (queue.queued > 0) this.gappedSenders.add(sender);
    else this.gappedSenders.delete(sender);
    if (delta > 0) {
      for (let i = queue.executable; i < queue.length; i++)
        this.nextExpiryMs = Math.min(
          this.nextExpiryMs,
          queue.entries[i].admittedAtMs + this.options.queuedLifetimeMs,
        );
    }
  }

  /**
   * Drops every queued transaction admitted queuedLifetimeMs or longer ago (by the injected
   * clock) and returns them. Runs on every commit and when the pool is full; callers may
   * run it more often. Costs a pass over the queued share.
   */
  expireQueued(): VerifiedTransfer[] {
    const now = this.now();
    if (this.queuedTotal === 0 || now < this.nextExpiryMs) return [];
    const lifetime = this.options.queuedLifetimeMs;
    const expired: PoolEntry[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const sender of this.gappedSenders) {
      const queue = this.senders.get(sender)!;
      for (let i = queue.executable; i < queue.length; i++) {
        const due = queue.entries[i].admittedAtMs + lifetime;
        if (due <= now) expired.push(queue.entries[i]);
        else next = Math.min(next, due);
      }
    }
    this.nextExpiryMs = next;
    for (const entry of expired) this.dropQueued(entry);
    this.counters.expired += expired.length;
    return expired.map((entry) => entry.tx);
  }

  private entryOf(tx: VerifiedTransfer, sender: string, key: string, local: boolean): PoolEntry {
    const price = effectiveGasPrice(tx, this.params.baseFeePerGas);
    return {
      tx,
      key,
      sender,
      size: tx.raw.length,
      blockBytes: rlpItemBytes(tx.raw.length),
      maxCost: tx.value + tx.gasLimit * tx.maxFeePerGas,
      debit: tx.value + TRANSFER_GAS * price,
      tip: price - this.params.baseFeePerGas,
      admittedAtMs: this.now(),
      seq: this.nextSeq++,
      local,
    };
  }

  // ---- listings (the explorer) ----

  /** Calls `listener` after each admission (API, gossip, journal replay); returns the unsubscribe. */
  onAdmitted(listener: AdmissionListener): () => void {
    this.admissionListeners.add(listener);
    return () => this.admissionListeners.delete(listener);
  }

  private notifyAdmitted(admitted: PoolTx): void {
    for (const listener of this.admissionListeners) listener(admitted);
  }

  /** The pool's view of one pending transaction (bytes or 0x-hex hash), or undefined. */
  pooled(hash: Uint8Array | string): PoolTx | undefined {
    const entry = this.byHash.get(typeof hash === 'string' ? hash.toLowerCase() : toHex(hash));
    return entry && this.poolTxOf(entry);
  }

  private poolTxOf(entry: PoolEntry): PoolTx {
    return {
      tx: entry.tx,
      queued: this.isQueued(entry.key),
      admittedAtMs: entry.admittedAtMs,
      seq: entry.seq,
    };
  }

  /**
   * Up to `limit` transactions in the pool, newest admitted first, from those admitted
   * before `beforeSeq` when given (a keyset: a transaction that leaves the pool between two
   * pages shifts nothing). Costs O(log pool + limit + entries that left since compaction).
   */
  listNewestFirst(opts: { beforeSeq?: number; limit: number }): PoolTx[] {
    const list = this.byAdmission;
    let i = list.length - 1;
    if (opts.beforeSeq !== undefined) {
      // the last position whose seq is below beforeSeq (seqs ascend)
      let lo = 0;
      let hi = list.length - 1;
      i = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].seq < opts.beforeSeq) {
          i = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
    }
    const out: PoolTx[] = [];
    for (; i >= 0 && out.length < opts.limit; i--) {
      const entry = list[i];
      if (this.byHash.get(entry.key) === entry) out.push(this.poolTxOf(entry));
    }
    return out;
  }

  /** An entry left the pool: compact the admission order once half of it has left. */
  private leftAdmissionOrder(): void {
    this.leftSinceCompaction++;
    if (this.leftSinceCompaction * 2 > this.byAdmission.length && this.byAdmission.length > 64) {
      this.byAdmission = this.byAdmission.filter((e) => this.byHash.get(e.key) === e);
      this.leftSinceCompaction = 0;
    }
  }

  // ---- reads ----

  /** The pending transaction with this hash (bytes or 0x-hex), sender already recovered. */
  get(hash: Uint8Array | string): VerifiedTransfer | undefined {
    const key = typeof hash === 'string' ? hash.toLowerCase() : toHex(hash);
    return this.byHash.get(key)?.tx;
  }

  /** True when the pending transaction with this hash waits behind a nonce gap (queued). */
  isQueued(hash: Uint8Array | string): boolean {
    const entry = this.byHash.get(typeof hash === 'string' ? hash.toLowerCase() : toHex(hash));
    if (entry === undefined) return false;
    const queue = this.senders.get(entry.sender)!;
    return queue.lowerBound(entry.tx.nonce) >= queue.executable;
  }

  /**
   * The admitted form of a raw transaction from a proposed block, or undefined when it is
   * not pending (the caller then decodes and recovers it itself). Costs one keccak.
   */
  lookupVerified(raw: Uint8Array): VerifiedTransfer | undefined {
    if (raw.length > MAX_TX_BYTES) return undefined;
    return this.get(keccak256(raw));
  }

  /** The nonce a wallet should use next: committed nonce + the contiguous queued nonces. */
  pendingNonce(address: Address): bigint {
    const nonce = (this.accounts.getAccount(address) ?? EMPTY_ACCOUNT).nonce;
    const queue = this.senders.get(addressKey(address));
    return nonce + BigInt(queue?.contiguousFrom(nonce) ?? 0);
  }

  /** Number of pending transactions. */
  size(): number {
    return this.byHash.size;
  }

  /** Raw bytes of the pending transactions. */
  bytes(): number {
    return this.totalBytes;
  }

  metrics(): MempoolMetrics {
    const c = this.counters;
    return {
      admitted: c.admitted,
      replaced: c.replaced,
      included: c.included,
      evicted: c.evicted,
      recoveries: c.recoveries,
      expired: c.expired,
      displaced: c.displaced,
      rejected: Object.fromEntries(c.rejected),
      size: this.byHash.size,
      queued: this.queuedTotal,
      bytes: this.totalBytes,
      senders: this.senders.size,
    };
  }

  // ---- block filling ----

  /**
   * Transactions for the leader's next block, valid in this order on `options.state` (the
   * committed state by default): per sender, consecutive nonces from the account's nonce,
   * each affordable after the ones before it; across senders, highest effective tip first,
   * ties by lower hash. A k-way merge over the sender queues (a heap of their heads), so a
   * call costs O(senders + selected x log senders), not a sort of the pool.
   */
  selectForBlock(options: SelectOptions = {}): VerifiedTransfer[] {
    const maxTxs = options.maxTxs ?? this.blockLimits.maxBlockTxs;
    const maxBytes = options.maxBytes ?? this.blockLimits.maxBlockBytes;
    const reserved = options.reservedBytes ?? this.options.headerReserveBytes;
    const state = options.state ?? this.accounts;
    const exclude = options.exclude;
    let budget = maxBytes - reserved - BLOCK_FRAMING_BYTES;

    // A cursor is ready when its next entry has exactly the expected nonce, is not
    // excluded and passes the state rules against the sender's running account.
    const ready = (c: Cursor): boolean => {
      const entry = c.queue.entries[c.index];
      return (
        entry !== undefined &&
        entry.tx.nonce === c.nonce &&
        !exclude?.has(entry.key) &&
        checkTransfer(entry.tx, { nonce: c.nonce, balance: c.balance }, this.params) === null
      );
    };

    const heap = new Heap<Cursor>(cursorBefore);
    for (const queue of this.senders.values()) {
      const account = state.getAccount(queue.address) ?? EMPTY_ACCOUNT;
      const cursor = {
        queue,
        index: queue.lowerBound(account.nonce),
        nonce: account.nonce,
        balance: account.balance,
      };
      if (ready(cursor)) heap.push(cursor);
    }

    const selected: VerifiedTransfer[] = [];
    while (selected.length < maxTxs && budget > 0) {
      const cursor = heap.pop();
      if (cursor === undefined) break;
      const entry = cursor.queue.entries[cursor.index];
      // Too big for what is left: this sender's later nonces cannot follow; others may fit.
      if (entry.blockBytes > budget) continue;
      selected.push(entry.tx);
      budget -= entry.blockBytes;
      // Only the sender's debit is simulated; credits from other txs or tips can only
      // raise balances, so the block stays valid when applied for real.
      cursor.balance -= entry.debit;
      cursor.nonce += 1n;
      cursor.index += 1;
      if (ready(cursor)) heap.push(cursor);
    }
    return selected;
  }

  // ---- commits ----

  /**
   * After a commit: removes the included txs, remembers their hashes, adopts `accounts` as
   * the committed state and re-checks every sender of a committed tx (the only accounts
   * whose nonce rose or balance fell): txs below the new nonce are dropped, and so is the
   * tail of a queue from the first tx the new balance no longer covers.
   */
  onCommit(committed: Iterable<CommittedTx>, accounts: AccountReader): CommitOutcome {
    this.accounts = accounts;
    let included = 0;
    const touched = new Set<string>();
    for (const tx of committed) {
      const key = tx.key ?? toHex(tx.hash);
      this.rememberCommitted(key);
      const entry = this.byHash.get(key);
      if (entry) {
        this.senders.get(entry.sender)?.remove(entry);
        this.forget(entry);
        included++;
        touched.add(entry.sender); // the sender's key, without hexing its address again
      } else touched.add(addressKey(tx.from));
    }
    this.counters.included += included;
    const evicted: VerifiedTransfer[] = [];
    for (const sender of touched) evicted.push(...this.recheck(sender));
    return { included, evicted, expired: this.expireQueued() };
  }

  /**
   * Re-checks every sender against `accounts`, e.g. after sync applied blocks whose
   * transactions were not passed to onCommit. Returns the evicted transactions.
   */
  recheckAll(accounts: AccountReader): VerifiedTransfer[] {
    this.accounts = accounts;
    const evicted: VerifiedTransfer[] = [];
    for (const sender of [...this.senders.keys()]) evicted.push(...this.recheck(sender));
    return evicted;
  }

  private recheck(sender: string): VerifiedTransfer[] {
    const queue = this.senders.get(sender);
    if (!queue) return [];
    const account = this.accounts.getAccount(queue.address) ?? EMPTY_ACCOUNT;
    const dropped = queue.removeBelow(account.nonce);
    let cost = 0n;
    let cut = queue.length;
    for (let i = 0; i < queue.length; i++) {
      cost += queue.entries[i].maxCost;
      if (cost > account.balance) {
        cut = i;
        break;
      }
    }
    dropped.push(...queue.removeFrom(cut));
    queue.classify(account.nonce);
    this.settle(queue, sender);
    for (const entry of dropped) this.forget(entry);
    this.counters.evicted += dropped.length;
    return dropped.map((entry) => entry.tx);
  }

  /** Drops `entry` from the indexes (its queue already let go of it). */
  private forget(entry: PoolEntry): void {
    this.byHash.delete(entry.key);
    this.leftAdmissionOrder();
    this.totalBytes -= entry.size;
    const queue = this.senders.get(entry.sender);
    if (queue && queue.length === 0) {
      // an emptied queue holds nothing queued, whatever it last counted
      this.queuedTotal -= queue.countedQueued;
      queue.countedQueued = 0;
      queue.executable = 0;
      this.gappedSenders.delete(entry.sender);
      this.senders.delete(entry.sender);
    }
  }

  private rememberCommitted(key: string): void {
    const limit = this.options.maxRecentCommitted;
    if (limit === 0) return;
    // A transaction commits once: no need to move an existing key to the newest end.
    this.recentCommitted.add(key);
    if (this.recentCommitted.size > limit) {
      const oldest = this.recentCommitted.values().next().value as string;
      this.recentCommitted.delete(oldest);
    }
  }
}
