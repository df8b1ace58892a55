/**
 * src/metrics without a node: counters copied from the sources at scrape time, gauges,
 * the consensus counters read from trace steps, event-time histograms, and registries that
 * stay apart when several nodes share a process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MempoolMetrics } from '../../../src/mempool/index.js';
import {
  type ConsensusView,
  createNodeMetrics,
  type MetricSources,
  type NodeMetrics,
  type SyncProgress,
} from '../../../src/metrics/index.js';
import type { NetworkMetrics } from '../../../src/network/index.js';

function mempoolMetrics(overrides: Partial<MempoolMetrics> = {}): MempoolMetrics {
  return {
    admitted: 0,
    replaced: 0,
    included: 0,
    evicted: 0,
    rejected: {},
    recoveries: 0,
    expired: 0,
    displaced: 0,
    size: 0,
    queued: 0,
    bytes: 0,
    senders: 0,
    ...overrides,
  };
}

function emptyNetworkMetrics(): NetworkMetrics {
  const v = () => ({ accepted: 0, ignored: 0, rejected: 0 });
  const perTopic = () => ({ proposal: 0, timeout: 0, transactions: 0 });
  return {
    verdicts: {
      proposal: v(),
      timeout: v(),
      transactions: v(),
      vote: v(),
      blockRequest: v(),
      blockResponse: v(),
      direct: v(),
    },
    gateErrors: {},
    dropped: { outbound: perTopic(), outboundTxs: 0, direct: 0, inbound: 0 },
    published: perTopic(),
    throttled: { blockRequests: 0, blocksServedStored: 0, directReadPauses: 0, slowFrames: 0 },
    backpressurePauses: 0,
    refusedPeers: 0,
    refusedConnections: 0,
    redials: 0,
    gossipStreamsReopened: 0,
    supersededConnections: 0,
  };
}

/** A node's sources whose figures the test sets, and a consensus view it moves round by round. */
function fakeNode(minScrapeIntervalMs = 0, processMetrics = false) {
  const state = {
    height: 0,
    mempool: mempoolMetrics(),
    network: emptyNetworkMetrics(),
    round: undefined as number | undefined,
    tcRound: 0,
    leaders: new Map<number, number>(),
    sourceReads: 0,
    sync: undefined as SyncProgress | undefined,
    memoryUpkeep: { passes: 0, longestPassMs: 0, mallocTrims: 0, longestTrimMs: 0 },
  };
  const sources: MetricSources = {
    committedHeight: () => state.height,
    mempool: () => {
      state.sourceReads++;
      return state.mempool;
    },
    network: () => state.network,
    peers: () => 3,
    consensus: () =>
      state.round === undefined
        ? undefined
        : { round: state.round, highQcRound: state.round - 1, highTcRound: state.tcRound, lastVotedRound: 0 },
    sync: () => state.sync,
    memoryUpkeep: () => state.memoryUpkeep,
  };
  const consensus: ConsensusView = {
    round: () => state.round,
    highestTcRound: () => state.tcRound,
    leaderOf: (round) => state.leaders.get(round) ?? round % 4,
  };
  let clockMs = 0;
  const metrics = createNodeMetrics(
    {
      sources,
      consensus,
      nowMs: () => clockMs,
      info: { role: 'validator', chainId: '7' },
    },
    { processMetrics, minScrapeIntervalMs },
  );
  return {
    state,
    metrics,
    advanceMs: (ms: number) => {
      clockMs += ms;
    },
  };
}

