/** Tunables of block sync, with units in names; every queue and loop is bounded here. */
export interface SyncOptions {
  /** Blocks asked for per request (<= MAX_BLOCKS_PER_REQUEST). */
  maxBlocksPerRequest: number;
  /** Requests in flight at once (over all peers). */
  maxInFlightRequests: number;
  /** A request with no complete answer by then fails; the range goes to another peer. */
  requestTimeoutMs: number;
  /** A validator leaves consensus for sync when the network is this many blocks ahead. */
  lagThresholdBlocks: number;
  /** Sync ends (a validator rejoins consensus) within this many blocks of the target. */
  joinSlackBlocks: number;
  /**
   * When the request for the range just above the head has been out this fraction of
   * requestTimeoutMs, that range is also asked of another peer (one such hedged request at
   * a time, at most one per slow request): a peer that keeps its connection but never
   * answers would otherwise hold every block above the head for a whole timeout.
   */
  hedgeAfterTimeoutFraction: number;
  /** A failed peer waits base * 2^(failures-1) (capped) before it is asked again. */
  peerBackoffMs: number;
  /** A peer's reported head is trusted this long, then it may be asked again for more. */
  peerHeadTtlMs: number;
  /**
   * A peer's claimed head counts as a fetch target this long after its last answer; a
   * claim that is not refreshed (the peer went silent) stops holding anyone in sync.
   */
  peerClaimTtlMs: number;
  /** Blocks asked below a claimed head to get its proof of commit (a block and its certified child). */
  proofSpanBlocks: number;
  /**
   * A validator in consensus, or an observer that is not fetching, probes its peers' heads
   * this often even when nothing it hears says it is behind: a validator far behind may
   * ignore every consensus message as too far ahead of its own round, and an observer cut
   * off from gossiped proposals hears of no new height at all; each must still find out.
   */
  probeIntervalMs: number;
  /** A validator whose sync commits nothing for this long returns to consensus. */
  syncStallMs: number;
  /**
   * Transactions verified and executed in one synchronous slice of applying fetched blocks;
   * the rest waits for the next turn of the event loop, so the API and the network keep
   * answering while a long range is applied.
   */
  applySliceTxs: number;
  /** Encoded bytes of fetched blocks held while they wait for their parent or proof. */
  maxBufferedBytes: number;
  /** How often the sync loop looks for work (timeouts, new ranges). */
  tickMs: number;
  /** Inbound sync requests served at once per connection. */
  maxInboundStreams: number;
}

export const DEFAULT_SYNC_OPTIONS: Readonly<SyncOptions> = Object.freeze({
  maxBlocksPerRequest: 32,
  maxInFlightRequests: 4,
  requestTimeoutMs: 5_000,
  hedgeAfterTimeoutFraction: 0.25,
  lagThresholdBlocks: 8,
  joinSlackBlocks: 3,
  peerBackoffMs: 500,
  peerHeadTtlMs: 500,
  peerClaimTtlMs: 10_000,
  proofSpanBlocks: 8,
  probeIntervalMs: 2_000,
  syncStallMs: 10_000,
  applySliceTxs: 2_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  tickMs: 200,
  maxInboundStreams: 4,
} satisfies SyncOptions);

/**
 * What the sync server lets requests cost. A 10-byte request may ask for 32 blocks, so
 * each peer has a budget of requests and of bytes served per second (with a burst); an
 * answer stops early (a shorter answer is valid: the client asks again, elsewhere or later)
 * once the peer's bytes are spent, and a peer over its request budget is refused. Requests
 * are read within a time limit, and only so many are served at once over all peers.
 */
export interface SyncServerOptions {
  /** A request not fully received (its stream closed for writing) by then is dropped. */
  requestReadTimeoutMs: number;
  /** Requests served at once over all peers; more are refused at once. */
  maxConcurrentServes: number;
  /**
   * Requests served at once for one peer (over all its connections and streams), so a peer
   * that opens streams and never reads the answers holds only this many of the slots.
   */
  maxConcurrentServesPerPeer: number;
  requestsPerSecond: number;
  requestsBurst: number;
  servedBytesPerSecond: number;
  servedBurstBytes: number;
}

export const DEFAULT_SYNC_SERVER_OPTIONS: Readonly<SyncServerOptions> = Object.freeze({
  requestReadTimeoutMs: 2_000,
  maxConcurrentServes: 8,
  maxConcurrentServesPerPeer: 2,
  requestsPerSecond: 10,
  requestsBurst: 20,
  servedBytesPerSecond: 16 * 1024 * 1024,
  servedBurstBytes: 32 * 1024 * 1024,
} satisfies SyncServerOptions);
