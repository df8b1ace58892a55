/**
 * The node's Prometheus registry: the metric definitions, the collectors that read the
 * subsystems' own counters at scrape time, and the histograms observed as events happen.
 *
 * One registry per node, never prom-client's global one: tests run several nodes in one
 * process, and each must report only its own figures. Counters that a subsystem already
 * keeps (mempool, network, sync) are copied into prom-client counters when scraped; they
 * only ever grow there, so they stay counters. Levels (height, sizes, peers) are gauges.
 * Label values come from finite sets (reason codes, topics, message kinds), never from a
 * peer id or an address.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MempoolMetrics } from '../mempool/index.js';
import { type MessageKind, type NetworkMetrics, TOPIC_KINDS, type TopicKind } from '../network/index.js';
import { type MallocStats, mallocStats } from '../os/index.js';
import { systemClock } from '../time/index.js';
import { ConsensusWatcher } from './consensus.js';
import type {
  BlockObserver,
  ConsensusFigures,
  ConsensusStep,
  ConsensusView,
  MemoryUpkeepFigures,
  MetricSources,
  SyncProgress,
} from './interface.js';
import { type MetricsOptions, metricsOptions } from './options.js';

/** The content type of the text exposition format that scrape() answers. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface NodeMetrics {
  /** The text exposition (format 0.0.4) of this node's metrics and the process's. */
  scrape(): Promise<string>;
  /** Event-time hooks for the block application. */
  readonly blocks: BlockObserver;
  /** The consensus driver's trace port: votes, proposals, timeouts, rounds, TCs, leaders. */
  consensusStep(step: ConsensusStep): void;
}

export interface NodeMetricsComponents {
  sources: MetricSources;
  consensus: ConsensusView;
  /** Monotonic milliseconds (default: the system clock's). */
  nowMs?: () => number;
  /** Constant labels of ledger_node_info (bounded: one series per node). */
  info: { role: 'validator' | 'observer'; chainId: string };
}

/** What every collector of one scrape reads: each source is asked once per scrape. */
interface Snapshot {
  height: number;
  peers: number;
  mempool: MempoolMetrics;
  network: NetworkMetrics | undefined;
  consensus: ConsensusFigures | undefined;
  sync: SyncProgress | undefined;
  memoryUpkeep: MemoryUpkeepFigures;
}

type Labelled = Array<[Record<string, string>, number]>;

