/**
 * Transaction admission for the node: the API's submissions and gossiped batches into the
 * mempool, and the journal that makes an API answer of 202 durable (tx-journal.ts).
 *
 * - API submissions are decoded and their senders recovered in slices of submitSliceTxs
 *   transactions that yield to the event loop in between: a 1 MiB batch holds about a
 *   thousand recoveries, and consensus shares the loop. The admitted ones are gossiped
 *   slice by slice and journaled; the promise resolves once they are on disk, so an
 *   accepted transaction survives a crash of this node.
 * - On start, the journal is replayed into the mempool: transactions answered 202 before
 *   a crash. Those that can never commit (their nonce used, committed meanwhile, invalid)
 *   leave the journal; the others are gossiped again once a peer is connected, since their
 *   first gossip may have died with the process. A refusal that depends on this node's
 *   state or room (a nonce beyond the window of a head that restarted behind, a sender's
 *   or the pool's limits, funds not yet arrived) is not final: the transaction stays
 *   journaled, held back, and is offered to the mempool again at every rebroadcast pass
 *   until it is admitted or can never commit. Dropping it lost it for good: the chaos
 *   soak saw a restarted validator's acknowledged transfers vanish from every node, and
 *   every later nonce of their senders wait behind them.
 * - A journaled transaction still pending `txRebroadcastMs` after it was last gossiped is
 *   gossiped again, at most `txRebroadcastMaxTxs` a pass, the longest-waiting first. One
 *   gossip is not enough for a 202: a batch can be dropped from this node's full outbound
 *   queue, die with a cut or reset connection, or reach peers whose pools are full. The
 *   node that answered 202 is then the only one that holds the transaction, and an
 *   observer never proposes it, nor does a validator the leader rule skips: every later
 *   nonce of its sender would wait behind it for good (the chaos soak found it;
 *   BENCHMARKS.md has the figures). Peers that hold it already
 *   ignore the copy; gossipsub forgets a message id after its seen-TTL, which is shorter
 *   than txRebroadcastMs (src/network), so a batch of the same bytes is sent again.
 * - A gossiped batch reports why its first transaction that can never be valid (a forged
 *   signature, ...) failed: the network then rejects the batch and scores its sender
 *   down. Refusals that depend on this node's state (nonce, balance, room) are not the
 *   sender's fault.
 */
