/**
 * Outbound gossip with flow control. gossipsub's `publish` resolves once the message is
 * queued and its queue has no bound (FACTS.md), so this node never publishes straight
 * into it: each topic has a BoundedQueue (oldest dropped and counted when full), and one
 * pump hands messages to gossipsub, proposals first, while at most `maxLaggingPeers`
 * validators' gossip streams hold more than gossipBacklogMaxBytes unsent bytes (observers
 * never pause it: they follow by block sync). Beyond that it pauses
 * and looks again after backlogPollMs. Tolerating f lagging peers matters: a peer that is
 * frozen (SIGSTOP, a partition that keeps the TCP connection) never drains, and pausing
 * for it would stop every proposal and timeout of this node, i.e. one faulty peer could
 * halt consensus. A lagging peer's stream is bounded anyway (gossipStreamBufferMaxBytes,
 * past which libp2p resets it) and it catches up by block sync.
 *
 * Transactions are batched (many per message, DESIGN.md): a batch goes out at
 * txBatchMaxTxs transactions, txBatchMaxBytes bytes or txBatchMaxDelayMs after its first
 * transaction, whichever comes first; batches waiting for the pump are bounded like any
 * other topic's messages.
 */
import type { GossipSub } from '@libp2p/gossipsub';
import type { Clock, Timer } from '../time/index.js';
import { encodeTxBatch } from './encoding.js';
import { peersWithBacklogOver } from './gossip-internals.js';
import type { NetworkLogger, NetworkMetrics } from './interface.js';
import type { NetworkOptions } from './options.js';
import { BoundedQueue } from './queues.js';
import { TOPIC_KINDS, type TopicKind, type Topics } from './topics.js';

const PUBLISH_PER_TICK = 8;

interface Outgoing {
  data: Uint8Array;
  /** Transactions in it (transaction batches only), for the drop count. */
  txs: number;
}

export type GossipPublisherOptions = Pick<
  NetworkOptions,
  | 'outboundQueueMaxMessages'
  | 'outboundQueueMaxBytes'
  | 'gossipBacklogMaxBytes'
  | 'backlogPollMs'
  | 'txBatchMaxTxs'
  | 'txBatchMaxBytes'
  | 'txBatchMaxDelayMs'
> & {
  /** Validators that may lag without pausing this node's gossip: f. */
  maxLaggingPeers: number;
};

export interface GossipPublisherComponents {
  pubsub: GossipSub;
  topics: Topics;
  metrics: NetworkMetrics;
  logger: NetworkLogger;
  clock: Clock;
  isValidatorPeer: (peerId: string) => boolean;
}

export class GossipPublisher {
  private readonly queues: Record<TopicKind, BoundedQueue<Outgoing>>;
  private pumpScheduled = false;
  private pollTimer: Timer | undefined;
  private stopped = true;
  // transaction batching
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private batchTimer: Timer | undefined;

  private readonly pubsub: GossipSub;
  private readonly topics: Topics;
  private readonly metrics: NetworkMetrics;
  private readonly logger: NetworkLogger;
  private readonly clock: Clock;

  constructor(
    private readonly opts: GossipPublisherOptions,
    private readonly c: GossipPublisherComponents,
  ) {
    this.pubsub = c.pubsub;
    this.topics = c.topics;
    this.metrics = c.metrics;
    this.logger = c.logger;
    this.clock = c.clock;
    const make = () =>
      new BoundedQueue<Outgoing>(
        opts.outboundQueueMaxMessages,
        opts.outboundQueueMaxBytes,
        (m) => m.data.length,
      );
    this.queues = { proposal: make(), timeout: make(), transactions: make() };
  }

  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    this.pollTimer?.cancel();
    this.pollTimer = undefined;
    this.batchTimer?.cancel();
    this.batchTimer = undefined;
    this.batch = [];
    this.batchBytes = 0;
    for (const kind of TOPIC_KINDS) this.queues[kind].clear();
  }

  /** Messages waiting per topic (for tests and metrics). */
  queued(kind: TopicKind): number {
    return this.queues[kind].length;
  }

  enqueue(kind: TopicKind, data: Uint8Array, txs = 0): void {
    if (this.stopped) return;
    for (const dropped of this.queues[kind].push({ data, txs })) {
      this.metrics.dropped.outbound[kind]++;
      this.metrics.dropped.outboundTxs += dropped.txs;
    }
    this.schedulePump();
  }

  /** Adds transactions to the current batch; publishes full batches. */
  addTransactions(txs: readonly Uint8Array[]): void {
    if (this.stopped) return;
    for (const tx of txs) {
      // ~3 bytes of RLP header per transaction
      if (this.batch.length > 0 && this.batchBytes + tx.length + 3 > this.opts.txBatchMaxBytes)
        this.flushBatch();
      this.batch.push(tx);
      this.batchBytes += tx.length + 3;
      if (this.batch.length >= this.opts.txBatchMaxTxs) this.flushBatch();
    }
    if (this.batch.length > 0 && this.batchTimer === undefined) {
      this.batchTimer = this.clock.setTimeout(() => this.flushBatch(), this.opts.txBatchMaxDelayMs);
    }
  }

  flushBatch(): void {
    this.batchTimer?.cancel();
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const txs = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.enqueue('transactions', encodeTxBatch(txs), txs.length);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.pollTimer !== undefined || this.stopped) return;
    this.pumpScheduled = true;
    this.clock.defer(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Publishes up to PUBLISH_PER_TICK messages, then yields: gossipsub sends after a few
   * microtasks, so the backlog check only sees earlier publishes after a yield.
   */
  private pump(): void {
    for (let i = 0; ; i++) {
      if (i === PUBLISH_PER_TICK) {
        this.schedulePump();
        return;
      }
      if (this.stopped) return;
      const kind = TOPIC_KINDS.find((k) => this.queues[k].length > 0);
      if (kind === undefined) return;
      const lagging = peersWithBacklogOver(
        this.pubsub,
        this.opts.gossipBacklogMaxBytes,
        this.c.isValidatorPeer,
      );
      if (lagging > this.opts.maxLaggingPeers) {
        this.metrics.backpressurePauses++;
        this.pollTimer = this.clock.setTimeout(() => {
          this.pollTimer = undefined;
          this.pump();
        }, this.opts.backlogPollMs);
        return;
      }
      const item = this.queues[kind].shift()!;
      this.metrics.published[kind]++;
      this.pubsub.publish(this.topics[kind], item.data).catch((err: Error) => {
        this.logger.debug({ kind, err: err.message }, 'gossip publish failed');
      });
    }
  }
}
