/**
 * The journal of the transactions this node admitted through its API: an answer 202 must
 * survive a crash of the node that gave it, and the mempool lives in memory while gossip
 * batches wait a few milliseconds before they leave. The API answers only once the
 * admitted transactions are on disk here; on the next start the node re-admits them.
 *
 * Its own small lmdb environment under the data directory (`<data>/txjournal`), apart
 * from the chain and safety stores (it is written at the API's rate, and losing it costs
 * only what it protects):
 *
 *   key: 8-byte big-endian admission sequence number -> the raw transaction
 *
 * Group commit: appends that arrive while a write is in flight wait for the next write and
 * share it, one lmdb transaction and one flush per batch of concurrent submissions, never
 * one per transaction. Removals ride along with the next write: a removal that is lost in a
 * crash only costs a refused re-admission on the next start.
 *
 * The journal holds what the mempool holds: `prune` removes the entries whose transaction
 * the mempool no longer has (committed, or dropped as invalid, expired or displaced), and
 * `replay` removes those the mempool refuses on start (committed meanwhile, or no longer
 * valid). Gossiped transactions are not journaled: whoever sent them holds them.
 *
 * Damage: an lmdb commit writes its pages first and its meta page last, so a crash leaves
 * the journal as of the last whole write: there is no torn tail to drop. What the journal
 * holds is therefore either whole or damaged, and damage (a data file lmdb cannot read, a
 * key that is not a sequence number, an empty record) is refused with CORRUPT_STORE rather
 * than skipped: the transactions in it were answered 202. A record whose bytes are not a
 * valid transaction is refused by the mempool on replay and removed like any refused one.
 */
import { open, type RootDatabase } from 'lmdb';
import { checkDataFile, StoreError, writeFailure } from '../store/index.js';
import type { Clock, Timer } from '../time/index.js';
import { NodeError } from './errors.js';

/** A transaction to journal: `key` names it (0x-hex tx hash), `raw` is what is stored. */
export interface JournalTx {
  key: string;
  raw: Uint8Array;
}

function seqKey(seq: number): Buffer {
  const key = Buffer.alloc(8);
  key.writeBigUInt64BE(BigInt(seq));
  return key;
}

export class TxJournal {
  /** Journaled transactions (written or waiting for the next write) by key -> sequence. */
  private readonly seqByKey = new Map<string, number>();
  private nextSeq: number;
  private puts: Array<[number, Uint8Array]> = [];
  private removals: number[] = [];
  /** The write that takes whatever is waiting, once the one in flight has landed. */
  private nextWrite: Promise<void> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  private pruneTimer: Timer | undefined;
  /** lmdb transactions (each followed by one flush) written since open. */
  writes = 0;

  private constructor(
    private readonly env: RootDatabase<Buffer, Buffer>,
    private readonly path: string,
    private readonly onFailure: (err: Error) => void,
  ) {
    let last = -1;
    for (const key of env.getKeys({ reverse: true, limit: 1 })) last = Number(key.readBigUInt64BE());
    this.nextSeq = last + 1;
  }

  /**
   * Opens (or creates) the journal at `path`; a damaged one is refused (CORRUPT_STORE).
   * `onFailure`: a write failed (the node stops).
   */
  static async open(path: string, onFailure: (err: Error) => void = () => {}): Promise<TxJournal> {
    const damaged = (why: string, cause?: unknown) =>
      new StoreError(
        'CORRUPT_STORE',
        `the transaction journal at ${path} is damaged (${why}); moving it aside loses the pending transactions it holds, which were answered as accepted`,
        { cause },
      );
    try {
      checkDataFile(path);
    } catch (err) {
      throw damaged((err as Error).message, err);
    }
    // overlappingSync off, as for the chain store (src/store/store.ts): a 202 waits for a
    // write that is on disk whole
    const env = open<Buffer, Buffer>({
      path,
      keyEncoding: 'binary',
      encoding: 'binary',
      overlappingSync: false,
    });
    // a whole scan: the journal holds what the mempool holds, bounded by the mempool's size
    for (const { key, value } of env.getRange({})) {
      if (key.length !== 8 || value.length === 0) {
        await env.close();
        throw damaged(key.length !== 8 ? 'a key that is not a sequence number' : 'an empty record');
      }
    }
    return new TxJournal(env, path, onFailure);
  }