import type { SubmitOutcome, TxStatus } from '../../explorer/server/index.js';
import { toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/hash.js';
import { InvalidInputError } from '../errors.js';
import { type Mempool, MempoolError } from '../mempool/index.js';
import { type Clock, nextTurn, type Timer } from '../time/index.js';
import type { SignedTransfer } from '../tx/index.js';
import { NodeError } from './errors.js';
import type { NodeLogger } from './logger.js';
import { type JournalTx, TxJournal } from './tx-journal.js';

const CAPACITY_CODES = new Set(['MEMPOOL_FULL', 'SENDER_FULL']);
/**
 * Refusals of a journaled transaction that this node's state or room may lift later (the
 * others: it can never commit, and leaves the journal). REPLACEMENT_UNDERPRICED: another
 * transaction holds its nonce, and only one of them can commit.
 */
const HELD_BACK_CODES = new Set([
  'NONCE_TOO_HIGH',
  'INSUFFICIENT_FUNDS',
  'MEMPOOL_FULL',
  'SENDER_FULL',
  'REPLACEMENT_UNDERPRICED',
]);
/** How often, and how many times, a replayed journal waits for a peer to gossip to. */
const REGOSSIP_EVERY_MS = 250;
const REGOSSIP_ATTEMPTS = 120;
/**
 * Held-back transactions offered to the mempool per rebroadcast pass at most: each offer
 * decodes and may recover a signature on the event loop, so a pass stays in the tens of
 * milliseconds; the ones refused again go to the back, so all get their turn.
 */
const HELD_BACK_OFFERS_PER_PASS = 256;

export interface TransactionAdmissionComponents {
  mempool: Mempool;
  /** Where a committed transaction is (the application's tx index). */
  txLocation(hash: Uint8Array): { height: number; index: number } | undefined;
  /** Gossips raw transactions (nothing before the network exists). */
  publish(raws: Uint8Array[]): void;
  connectedPeers(): number;
  logger: NodeLogger;
  /** A journal write failed: the node must stop. */
  onFatal(err: Error): void;
  /** Yields between slices, the journal's pruning and the re-gossip wait. */
  clock: Clock;
}

export interface TransactionAdmissionOptions {
  journalDir: string;
  submitSliceTxs: number;
  txJournalPruneMs: number;
  /** A journaled transaction still pending this long after its last gossip is gossiped again. */
  txRebroadcastMs: number;
  /** Transactions gossiped again per pass at most (a pass runs every txRebroadcastMs / 4). */
  txRebroadcastMaxTxs: number;
  /** How long gossipsub remembers a message id (the network's seenTtlMs): shorter than txRebroadcastMs. */
  gossipSeenTtlMs: number;
}

export class TransactionAdmission {
  private journal: TxJournal | undefined;
  private closed = false;
  /**
   * Journaled transactions by key -> when this node last gossiped them (monotonic ms), in
   * that order: a transaction gossiped again moves to the end. Pruned with the journal.
   */
  private readonly gossipedAt = new Map<string, number>();
  /**
   * Journaled transactions the mempool refused at replay for now (HELD_BACK_CODES), by key
   * in journal order, with when they were first held back (monotonic ms): still journaled,
   * offered again at every rebroadcast pass, for as long as the mempool keeps a gapped
   * transaction (queuedLifetimeMs), since one whose gap never closes must not stay for
   * good. At most what the journal held at start, which the mempool's bounds on local
   * transactions bound.
   */
  private readonly heldBack = new Map<string, { raw: Uint8Array; sinceMs: number }>();
  private rebroadcastTimer: Timer | undefined;
  /** Transactions gossiped again since start (for tests and logs). */
  rebroadcasts = 0;

  constructor(
    private readonly c: TransactionAdmissionComponents,
    private readonly o: TransactionAdmissionOptions,
  ) {
    for (const name of ['txRebroadcastMs', 'txRebroadcastMaxTxs', 'gossipSeenTtlMs'] as const)
      if (!Number.isSafeInteger(o[name]) || o[name] < 1)
        throw new InvalidInputError('INVALID_OPTION', `${name} must be a positive integer, got ${o[name]}`);
    // gossipsub drops a publish of bytes it has seen within its seen-TTL, silently
    if (o.txRebroadcastMs <= o.gossipSeenTtlMs)
      throw new InvalidInputError(
        'INVALID_OPTION',
        `txRebroadcastMs (${o.txRebroadcastMs}) must be longer than the network's seenTtlMs (${o.gossipSeenTtlMs})`,
      );
  }

  /** Opens the journal and re-admits what it holds. */
  async open(): Promise<void> {
    const journal = await TxJournal.open(this.o.journalDir, (err) =>
      this.c.onFatal(new NodeError('STORAGE_FAILURE', err.message, { cause: err })),
    );
    this.journal = journal;
    const replayed: Uint8Array[] = [];
    const refused = new Map<string, number>();
    const kept = await journal.replay((raw) => {
      const readmitted = this.readmit(raw);
      if (readmitted.refused) refused.set(readmitted.refused, (refused.get(readmitted.refused) ?? 0) + 1);
      if (readmitted.admitted) replayed.push(raw);
      return readmitted.key;
    });
    if (kept > 0 || refused.size > 0)
      this.c.logger.info(
        { transactions: kept, heldBack: this.heldBack.size, refused: Object.fromEntries(refused) },
        're-admitted journaled transactions',
      );
    journal.startPruning((key) => this.stillPending(key), this.o.txJournalPruneMs, this.c.clock);
    if (replayed.length > 0) this.regossipWhenConnected(replayed, REGOSSIP_ATTEMPTS);
    this.startRebroadcasting();
  }

  /**
   * Offers a journaled transaction to the mempool again, as local, and counts it as
   * gossiped now when admitted (the caller gossips it). `key` is set while the journal
   * keeps it: admitted, or held back (HELD_BACK_CODES); unset when it can never commit.
   * `refused`: the mempool's code when it did not admit it.
   */
  readmit(raw: Uint8Array): { key?: string; admitted: boolean; refused?: string } {
    const key = toHex(keccak256(raw));
    try {
      this.c.mempool.add(raw, { local: true });
    } catch (err) {
      if (!(err instanceof MempoolError)) throw err;
      // pending already (a peer's gossip brought it first): this node's own from now on,
      // or held back while the pool's share of local gapped transactions is full
      const pending = err.code === 'ALREADY_KNOWN' && this.c.mempool.get(key) !== undefined;
      if (pending && this.c.mempool.markLocal(key)) return this.admitted(key);
      if (pending || HELD_BACK_CODES.has(err.code)) {
        if (!this.heldBack.has(key)) this.heldBack.set(key, { raw, sinceMs: this.c.clock.monotonicMs() });
        return { key, admitted: false, refused: err.code };
      }
      this.heldBack.delete(key);
      return { admitted: false, refused: err.code };
    }
    return this.admitted(key);
  }

  private admitted(key: string): { key: string; admitted: true } {
    this.heldBack.delete(key);
    this.gossipedAt.delete(key); // keeps the map in gossip order
    this.gossipedAt.set(key, this.c.clock.monotonicMs());
    return { key, admitted: true };
  }

  /**
   * Offers the held-back transactions to the mempool again, in turn, at most
   * HELD_BACK_OFFERS_PER_PASS (and txRebroadcastMaxTxs) of them; gossips the ones it
   * admits.
   */
  private retryHeldBack(): void {
    if (this.heldBack.size === 0) return;
    const admitted: Uint8Array[] = [];
    const expiredBefore = this.c.clock.monotonicMs() - this.c.mempool.options.queuedLifetimeMs;
    // the journal's next prune lets the expired ones go
    for (const [key, { sinceMs }] of this.heldBack) if (sinceMs <= expiredBefore) this.heldBack.delete(key);
    let offered = 0;
    for (const [key, held] of [...this.heldBack]) {
      if (offered++ >= Math.min(HELD_BACK_OFFERS_PER_PASS, this.o.txRebroadcastMaxTxs)) break;
      if (this.readmit(held.raw).admitted) admitted.push(held.raw);
      else if (this.heldBack.delete(key)) this.heldBack.set(key, held); // refused again: to the back
    }
    if (admitted.length === 0) return;
    this.c.logger.info(
      { transactions: admitted.length, heldBack: this.heldBack.size },
      're-admitted held-back journaled transactions',
    );
    this.c.publish(admitted);
  }

  /** Runs a rebroadcast pass every txRebroadcastMs / 4 until close (open() starts it). */
  startRebroadcasting(): void {
    if (this.rebroadcastTimer || this.closed) return;
    this.rebroadcastTimer = this.c.clock.setInterval(
      () => this.rebroadcast(),
      Math.max(1, Math.floor(this.o.txRebroadcastMs / 4)),
      { background: true },
    );
  }

  /**
   * Gossips again the journaled transactions still pending txRebroadcastMs after their last
   * gossip, oldest first, at most txRebroadcastMaxTxs of them.
   */
  rebroadcast(): number {
    // with no peer the gossip goes nowhere: the transactions keep their turn
    if (this.closed || this.c.connectedPeers() === 0) return 0;
    this.retryHeldBack();
    const now = this.c.clock.monotonicMs();
    const due: Array<[string, Uint8Array]> = [];
    for (const [key, at] of this.gossipedAt) {
      // in gossip order: the first one too recent ends the pass
      if (now - at < this.o.txRebroadcastMs || due.length >= this.o.txRebroadcastMaxTxs) break;
      const pooled = this.c.mempool.get(key);
      if (pooled) due.push([key, pooled.raw]);
      else this.gossipedAt.delete(key); // committed or dropped: the journal's prune follows
    }
    if (due.length === 0) return 0;
    for (const [key] of due) {
      this.gossipedAt.delete(key);
      this.gossipedAt.set(key, now);
    }
    this.c.publish(due.map(([, raw]) => raw));
    this.rebroadcasts += due.length;
    return due.length;
  }

  /** Prunes once more (what committed since the last prune leaves now), then closes the journal. */
  async close(): Promise<void> {
    this.closed = true;
    this.rebroadcastTimer?.cancel();
    this.journal?.prune((key) => this.stillPending(key));
    await this.journal?.close();
  }

  /** Admits a gossiped batch; returns why its first never-valid transaction failed. */
  onGossip(txs: SignedTransfer[]): string | undefined {
    let invalid: string | undefined;
    for (const tx of txs) {
      try {
        this.c.mempool.addDecoded(tx);
      } catch (err) {
        if (!(err instanceof MempoolError))
          this.c.logger.warn({ err: (err as Error).message }, 'gossiped tx failed');
        else if (err.invalid) invalid ??= `${err.code}: ${err.message}`;
      }
    }
    return invalid;
  }

  /** Admits API transactions in slices, gossips and journals the admitted ones. */
  async submit(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]> {
    const slice = this.o.submitSliceTxs;
    const outcomes: SubmitOutcome[] = [];
    const admitted: Array<JournalTx & { index: number }> = [];
    for (let start = 0; start < raws.length; start += slice) {
      if (start > 0) await nextTurn(this.c.clock);
      const fresh: Uint8Array[] = [];
      for (const raw of raws.slice(start, start + slice)) {
        const outcome = this.admitOne(raw);
        if (!('error' in outcome)) {
          fresh.push(raw);
          admitted.push({ key: outcome.hash, raw, index: outcomes.length });
        } else if (
          outcome.error === 'ALREADY_KNOWN' &&
          outcome.hash !== undefined &&
          this.c.mempool.markLocal(outcome.hash)
        ) {
          // Pending here through gossip, and now asked of this node: a wallet counts the
          // answer as accepted, so this node keeps it as its own from here (journaled,
          // never displaced, gossiped again) like one it answered 202 for. The answer
          // stays ALREADY_KNOWN, and becomes STORAGE_FAILURE if the journal write fails.
          admitted.push({ key: outcome.hash, raw, index: outcomes.length });
        }
        outcomes.push(outcome);
      }
      if (fresh.length > 0) this.c.publish(fresh);
    }
    const now = this.c.clock.monotonicMs();
    for (const { key } of admitted) if (!this.gossipedAt.has(key)) this.gossipedAt.set(key, now);
    if (admitted.length > 0 && this.journal) {
      try {
        await this.journal.append(admitted);
      } catch (err) {
        // not durable, so not accepted (the node stops on a failed write: onFatal)
        const message = `the transaction could not be journaled: ${(err as Error).message}`;
        for (const { key, index } of admitted)
          outcomes[index] = { error: 'STORAGE_FAILURE', message, kind: 'capacity', hash: key };
      }
    }
    return outcomes;
  }

  /** The journal's prune: keeps what the mempool still holds or holds back, and forgets the rest here too. */
  private stillPending(key: string): boolean {
    if (this.c.mempool.get(key) !== undefined || this.heldBack.has(key)) return true;
    this.gossipedAt.delete(key);
    return false;
  }

  /** Pending (queued when a nonce gap holds it back), committed, or unknown. */
  status(hash: Uint8Array): TxStatus {
    const hex = toHex(hash);
    const { mempool } = this.c;
    if (mempool.get(hash))
      return mempool.isQueued(hash)
        ? { hash: hex, status: 'pending', queued: true }
        : { hash: hex, status: 'pending' };
    const loc = this.c.txLocation(hash);
    if (loc) return { hash: hex, status: 'committed', height: loc.height, index: loc.index };
    // journaled and answered 202, waiting for room or for its nonce's turn here
    if (this.heldBack.has(hex)) return { hash: hex, status: 'pending', queued: true };
    return { hash: hex, status: 'unknown' };
  }

  private admitOne(raw: Uint8Array): SubmitOutcome {
    let hash: string | undefined;
    try {
      // decoded once: its hash names the outcome, and admission takes the decoded form
      const signed = this.c.mempool.decode(raw);
      hash = toHex(signed.hash);
      return this.c.mempool.addDecoded(signed, { local: true }).queued ? { hash, queued: true } : { hash };
    } catch (err) {
      if (!(err instanceof MempoolError)) throw err;
      const kind = err.invalid ? 'invalid' : CAPACITY_CODES.has(err.code) ? 'capacity' : 'state';
      return { error: err.code, message: err.message, kind, hash: hash ?? toHex(keccak256(raw)) };
    }
  }

  /** Publishes `raws` still pending once the network has a peer (bounded wait). */
  private regossipWhenConnected(raws: Uint8Array[], attempts: number): void {
    this.c.clock.setTimeout(
      () => {
        if (this.closed) return;
        if (this.c.connectedPeers() === 0) {
          if (attempts > 1) this.regossipWhenConnected(raws, attempts - 1);
          return;
        }
        const now = this.c.clock.monotonicMs();
        const pending: Uint8Array[] = [];
        for (const raw of raws) {
          const tx = this.c.mempool.lookupVerified(raw);
          if (!tx) continue;
          pending.push(raw);
          const key = toHex(tx.hash);
          if (this.gossipedAt.delete(key)) this.gossipedAt.set(key, now);
        }
        if (pending.length > 0) this.c.publish(pending);
      },
      REGOSSIP_EVERY_MS,
      { background: true },
    );
  }
}
