/** Tunables of the network subsystem, with units in names; every queue has a bound here. */
export interface NetworkOptions {
  /** Multiaddrs to listen on, e.g. '/ip4/0.0.0.0/tcp/7000' ('/tcp/0' picks a free port). */
  listenAddresses: string[];
  /** Peers to dial at start and redial when lost: multiaddrs ending in /p2p/<peer id>. */
  bootstrapAddresses: string[];
  /** Redial backoff: first retry after about min, doubling (with jitter) up to max. */
  redialMinDelayMs: number;
  redialMaxDelayMs: number;
  /** gossipsub heartbeat (mesh maintenance, score decay of gossip). */
  heartbeatIntervalMs: number;

  /** Outbound gossip: messages and bytes waiting per topic before the oldest is dropped. */
  outboundQueueMaxMessages: number;
  outboundQueueMaxBytes: number;
  /**
   * gossipsub's own queue is unbounded (FACTS.md): this node stops handing it messages
   * while more than f peers' gossip streams hold more than this many unsent bytes.
   */
  gossipBacklogMaxBytes: number;
  /** Hard cap on a peer's gossip stream buffer; past it libp2p resets the stream. */
  gossipStreamBufferMaxBytes: number;
  /** How often a paused outbound queue looks at the backlog again. */
  backlogPollMs: number;

  /** Inbound gossip messages waiting for validation, per topic; more are ignored. */
  inboundQueueMaxMessages: number;
  /** Direct messages (votes, block fetches) waiting per destination peer. */
  directQueueMaxMessages: number;

  /** Transaction batching: a batch is published at this many txs, bytes, or ms. */
  txBatchMaxTxs: number;
  txBatchMaxBytes: number;
  txBatchMaxDelayMs: number;

  /**
   * An accepted gossip message is forwarded this long after validation, not at once. In a
   * fully connected network every peer gets the message from its origin and forwards are
   * pure duplicates; gossipsub skips peers that sent it an IDONTWANT or their own copy, but
   * a node that validates quickly forwards before those arrive. In the node benchmark
   * (BENCHMARKS.md) a node received 10.5 MB of gossip with no delay, 6.8 MB with 20 ms and
   * 5.7 MB with 60 ms, where 4.6 MB is each message once. Relays through a partial mesh
   * are this much later per hop; consensus timeouts are seconds.
   */
  forwardDelayMs: number;

  /** Consensus messages more than this many rounds below the local round are ignored. */
  maxPastRounds: number;
  /**
   * Messages more than this many rounds above the local round are ignored unless their
   * own certificates justify the round (a lagging node must still hear the network).
   */
  maxFutureRounds: number;
  /** Verified signatures remembered, so the core does not check them again. */
  verifiedSignatureCacheSize: number;
}

export const DEFAULT_NETWORK_OPTIONS: Readonly<NetworkOptions> = Object.freeze({
  listenAddresses: ['/ip4/0.0.0.0/tcp/7000'],
  bootstrapAddresses: [],
  redialMinDelayMs: 250,
  redialMaxDelayMs: 15_000,
  heartbeatIntervalMs: 700,
  outboundQueueMaxMessages: 256,
  outboundQueueMaxBytes: 16 * 1024 * 1024,
  gossipBacklogMaxBytes: 1024 * 1024,
  gossipStreamBufferMaxBytes: 32 * 1024 * 1024,
  backlogPollMs: 5,
  inboundQueueMaxMessages: 1024,
  directQueueMaxMessages: 64,
  txBatchMaxTxs: 256,
  txBatchMaxBytes: 64 * 1024,
  txBatchMaxDelayMs: 20,
  forwardDelayMs: 60,
  maxPastRounds: 4,
  maxFutureRounds: 100,
  verifiedSignatureCacheSize: 50_000,
} satisfies NetworkOptions);