/** `name{labels} value` lines of a scrape, by everything before the value. */
async function samples(metrics: NodeMetrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await metrics.scrape()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('node metrics registry', () => {
  it('copies the subsystems counters and levels at scrape time, reading each source once', async () => {
    const { state, metrics } = fakeNode();
    state.height = 12;
    state.mempool = mempoolMetrics({
      admitted: 9,
      rejected: { NONCE_TOO_LOW: 2, BAD_SIGNATURE: 1 },
      size: 5,
      queued: 2,
      bytes: 555,
    });
    state.network.verdicts.proposal.accepted = 4;
    state.network.verdicts.transactions.rejected = 1;
    state.network.dropped.outbound.transactions = 6;
    state.network.gateErrors.STALE_ROUND = 3;
    const s = await samples(metrics);
    assert.equal(state.sourceReads, 1);
    assert.equal(s.get('ledger_chain_height'), 12);
    assert.equal(s.get('ledger_mempool_admitted_total'), 9);
    assert.equal(s.get('ledger_mempool_rejected_total{reason="NONCE_TOO_LOW"}'), 2);
    assert.equal(s.get('ledger_mempool_rejected_total{reason="BAD_SIGNATURE"}'), 1);
    assert.equal(s.get('ledger_mempool_transactions{state="pending"}'), 3);
    assert.equal(s.get('ledger_mempool_transactions{state="queued"}'), 2);
    assert.equal(s.get('ledger_mempool_bytes'), 555);
    assert.equal(s.get('ledger_gossip_messages_total{topic="proposal",verdict="accept"}'), 4);
    assert.equal(s.get('ledger_gossip_messages_total{topic="transactions",verdict="reject"}'), 1);
    assert.equal(s.get('ledger_direct_messages_total{kind="vote",verdict="accept"}'), 0);
    assert.equal(s.get('ledger_network_dropped_total{queue="outbound_transactions"}'), 6);
    assert.equal(s.get('ledger_network_gate_errors_total{code="STALE_ROUND"}'), 3);
    assert.equal(s.get('ledger_network_peers'), 3);
    assert.equal(s.get('ledger_consensus_round'), 0, 'no consensus running reads as round 0');
    assert.equal(s.get('ledger_sync_syncing'), 0);
    assert.equal(s.get('ledger_node_info{role="validator",chain_id="7"}'), 1);

    // the next scrape shows the sources as they are then, not added to the last one
    state.mempool = mempoolMetrics({ admitted: 10, rejected: { NONCE_TOO_LOW: 2, BAD_SIGNATURE: 1 } });
    const again = await samples(metrics);
    assert.equal(again.get('ledger_mempool_admitted_total'), 10);
    assert.equal(again.get('ledger_mempool_rejected_total{reason="NONCE_TOO_LOW"}'), 2);
  });

  it('counts votes, proposals, first timeouts, rounds, leader changes and TCs from trace steps', async () => {
    const { state, metrics } = fakeNode();
    const stepIn = () => metrics.consensusStep({ dir: 'in', type: 'tick' });
    // before consensus runs nothing is counted; its first reading sets where counting starts
    stepIn();
    state.round = 5;
    state.tcRound = 3;
    stepIn();
    state.leaders.set(6, 5 % 4); // round 6 has the same leader as round 5
    state.round = 6;
    stepIn();
    state.round = 7;
    stepIn();
    stepIn(); // the same round again: nothing new
    state.tcRound = 7;
    state.round = 8;
    stepIn();
    metrics.consensusStep({ dir: 'out', type: 'sendVote' });
    metrics.consensusStep({ dir: 'out', type: 'sendVote' });
    metrics.consensusStep({ dir: 'out', type: 'broadcastProposal' });
    metrics.consensusStep({ dir: 'out', type: 'broadcastTimeout' });
    metrics.consensusStep({ dir: 'out', type: 'broadcastTimeout', repeat: true });
    const s = await samples(metrics);
    assert.equal(s.get('ledger_consensus_rounds_total'), 3);
    assert.equal(s.get('ledger_consensus_leader_changes_total'), 2);
    assert.equal(s.get('ledger_consensus_timeout_certificates_total'), 1);
    assert.equal(s.get('ledger_consensus_votes_sent_total'), 2);
    assert.equal(s.get('ledger_consensus_proposals_sent_total'), 1);
    assert.equal(s.get('ledger_consensus_timeouts_total'), 1);
    assert.equal(s.get('ledger_consensus_round'), 8);
    assert.equal(s.get('ledger_consensus_highest_tc_round'), 7);
  });

  it('answers scrapes within the minimum interval with the text built before', async () => {
    const { state, metrics, advanceMs } = fakeNode(1000);
    state.height = 1;
    assert.equal((await samples(metrics)).get('ledger_chain_height'), 1);
    state.height = 2;
    advanceMs(999);
    assert.equal((await samples(metrics)).get('ledger_chain_height'), 1);
    assert.equal(state.sourceReads, 1);
    advanceMs(1);
    assert.equal((await samples(metrics)).get('ledger_chain_height'), 2);
    assert.equal(state.sourceReads, 2);
  });

  it('observes block timings as they happen, and keeps two nodes apart', async () => {
    const a = fakeNode();
    const b = fakeNode();
    const { blocks } = a.metrics;
    const start = blocks.nowMs();
    a.advanceMs(3);
    blocks.blockExecuted('validate', blocks.nowMs() - start);
    blocks.blockCommitted('consensus', 4, 400);
    blocks.blockCommitted('sync', 2, undefined);
    blocks.blockStored(20);
    const s = await samples(a.metrics);
    assert.equal(s.get('ledger_block_execution_seconds_count{phase="validate"}'), 1);
    assert.equal(s.get('ledger_block_execution_seconds_sum{phase="validate"}'), 0.003);
    assert.equal(s.get('ledger_block_execution_seconds_bucket{le="0.0025",phase="validate"}'), 0);
    assert.equal(s.get('ledger_block_execution_seconds_bucket{le="0.005",phase="validate"}'), 1);
    assert.equal(s.get('ledger_blocks_committed_total{source="consensus"}'), 1);
    assert.equal(s.get('ledger_blocks_committed_total{source="sync"}'), 1);
    assert.equal(s.get('ledger_transactions_committed_total'), 6);
    // a synced block has no latency this node measured
    assert.equal(s.get('ledger_commit_latency_seconds_count'), 1);
    assert.equal(s.get('ledger_commit_latency_seconds_sum'), 0.4);
    assert.equal(s.get('ledger_store_commit_seconds_count'), 1);

    const other = await samples(b.metrics);
    assert.equal(other.get('ledger_commit_latency_seconds_count'), 0);
    assert.equal(other.get('ledger_transactions_committed_total'), 0);
    assert.equal(other.has('ledger_blocks_committed_total{source="consensus"}'), false);
    // without process metrics asked for, none are there
    assert.equal(
      [...other.keys()].some((k) => k.startsWith('process_')),
      false,
    );
  });

  it("reports glibc malloc's memory with the process metrics, free chunks apart from the rest", async () => {
    const s = await samples(fakeNode(0, true).metrics);
    const heap = s.get('process_malloc_heap_bytes');
    const free = s.get('process_malloc_heap_free_bytes');
    const mapped = s.get('process_malloc_mmapped_bytes');
    assert.ok(
      heap !== undefined && free !== undefined && mapped !== undefined,
      'koffi is installed with the project',
    );
    assert.ok(heap > 0 && free >= 0 && free <= heap, `heap ${heap}, free ${free}`);
    assert.ok(mapped >= 0);
    assert.ok((s.get('nodejs_heap_size_total_bytes') ?? 0) > 0, 'the default process metrics are there too');
  });

  it("copies block sync's counters, hedged requests among them", async () => {
    const { state, metrics } = fakeNode();
    state.sync = {
      syncing: true,
      targetHeight: 90,
      provenHeight: 80,
      counters: { requests: 12, failedRequests: 3, badResponses: 1, appliedBlocks: 40, hedgedRequests: 2 },
      server: undefined,
    };
    const s = await samples(metrics);
    assert.equal(s.get('ledger_sync_syncing'), 1);
    assert.equal(s.get('ledger_sync_requests_total'), 12);
    assert.equal(s.get('ledger_sync_failed_requests_total'), 3);
    assert.equal(s.get('ledger_sync_hedged_requests_total'), 2);
    assert.equal(s.get('ledger_sync_applied_blocks_total'), 40);
  });

  it("copies the memory upkeep's passes and malloc trims, the longest in seconds", async () => {
    const { state, metrics } = fakeNode();
    state.memoryUpkeep = { passes: 41, longestPassMs: 12, mallocTrims: 3, longestTrimMs: 250 };
    const s = await samples(metrics);
    assert.equal(s.get('ledger_memory_upkeep_passes_total'), 41);
    assert.equal(s.get('ledger_memory_upkeep_longest_pass_seconds'), 0.012);
    assert.equal(s.get('ledger_malloc_trims_total'), 3);
    assert.equal(s.get('ledger_malloc_trim_longest_seconds'), 0.25);
  });
});
