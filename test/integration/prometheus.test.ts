/**
 * GET /metrics (issue 14, observability) on real validators in one process over 127.0.0.1:
 * the Prometheus text format with the metric names and types operators read, counters and
 * histograms that move as transfers commit, labels from finite sets only, and the same
 * per-client limit and Host allow-list as the rest of the API.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../src/crypto/bytes.js';
import { addressOf } from '../../src/crypto/keys.js';
import type { LedgerNode } from '../../src/node/index.js';
import { signTransfer } from '../../src/tx/index.js';
import { postJson, waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';
import { testSecrets } from '../support/ledger-fixture.js';

const CHAIN_ID = 6161n;
const [SENDER, RECIPIENT_SECRET] = testSecrets(2, 'prometheus');
const RECIPIENT = addressOf(RECIPIENT_SECRET);
const TRANSFERS = 5;

/** Every name this node must expose, with its Prometheus type. */
const EXPECTED: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  ledger_node_info: 'gauge',
  ledger_chain_height: 'gauge',
  ledger_consensus_round: 'gauge',
  ledger_blocks_committed_total: 'counter',
  ledger_transactions_committed_total: 'counter',
  ledger_consensus_timeouts_total: 'counter',
  ledger_consensus_timeout_certificates_total: 'counter',
  ledger_consensus_leader_changes_total: 'counter',
  ledger_consensus_rounds_total: 'counter',
  ledger_consensus_votes_sent_total: 'counter',
  ledger_consensus_proposals_sent_total: 'counter',
  ledger_mempool_transactions: 'gauge',
  ledger_mempool_bytes: 'gauge',
  ledger_mempool_admitted_total: 'counter',
  ledger_mempool_rejected_total: 'counter',
  ledger_network_peers: 'gauge',
  ledger_gossip_messages_total: 'counter',
  ledger_direct_messages_total: 'counter',
  ledger_gossip_published_total: 'counter',
  ledger_network_dropped_total: 'counter',
  ledger_sync_syncing: 'gauge',
  ledger_sync_target_height: 'gauge',
  ledger_sync_applied_blocks_total: 'counter',
  ledger_sync_served_requests_total: 'counter',
  ledger_commit_latency_seconds: 'histogram',
  ledger_block_execution_seconds: 'histogram',
  ledger_store_commit_seconds: 'histogram',
  // prom-client's default collectors
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
};

/** Label names the ledger_ metrics may use: each ranges over a finite set, never a peer or an address. */
const BOUNDED_LABELS = new Set([
  'role',
  'chain_id',
  'source',
  'phase',
  'state',
  'reason',
  'topic',
  'verdict',
  'kind',
  'code',
  'queue',
  'what',
  'outcome',
  'le',
]);

interface Scrape {
  types: Map<string, string>;
  /** Sample value by `name{labels}` exactly as written. */
  samples: Map<string, number>;
  /** Label names seen per sample name. */
  labels: Map<string, Set<string>>;
}

/** A line parser for the text format 0.0.4, enough for what prom-client writes. */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]), `${type[1]} is declared twice`);
      types.set(type[1], type[2]);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const [, name, labelText = '', value] = sample;
    const names = labels.get(name) ?? new Set<string>();
    for (const m of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) names.add(m[1]);
    labels.set(name, names);
    samples.set(`${name}${labelText}`, Number(value));
  }
  return { types, samples, labels };
}

/** The sum of every sample of `name` whose labels include all of `match` (e.g. `topic="proposal"`). */
function total(s: Scrape, name: string, ...match: string[]): number {
  let sum = 0;
  for (const [key, value] of s.samples) {
    const brace = key.indexOf('{');
    const sampleName = brace < 0 ? key : key.slice(0, brace);
    if (sampleName === name && match.every((m) => key.includes(m))) sum += value;
  }
  return sum;
}