  /** Transactions journaled now (written or waiting to be). */
  get size(): number {
    return this.seqByKey.size;
  }

  /**
   * Hands every journaled transaction to `admit`, in admission order: `admit` returns the
   * transaction's key when it is kept, undefined when it is refused (its entry is removed).
   * Resolves once the removals are on disk. Call once, before any append.
   */
  async replay(admit: (raw: Uint8Array) => string | undefined): Promise<number> {
    let kept = 0;
    for (const { key, value } of this.env.getRange({})) {
      const seq = Number(key.readBigUInt64BE());
      const txKey = admit(new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice());
      if (txKey === undefined || this.seqByKey.has(txKey)) {
        this.removals.push(seq);
      } else {
        this.seqByKey.set(txKey, seq);
        kept++;
      }
    }
    if (this.removals.length > 0) await this.schedule();
    return kept;
  }

  /**
   * Journals `txs` (those not journaled already) and resolves once they are on disk.
   * Rejects when the write fails or the journal is closed: the transactions are then not
   * durable, and must not be answered as accepted.
   */
  append(txs: readonly JournalTx[]): Promise<void> {
    if (this.closed)
      return Promise.reject(new NodeError('STORAGE_FAILURE', 'the transaction journal is closed'));
    for (const tx of txs) {
      if (this.seqByKey.has(tx.key)) continue;
      const seq = this.nextSeq++;
      this.seqByKey.set(tx.key, seq);
      this.puts.push([seq, tx.raw]);
    }
    return this.schedule();
  }

  /** Removes the entries for which `wanted(key)` is false; they leave with the next write. */
  prune(wanted: (key: string) => boolean): number {
    let removed = 0;
    for (const [key, seq] of this.seqByKey) {
      if (wanted(key)) continue;
      this.seqByKey.delete(key);
      this.removals.push(seq);
      removed++;
    }
    if (removed > 0) this.schedule().catch(() => {}); // a failure reaches onFailure
    return removed;
  }

  /** Prunes every `everyMs` until close (the timer does not keep the process alive). */
  startPruning(wanted: (key: string) => boolean, everyMs: number, clock: Clock): void {
    if (this.pruneTimer || this.closed) return;
    this.pruneTimer = clock.setInterval(() => this.prune(wanted), everyMs, { background: true });
  }

  private schedule(): Promise<void> {
    if (!this.nextWrite) {
      const write = this.tail.then(() => {
        this.nextWrite = undefined;
        return this.write();
      });
      this.nextWrite = write;
      this.tail = write.catch(() => {});
    }
    return this.nextWrite;
  }

  private async write(): Promise<void> {
    const puts = this.puts;
    const removals = this.removals;
    this.puts = [];
    this.removals = [];
    if (this.failure) throw this.failure;
    if (puts.length === 0 && removals.length === 0) return;
    try {
      // one transaction, then one flush, for every submission that waited
      await this.env.batch(() => {
        for (const [seq, raw] of puts) this.env.put(seqKey(seq), Buffer.from(raw));
        for (const seq of removals) this.env.remove(seqKey(seq));
      });
      await this.env.flushed;
      this.writes++;
    } catch (err) {
      const cause = writeFailure(err, this.path, 'the transaction journal');
      this.failure = new NodeError('STORAGE_FAILURE', cause.message, { cause });
      this.onFailure(this.failure);
      throw this.failure;
    }
  }

  /** Waits for the writes in flight, then closes. Later appends are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pruneTimer?.cancel();
    await this.tail;
    // After a failed write (reported through onFailure, never acknowledged) the close is
    // started, not awaited (with overlappingSync, off since, lmdb-js settled neither
    // `flushed` nor `close()` then).
    if (this.failure) {
      this.env.close().catch(() => {});
      return;
    }
    try {
      await this.env.flushed;
    } catch (err) {
      this.failure = writeFailure(err, this.path, 'the transaction journal');
      this.env.close().catch(() => {});
      return;
    }
    await this.env.close();
  }
}