export function createNodeMetrics(
  c: NodeMetricsComponents,
  overrides: Partial<MetricsOptions> = {},
): NodeMetrics {
  const options = metricsOptions(overrides);
  const registry = new Registry();
  const registers = [registry];
  const nowMs = c.nowMs ?? (() => systemClock.monotonicMs());

  let current: Snapshot | undefined;
  const take = (): Snapshot => {
    const s = c.sources;
    return {
      height: s.committedHeight(),
      peers: s.peers(),
      mempool: s.mempool(),
      network: s.network(),
      consensus: s.consensus(),
      sync: s.sync(),
      memoryUpkeep: s.memoryUpkeep(),
    };
  };
  // prom-client runs every collect synchronously at the start of registry.metrics(); one
  // read of the sources serves them all (network metrics are a deep copy)
  const snapshot = () => current ?? take();

  /** A counter whose value the subsystem keeps: copied in at scrape time. */
  const copiedCounter = (name: string, help: string, read: (s: Snapshot) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(snapshot()));
      },
    });
  const copiedLabelledCounter = (
    name: string,
    help: string,
    labelNames: string[],
    read: (s: Snapshot) => Labelled,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of read(snapshot())) this.inc(labels, value);
      },
    });
  const gauge = (name: string, help: string, read: (s: Snapshot) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(snapshot()));
      },
    });
  const labelledGauge = (name: string, help: string, labelNames: string[], read: (s: Snapshot) => Labelled) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of read(snapshot())) this.set(labels, value);
      },
    });

  new Gauge({
    name: 'ledger_node_info',
    help: 'Always 1; its labels say what this node is (role: validator or observer; chain_id)',
    labelNames: ['role', 'chain_id'],
    registers,
  }).set({ role: c.info.role, chain_id: c.info.chainId }, 1);

  // ------------------------------------------------------------ chain and consensus
  gauge('ledger_chain_height', 'Height of the committed tip', (s) => s.height);
  gauge(
    'ledger_consensus_round',
    'Round the consensus core is in (0: none runs here)',
    (s) => s.consensus?.round ?? 0,
  );
  gauge(
    'ledger_consensus_highest_qc_round',
    'Round of the highest quorum certificate consensus holds',
    (s) => s.consensus?.highQcRound ?? 0,
  );
  gauge(
    'ledger_consensus_highest_tc_round',
    'Round of the highest timeout certificate consensus holds (0: none)',
    (s) => s.consensus?.highTcRound ?? 0,
  );
  gauge(
    'ledger_consensus_last_voted_round',
    'Last round this validator voted in (its safety data)',
    (s) => s.consensus?.lastVotedRound ?? 0,
  );
  const blocksCommitted = new Counter({
    name: 'ledger_blocks_committed_total',
    help: 'Blocks this node committed, by how: consensus or block sync',
    labelNames: ['source'],
    registers,
  });
  const txsCommitted = new Counter({
    name: 'ledger_transactions_committed_total',
    help: 'Transactions in the blocks this node committed',
    registers,
  });
  const watcher = new ConsensusWatcher(
    {
      proposalsSent: new Counter({
        name: 'ledger_consensus_proposals_sent_total',
        help: 'Proposals this validator broadcast as leader',
        registers,
      }),
      votesSent: new Counter({
        name: 'ledger_consensus_votes_sent_total',
        help: 'Votes this validator sent',
        registers,
      }),
      timeouts: new Counter({
        name: 'ledger_consensus_timeouts_total',
        help: 'Rounds this validator timed out in (repeats of a timeout message not counted)',
        registers,
      }),
      timeoutCertificates: new Counter({
        name: 'ledger_consensus_timeout_certificates_total',
        help: 'Times the highest timeout certificate held moved to a higher round (formed here or received)',
        registers,
      }),
      rounds: new Counter({
        name: 'ledger_consensus_rounds_total',
        help: 'Times consensus entered a higher round',
        registers,
      }),
      leaderChanges: new Counter({
        name: 'ledger_consensus_leader_changes_total',
        help: 'Round changes whose new round has another leader than the round before',
        registers,
      }),
    },
    c.consensus,
  );

  // ------------------------------------------------------------ histograms (event time)
  const commitLatency = new Histogram({
    name: 'ledger_commit_latency_seconds',
    help: 'From when this node first saw a block (built it, or executed its proposal) to its commit',
    buckets: options.commitLatencyBucketsSeconds,
    registers,
  });
  const execution = new Histogram({
    name: 'ledger_block_execution_seconds',
    help: 'Executing a block (state transition and state root): to build a proposal, or to validate one',
    labelNames: ['phase'],
    buckets: options.blockExecutionBucketsSeconds,
    registers,
  });
  const storeCommit = new Histogram({
    name: 'ledger_store_commit_seconds',
    help: 'From handing a committed block to the lmdb store to its write being durable',
    buckets: options.storeCommitBucketsSeconds,
    registers,
  });

  // ------------------------------------------------------------ mempool
  labelledGauge(
    'ledger_mempool_transactions',
    'Transactions in the mempool: pending (executable in nonce order) or queued (behind a nonce gap)',
    ['state'],
    (s) => [
      [{ state: 'pending' }, s.mempool.size - s.mempool.queued],
      [{ state: 'queued' }, s.mempool.queued],
    ],
  );
  gauge('ledger_mempool_bytes', 'Raw bytes of the transactions in the mempool', (s) => s.mempool.bytes);
  gauge(
    'ledger_mempool_senders',
    'Distinct senders with transactions in the mempool',
    (s) => s.mempool.senders,
  );
  copiedCounter(
    'ledger_mempool_admitted_total',
    'Transactions admitted to the mempool (API and gossip)',
    (s) => s.mempool.admitted,
  );
  copiedCounter(
    'ledger_mempool_replaced_total',
    'Transactions that replaced a pending one of the same sender and nonce with higher fees',
    (s) => s.mempool.replaced,
  );
  copiedCounter(
    'ledger_mempool_included_total',
    'Pending transactions removed because a committed block included them',
    (s) => s.mempool.included,
  );
  copiedCounter(
    'ledger_mempool_evicted_total',
    'Pending transactions dropped after a commit: nonce used, or the sender can no longer pay',
    (s) => s.mempool.evicted,
  );
  copiedCounter(
    'ledger_mempool_expired_total',
    'Queued transactions dropped at the end of their lifetime',
    (s) => s.mempool.expired,
  );
  copiedCounter(
    'ledger_mempool_displaced_total',
    'Queued transactions dropped to make room for a pending or better-paying one',
    (s) => s.mempool.displaced,
  );
  copiedCounter(
    'ledger_mempool_sender_recoveries_total',
    'Signature recoveries admission performed',
    (s) => s.mempool.recoveries,
  );
  copiedLabelledCounter(
    'ledger_mempool_rejected_total',
    'Transactions the mempool refused, by reason (the API and gossip error codes)',
    ['reason'],
    (s) => Object.entries(s.mempool.rejected).map(([reason, n]) => [{ reason }, n ?? 0]),
  );

  // ------------------------------------------------------------ network
  gauge('ledger_network_peers', 'Connected libp2p peers', (s) => s.peers);
  copiedLabelledCounter(
    'ledger_gossip_messages_total',
    'Inbound gossip messages by topic and the gate verdict: accept, ignore or reject',
    ['topic', 'verdict'],
    (s) => verdicts(s.network, GOSSIP_TOPICS, 'topic'),
  );
  copiedLabelledCounter(
    'ledger_direct_messages_total',
    'Inbound direct-protocol messages by kind and the gate verdict: accept, ignore or reject',
    ['kind', 'verdict'],
    (s) => verdicts(s.network, DIRECT_KINDS, 'kind'),
  );
  copiedLabelledCounter(
    'ledger_network_gate_errors_total',
    'Why the gate ignored or rejected inbound messages, by error code',
    ['code'],
    (s) => Object.entries(s.network?.gateErrors ?? {}).map(([code, n]) => [{ code }, n ?? 0]),
  );
  copiedLabelledCounter(
    'ledger_gossip_published_total',
    'Gossip messages this node published, by topic',
    ['topic'],
    (s) => GOSSIP_TOPICS.map((topic) => [{ topic }, s.network?.published[topic] ?? 0]),
  );
  copiedLabelledCounter(
    'ledger_network_dropped_total',
    'Messages dropped under overload: outbound gossip whose topic queue was full (by topic), direct messages with a full queue or no stream, inbound messages with a full validation queue',
    ['queue'],
    (s) => {
      const d = s.network?.dropped;
      return [
        ...GOSSIP_TOPICS.map((topic): [Record<string, string>, number] => [
          { queue: `outbound_${topic}` },
          d?.outbound[topic] ?? 0,
        ]),
        [{ queue: 'direct' }, d?.direct ?? 0],
        [{ queue: 'inbound' }, d?.inbound ?? 0],
      ];
    },
  );
  copiedCounter(
    'ledger_network_dropped_transactions_total',
    'Transactions inside dropped outbound gossip batches',
    (s) => s.network?.dropped.outboundTxs ?? 0,
  );
  copiedLabelledCounter(
    'ledger_network_throttled_total',
    'Work refused or deferred because a peer was over its budget: block requests ignored, direct streams paused, slow frames closed',
    ['what'],
    (s) => {
      const t = s.network?.throttled;
      return [
        [{ what: 'block_requests' }, t?.blockRequests ?? 0],
        [{ what: 'direct_read_pauses' }, t?.directReadPauses ?? 0],
        [{ what: 'slow_frames' }, t?.slowFrames ?? 0],
      ];
    },
  );
  copiedCounter(
    'ledger_network_backpressure_pauses_total',
    "Times outbound queues paused because gossipsub's backlog was over its bound",
    (s) => s.network?.backpressurePauses ?? 0,
  );
  copiedCounter(
    'ledger_network_refused_connections_total',
    'Connections the genesis allow-list refused',
    (s) => s.network?.refusedConnections ?? 0,
  );
  copiedCounter(
    'ledger_network_redials_total',
    'Redials of lost bootstrap peers',
    (s) => s.network?.redials ?? 0,
  );
  copiedCounter(
    'ledger_network_gossip_streams_reopened_total',
    'Connected peers found without an outbound gossip stream, for which one was opened again',
    (s) => s.network?.gossipStreamsReopened ?? 0,
  );
  copiedCounter(
    'ledger_network_superseded_connections_total',
    'Connections aborted because their peer dialled this node anew, having lost them on its side',
    (s) => s.network?.supersededConnections ?? 0,
  );

  // ------------------------------------------------------------ block sync
  gauge(
    'ledger_sync_syncing',
    '1 while block sync is catching up (a validator has left consensus), else 0',
    (s) => (s.sync?.syncing ? 1 : 0),
  );
  gauge(
    'ledger_sync_target_height',
    'Height block sync would fetch up to now',
    (s) => s.sync?.targetHeight ?? 0,
  );
  copiedCounter(
    'ledger_memory_upkeep_passes_total',
    "Passes of the memory upkeep, each dropping the node's mapping of the lmdb pages it read",
    (s) => s.memoryUpkeep.passes,
  );
  gauge(
    'ledger_memory_upkeep_longest_pass_seconds',
    'The longest memory upkeep pass so far (on worker threads)',
    (s) => s.memoryUpkeep.longestPassMs / 1000,
  );
  copiedCounter(
    'ledger_malloc_trims_total',
    "Trims of glibc malloc's free memory by the memory upkeep",
    (s) => s.memoryUpkeep.mallocTrims,
  );
  gauge(
    'ledger_malloc_trim_longest_seconds',
    'The longest malloc trim so far: a thread allocating meanwhile waits, the event loop among them',
    (s) => s.memoryUpkeep.longestTrimMs / 1000,
  );
  gauge(
    'ledger_sync_proven_height',
    'Highest height a peer has proven committed to block sync',
    (s) => s.sync?.provenHeight ?? 0,
  );
  copiedCounter(
    'ledger_sync_applied_blocks_total',
    'Blocks block sync verified and committed',
    (s) => s.sync?.counters.appliedBlocks ?? 0,
  );
  copiedCounter(
    'ledger_sync_requests_total',
    'Range requests block sync sent',
    (s) => s.sync?.counters.requests ?? 0,
  );
  copiedCounter(
    'ledger_sync_failed_requests_total',
    'Range requests that failed (timeout, closed stream, refusal)',
    (s) => s.sync?.counters.failedRequests ?? 0,
  );
  copiedCounter(
    'ledger_sync_hedged_requests_total',
    'Range requests also sent to a second peer because the first was slow to answer the range above the head',
    (s) => s.sync?.counters.hedgedRequests ?? 0,
  );
  copiedLabelledCounter(
    'ledger_sync_served_requests_total',
    "Peers' range requests this node's sync server handled: served, refused (over the peer's budget or too many at once), or not received in time",
    ['outcome'],
    (s) => {
      const server = s.sync?.server;
      return [
        [{ outcome: 'served' }, server?.served ?? 0],
        [{ outcome: 'refused' }, server?.refused ?? 0],
        [{ outcome: 'read_timeout' }, server?.readTimeouts ?? 0],
      ];
    },
  );
  copiedCounter(
    'ledger_sync_served_cut_short_total',
    "Answers to peers' range requests cut short because the peer's byte budget was spent",
    (s) => s.sync?.server?.cutShort ?? 0,
  );
  copiedCounter(
    'ledger_sync_bad_responses_total',
    'Range answers that did not verify (the peer was penalised)',
    (s) => s.sync?.counters.badResponses ?? 0,
  );

  let scraped: Registry | undefined;
  let last: { atMs: number; text: Promise<string> } | undefined;
  const build = (): Promise<string> => {
    scraped ??= options.processMetrics ? Registry.merge([registry, processRegistry()]) : registry;
    current = take();
    try {
      // every collect has run when metrics() returns its promise
      return scraped.metrics();
    } finally {
      current = undefined;
    }
  };
  return {
    scrape() {
      const atMs = nowMs();
      if (last && atMs - last.atMs < options.minScrapeIntervalMs) return last.text;
      const text = build();
      const entry = { atMs, text };
      last = entry;
      text.catch(() => {
        if (last === entry) last = undefined;
      });
      return text;
    },
    blocks: {
      nowMs,
      blockExecuted: (phase, elapsedMs) => execution.observe({ phase }, elapsedMs / 1000),
      blockCommitted: (source, transactions, latencyMs) => {
        blocksCommitted.inc({ source });
        txsCommitted.inc(transactions);
        if (latencyMs !== undefined) commitLatency.observe(latencyMs / 1000);
      },
      blockStored: (elapsedMs) => storeCommit.observe(elapsedMs / 1000),
    },
    consensusStep: (step) => watcher.onStep(step),
  };
}

