import { InvalidInputError } from '../errors.js';

/** Bounds of the pool. Every queue is bounded in count and bytes (raw transaction bytes). */
export interface MempoolOptions {
  /** Transactions held in total. */
  maxTxs: number;
  /** Raw transaction bytes held in total. */
  maxBytes: number;
  /** Transactions held per sender. */
  maxPerSender: number;
  /** Raw transaction bytes held per sender. */
  maxBytesPerSender: number;
  /**
   * A tx is admitted only when nonce < committed nonce + maxNonceAhead: gaps are allowed
   * inside that window and nowhere else.
   */
  maxNonceAhead: number;
  /**
   * Gapped ("queued") transactions: a nonce above the sender's next executable nonce, so it
   * cannot be selected until the missing nonces arrive. They get a share of the pool apart
   * from the executable ("pending") ones, as geth's txpool does (core/txpool/legacypool
   * Config: AccountQueue 64, GlobalQueue 1024, Lifetime 3h, against GlobalSlots 5120):
   * without it, funded senders that never send their next nonce fill the pool for free.
   * Queued transactions held in total (they never displace pending ones). Half the pool,
   * more than geth's ratio: here large blocks follow each other within a second, so gossip
   * reorders many nonces at once, and a smaller share refused honest transactions that
   * were only early (the node benchmark's throughput fell with it, BENCHMARKS.md).
   */
  maxQueuedTxs: number;
  /** Queued transactions held per sender. */
  maxQueuedPerSender: number;
  /**
   * Local queued transactions (admitted through this node's API, so never displaced) held
   * at most: without a cap of their own, an API client with a few dozen funded accounts
   * could fill the whole queued share with gapped transactions nobody can displace, for a
   * lifetime at a time. A quarter of the queued share.
   */
  maxLocalQueuedTxs: number;
  /**
   * A queued transaction is dropped this long after its admission unless its gap closed.
   * Shorter than geth's 3 h: blocks here take a fraction of a second, so a gap left by
   * reordered gossip closes within seconds, and a wallet that lost a transaction resends it
   * within minutes.
   */
  queuedLifetimeMs: number;
  /** Hashes of committed transactions remembered to refuse re-gossiped copies early. */
  maxRecentCommitted: number;
  /**
   * Senders remembered by transaction hash, so a transaction seen first in a proposal and
   * then in its gossip batch (or the reverse) is recovered once: a few blocks of full-rate
   * traffic. Each entry holds a hex key and a 20-byte address (about 200 bytes).
   */
  maxRecoveredSenders: number;
  /**
   * Bytes selectForBlock leaves for the header when no `reservedBytes` is given. A header
   * is about 200 bytes plus its parent QC (about 70 bytes per signature): 1024 covers a
   * quorum of 11; the node passes the exact figure for larger validator sets.
   */
  headerReserveBytes: number;
}

export const DEFAULT_MEMPOOL_OPTIONS: Readonly<MempoolOptions> = Object.freeze({
  maxTxs: 8192,
  // A canonical transfer is at most ~220 bytes, so the count bound usually binds first.
  maxBytes: 2 * 1024 * 1024,
  maxPerSender: 64,
  maxBytesPerSender: 16 * 1024,
  maxNonceAhead: 64,
  // an eighth of maxTxs, about geth's GlobalQueue share of its pool
  maxQueuedTxs: 4096,
  maxQueuedPerSender: 64,
  maxLocalQueuedTxs: 1024,
  queuedLifetimeMs: 10 * 60_000,
  maxRecentCommitted: 8192,
  maxRecoveredSenders: 32_768,
  headerReserveBytes: 1024,
});

/** Defaults filled in; throws InvalidInputError on a bound that is not a positive safe integer. */
export function resolveOptions(partial: Partial<MempoolOptions> = {}): MempoolOptions {
  const options = { ...DEFAULT_MEMPOOL_OPTIONS, ...partial };
  for (const [name, value] of Object.entries(options)) {
    const min = name === 'headerReserveBytes' || name === 'maxRecentCommitted' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new InvalidInputError('INVALID_OPTION', `mempool option ${name} must be an integer >= ${min}`);
    }
  }
  return options;
}
