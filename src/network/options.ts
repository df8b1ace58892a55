/** Tunables of the network subsystem, with units in names; every queue has a bound here. */
export interface NetworkOptions {
  /** Multiaddrs to listen on, e.g. '/ip4/0.0.0.0/tcp/7000' ('/tcp/0' picks a free port). */
  listenAddresses: string[];
  /** Peers to dial at start and redial when lost: multiaddrs ending in /p2p/<peer id>. */
  bootstrapAddresses: string[];
  /**
   * Multiaddrs identify hands out instead of the listen addresses (behind NAT, a relay or a
   * proxy); empty: the listen addresses.
   */
  announceAddresses: string[];
  /** Redial backoff: first retry after about min, doubling (with jitter) up to max. */
  redialMinDelayMs: number;
  redialMaxDelayMs: number;
  /**
   * A peer's new inbound connection closes its connections older than this (superseded.ts):
   * the peer lost them in an outage this node has not noticed yet.
   */
  supersededAfterMs: number;
  /** gossipsub heartbeat (mesh maintenance, score decay of gossip). */
  heartbeatIntervalMs: number;
  /**
   * How long gossipsub remembers a message id (its seen-TTL; gossipsub's default is 2
   * minutes): a copy of the same bytes that arrives later, or is published again by this
   * node, is handled as new. It only has to outlast the paths a message takes through the
   * mesh (a few heartbeats of gossip about it); every copy still passes the gate, which
   * answers a known transaction or an old round without cost. Shorter than the node's
   * txRebroadcastMs, so a transaction batch gossiped again with the same bytes is sent.
   */
  seenTtlMs: number;

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
  /** The same queues bounded by the bytes they hold (a proposal may be a megabyte). */
  inboundQueueMaxBytes: number;
  /**
   * Shares of the validation turns each topic gets while several have messages waiting
   * (weighted fair queueing): a flood on one topic slows the others, never stops them.
   */
  inboundWeights: Readonly<Record<'proposal' | 'timeout' | 'transactions', number>>;
  /** Direct messages (votes, block fetches) waiting per destination peer. */
  directQueueMaxMessages: number;
  /** The same queues bounded by bytes (at least two of the largest frame). */
  directQueueMaxBytes: number;
  /** Direct-protocol streams one connection may open to this node at once. */
  directInboundStreamsMax: number;
  /**
   * A direct frame that has started must be complete within this time, or the stream is
   * closed (the sender opens a new one): a peer cannot hold a frame open byte by byte.
   */
  directFrameTimeoutMs: number;
  /**
   * What one peer's direct frames may cost: bytes read and milliseconds spent validating
   * and handling them, per second, with a burst. A peer over budget is not read until it
   * is back under (its muxer window then holds it back); it is never disconnected for it.
   * Byte budgets here and below are raised to a few of the largest frames when the
   * chain's blocks are larger.
   */
  directReadBytesPerSecond: number;
  directReadBurstBytes: number;
  directCpuMsPerSecond: number;
  directCpuBurstMs: number;
  /**
   * Block requests one peer may make per second (with a burst), and block bytes this node
   * sends it per second in answer (with a burst). Requests over either budget are ignored
   * and counted; the fetching side asks another validator after its timeout.
   */
  blockRequestsPerSecond: number;
  blockRequestsBurst: number;
  blockServeBytesPerSecond: number;
  blockServeBurstBytes: number;

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
}

export const DEFAULT_NETWORK_OPTIONS: Readonly<NetworkOptions> = Object.freeze({
  listenAddresses: ['/ip4/0.0.0.0/tcp/7000'],
  bootstrapAddresses: [],
  announceAddresses: [],
  redialMinDelayMs: 250,
  redialMaxDelayMs: 15_000,
  supersededAfterMs: 2000,
  heartbeatIntervalMs: 700,
  seenTtlMs: 15_000,
  outboundQueueMaxMessages: 256,
  outboundQueueMaxBytes: 16 * 1024 * 1024,
  gossipBacklogMaxBytes: 1024 * 1024,
  gossipStreamBufferMaxBytes: 32 * 1024 * 1024,
  backlogPollMs: 5,
  inboundQueueMaxMessages: 1024,
  inboundQueueMaxBytes: 16 * 1024 * 1024,
  inboundWeights: Object.freeze({ proposal: 4, timeout: 2, transactions: 2 }),
  directQueueMaxMessages: 64,
  directQueueMaxBytes: 8 * 1024 * 1024,
  directInboundStreamsMax: 4,
  directFrameTimeoutMs: 10_000,
  directReadBytesPerSecond: 16 * 1024 * 1024,
  directReadBurstBytes: 8 * 1024 * 1024,
  directCpuMsPerSecond: 250,
  directCpuBurstMs: 200,
  blockRequestsPerSecond: 20,
  blockRequestsBurst: 40,
  blockServeBytesPerSecond: 8 * 1024 * 1024,
  blockServeBurstBytes: 16 * 1024 * 1024,
  txBatchMaxTxs: 256,
  txBatchMaxBytes: 64 * 1024,
  txBatchMaxDelayMs: 20,
  forwardDelayMs: 60,
  maxPastRounds: 4,
  maxFutureRounds: 100,
} satisfies NetworkOptions);