const GOSSIP_TOPICS: readonly TopicKind[] = TOPIC_KINDS;
/** Direct-protocol frames, and 'direct' for one of no known kind (src/network MessageKind). */
const DIRECT_KINDS: readonly MessageKind[] = ['vote', 'blockRequest', 'blockResponse', 'direct'];
const VERDICTS = [
  ['accept', 'accepted'],
  ['ignore', 'ignored'],
  ['reject', 'rejected'],
] as const;

function verdicts(
  network: NetworkMetrics | undefined,
  kinds: readonly MessageKind[],
  label: string,
): Labelled {
  return kinds.flatMap((kind) =>
    VERDICTS.map(([verdict, field]): [Record<string, string>, number] => [
      { [label]: kind, verdict },
      network?.verdicts[kind][field] ?? 0,
    ]),
  );
}

let processMetrics: Registry | undefined;

/**
 * prom-client's default collectors, once per process and only once something scrapes:
 * each set keeps an event-loop delay monitor running for good, and they describe the
 * process, which every node in it shares.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
    registerMallocGauges(processMetrics);
  }
  return processMetrics;
}

/**
 * glibc malloc's memory (src/os, where koffi and mallinfo2 are at hand): the part of the
 * resident set outside the V8 heap and its buffers, split into what is in use and the free
 * chunks malloc keeps, so a soak can tell a native leak from fragmentation.
 */
function registerMallocGauges(register: Registry): void {
  let latest = mallocStats();
  if (!latest) return;
  // mallinfo2 locks and walks every arena, so a scrape calls it once: the registry collects
  // its metrics in registration order, and the first of these gauges takes the figures the
  // other two then read.
  let first = true;
  const gauge = (name: string, help: string, pick: (s: MallocStats) => number) => {
    const refreshes = first;
    first = false;
    return new Gauge({
      name,
      help,
      registers: [register],
      collect() {
        if (refreshes) latest = mallocStats();
        if (latest) this.set(pick(latest));
      },
    });
  };
  gauge(
    'process_malloc_heap_bytes',
    'Bytes glibc malloc holds in its arenas, in use and free.',
    (s) => s.heapBytes,
  );
  gauge(
    'process_malloc_heap_free_bytes',
    'Bytes in free chunks glibc malloc keeps in its arenas.',
    (s) => s.heapFreeBytes,
  );
  gauge(
    'process_malloc_mmapped_bytes',
    'Bytes of large allocations glibc malloc mapped one by one.',
    (s) => s.mmappedBytes,
  );
}