async function getText(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** GET with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.setTimeout(3000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

describe('Prometheus metrics at GET /metrics', { timeout: 30_000 }, () => {
  let net: ByzantineNet;
  let node: LedgerNode;
  let limited: LedgerNode;
  const scrape = async (n: LedgerNode): Promise<Scrape> => {
    const res = await getText(`http://127.0.0.1:${n.apiPort}/metrics`);
    assert.equal(res.status, 200, res.text);
    return parseExposition(res.text);
  };

  before(async () => {
    net = await byzantineNet({
      chainId: CHAIN_ID,
      params: { baseRoundTimeoutMs: 200 },
      alloc: [{ address: addressOf(SENDER), balance: 10n ** 21n }],
    });
    // three of four validators: a quorum, and the absent one's rounds time out
    node = await net.startNode(0);
    await net.startNode(1);
    limited = await net.startNode(2, { api: { requestsPerSecond: 1, burstRequests: 2 } });
  });
  after(async () => {
    await net?.stop();
  });

  it('serves the text format with every metric name and type, labels from finite sets', async () => {
    const res = await getText(`http://127.0.0.1:${node.apiPort}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const s = parseExposition(res.text);
    for (const [name, type] of Object.entries(EXPECTED))
      assert.equal(s.types.get(name), type, `${name} should be a ${type}`);
    for (const [name, type] of s.types)
      if (name.startsWith('ledger_') && type === 'counter') assert.match(name, /_total$/, name);
    for (const [name, names] of s.labels)
      if (name.startsWith('ledger_'))
        for (const label of names) assert.ok(BOUNDED_LABELS.has(label), `${name} has label ${label}`);
    assert.equal(total(s, 'ledger_node_info', 'role="validator"', `chain_id="${CHAIN_ID}"`), 1);
    // every gossip topic and verdict is a series from the start, at 0 or more
    for (const topic of ['proposal', 'timeout', 'transactions'])
      for (const verdict of ['accept', 'ignore', 'reject'])
        assert.ok(s.samples.has(`ledger_gossip_messages_total{topic="${topic}",verdict="${verdict}"}`));
  });

  it('counters and histograms move as transfers commit, and never go down', async () => {
    // a block committed first: the first scrape already sees consensus running
    await waitUntil(
      'validator 0 to commit a block',
      async () => ((await scrape(node)).samples.get('ledger_chain_height') ?? 0) >= 1 || undefined,
      10_000,
    );
    const first = await scrape(node);
    const peerFirst = await scrape(net.nodes[1]);
    const hashes: string[] = [];
    for (let nonce = 0; nonce < TRANSFERS; nonce++) {
      const tx = signTransfer(
        {
          chainId: CHAIN_ID,
          nonce: BigInt(nonce),
          maxPriorityFeePerGas: 1n,
          maxFeePerGas: 2n * net.genesis.params.baseFeePerGas,
          gasLimit: 21_000n,
          to: RECIPIENT,
          value: 1_000n + BigInt(nonce),
        },
        SENDER,
      );
      hashes.push(toHex(tx.hash));
      const posted = await postJson(`http://127.0.0.1:${node.apiPort}/api/v1/txs`, toHex(tx.raw));
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
    }
    const committed = total(first, 'ledger_transactions_committed_total');
    const second = await waitUntil(
      `the ${TRANSFERS} transfers to commit on validator 0`,
      async () => {
        const s = await scrape(node);
        return total(s, 'ledger_transactions_committed_total') >= committed + TRANSFERS ? s : undefined;
      },
      10_000,
    );

    const moved = (name: string, ...match: string[]) =>
      assert.ok(
        total(second, name, ...match) > total(first, name, ...match),
        `${name}${match.length ? `{${match.join(',')}}` : ''} did not move: ${total(first, name, ...match)} -> ${total(second, name, ...match)}`,
      );
    moved('ledger_chain_height');
    moved('ledger_blocks_committed_total', 'source="consensus"');
    moved('ledger_consensus_rounds_total');
    moved('ledger_consensus_votes_sent_total');
    moved('ledger_gossip_messages_total', 'topic="proposal"', 'verdict="accept"');
    moved('ledger_gossip_published_total', 'topic="transactions"');
    moved('ledger_commit_latency_seconds_count');
    moved('ledger_block_execution_seconds_count');
    moved('ledger_store_commit_seconds_count');
    assert.equal(
      total(second, 'ledger_mempool_admitted_total') - total(first, 'ledger_mempool_admitted_total'),
      TRANSFERS,
    );
    assert.ok(total(second, 'ledger_network_peers') >= 2);
    // the peer admits the gossiped batch too. Not necessarily before validator 0 commits: a
    // peer can vote after fetching the bodies by assembly, and the batch can reach it later
    // by a relay's IHAVE if validator 0's own stream to it was being reopened
    const acceptedBatches = (s: Scrape) =>
      total(s, 'ledger_gossip_messages_total', 'topic="transactions"', 'verdict="accept"');
    await waitUntil(
      'validator 1 to accept a gossiped transaction batch',
      async () => acceptedBatches(await scrape(net.nodes[1])) > acceptedBatches(peerFirst) || undefined,
      10_000,
    );

    // a histogram's +Inf bucket is its count; every counter only grows between scrapes
    for (const name of ['ledger_commit_latency_seconds', 'ledger_store_commit_seconds'])
      assert.equal(total(second, `${name}_bucket`, 'le="+Inf"'), total(second, `${name}_count`), name);
    for (const [key, before] of first.samples) {
      const name = key.replace(/\{.*$/, '');
      const type = first.types.get(name) ?? first.types.get(name.replace(/_(bucket|count|sum)$/, ''));
      if (!name.startsWith('ledger_') || (type !== 'counter' && type !== 'histogram')) continue;
      const after = second.samples.get(key);
      assert.ok(after !== undefined && after >= before, `${key} went from ${before} to ${after}`);
    }
  });

  it('a client over its rate limit gets 429 on /metrics, and an unknown Host 403', async () => {
    const url = `http://127.0.0.1:${limited.apiPort}/metrics`;
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof getText>> | undefined;
    // a burst of two, then one a second: the fourth request at once is over it
    for (let i = 0; i < 4 && !refused; i++) {
      const res = await getText(url);
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    assert.ok(refused, `no 429 in ${statuses.join(', ')}`);
    assert.equal(statuses[0], 200);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.match(refused.text, /requests per second/);
    assert.equal(await getWithHost(node.apiPort, '/metrics', 'rebind.example'), 403);
  });
});
