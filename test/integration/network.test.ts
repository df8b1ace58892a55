/**
 * Real libp2p nodes in one process on 127.0.0.1 (port 0): genesis-derived identities,
 * the gater, gossip through the gate, direct votes, flow control.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { hashHeader } from '../../src/chain/codec.js';
import type { ConsensusMessage } from '../../src/consensus/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/hash.js';
import type { Genesis } from '../../src/genesis/index.js';
import { gossipInternals } from '../../src/network/gossip-internals.js';
import {
  createNetwork,
  encodeCompactProposal,
  encodeTxBatch,
  type Network,
  type NetworkLogger,
  type NetworkOptions,
  topicsFor,
} from '../../src/network/index.js';
import { type Clock, systemClock, type Timer } from '../../src/time/index.js';
import {
  type Fixture,
  fixture,
  proposal,
  timeout,
  transfers,
  verifierOf,
  vote,
  waitFor,
} from '../unit/network/helpers.js';

interface TestNode {
  net: Network & { outboundQueued(kind: 'proposal' | 'timeout' | 'transactions'): number };
  consensus: Array<{ from: number; message: ConsensusMessage; atMs: number }>;
  txBatches: Uint8Array[][];
  warnings: string[];
  /** Plays mempool admission: a batch holding a transaction this calls invalid is refused. */
  invalidTx?: (tx: Uint8Array) => boolean;
  /** Plays the mempool for proposal assembly: transaction bodies by 0x-hex keccak hash. */
  known: Map<string, Uint8Array>;
}

const running: TestNode[] = [];
after(async () => {
  await Promise.all(running.map((n) => n.net.stop()));
});

const FAST: Partial<NetworkOptions> = {
  listenAddresses: ['/ip4/127.0.0.1/tcp/0'],
  heartbeatIntervalMs: 100,
  redialMinDelayMs: 50,
  redialMaxDelayMs: 400,
  txBatchMaxDelayMs: 10,
};

async function startNode(
  f: Fixture,
  secret: Uint8Array,
  options: Partial<NetworkOptions> = {},
  genesis: Genesis = f.genesis,
  clock: Clock = systemClock,
): Promise<TestNode> {
  const node: TestNode = {
    consensus: [],
    txBatches: [],
    warnings: [],
    known: new Map(),
  } as unknown as TestNode;
  const logger: NetworkLogger = {
    info() {},
    debug() {},
    warn: (_o, msg) => node.warnings.push(msg),
  };
  node.net = (await createNetwork(
    { ...FAST, ...options },
    {
      genesis,
      validatorSet: f.validatorSet,
      verifier: verifierOf(f),
      secretKey: secret,
      onConsensusMessage: (from, message) => node.consensus.push({ from, message, atMs: performance.now() }),
      onTransactions: (decoded) => {
        const txs = decoded.map((t) => t.raw);
        node.txBatches.push(txs);
        return node.invalidTx && txs.some(node.invalidTx) ? 'BAD_SIGNATURE: forged' : undefined;
      },
      lookupTx: (hash) => node.known.get(toHex(hash)),
      currentRound: () => 1,
      logger,
      clock,
    },
  )) as TestNode['net'];
  await node.net.start();
  running.push(node);
  return node;
}

const connect = (a: TestNode, b: TestNode) => a.net.addBootstrap(b.net.getMultiaddrs()[0]);

function meshHas(node: TestNode, topic: string, peers: TestNode[]): boolean {
  const mesh = gossipInternals(node.net.libp2p.services.pubsub).getMeshPeers(topic);
  return peers.every((p) => mesh.includes(p.net.peerId));
}

describe('network: four validators on loopback', () => {
  const f = fixture(4);
  let nodes: TestNode[] = [];

  it('form a mesh with genesis-derived peer ids', async () => {
    nodes = await Promise.all(f.secrets.map((s) => startNode(f, s)));
    nodes.forEach((n, i) => {
      assert.equal(n.net.peerId, f.genesis.validators[i].peerId);
      assert.equal(n.net.selfIndex, i);
    });
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) connect(nodes[i], nodes[j]);
    const topics = topicsFor(f.validatorSet.genesisId);
    await waitFor('full mesh', () =>
      nodes.every((n) =>
        meshHas(
          n,
          topics.proposal,
          nodes.filter((m) => m !== n),
        ),
      ),
    );
  });

  it('deliver a proposal, a timeout and a transaction batch to every other node', async () => {
    const p = proposal(f, 0);
    nodes[0].net.transport.broadcast({ kind: 'proposal', proposal: p });
    nodes[2].net.transport.broadcast({ kind: 'timeout', timeout: timeout(f, 2) });
    const txs = transfers(5);
    nodes[3].net.publishTransactions(txs);
    const others = (i: number) => nodes.filter((_, j) => j !== i);
    await waitFor('proposal everywhere', () =>
      others(0).every((n) => n.consensus.some((m) => m.message.kind === 'proposal' && m.from === 0)),
    );
    await waitFor('timeout everywhere', () =>
      others(2).every((n) => n.consensus.some((m) => m.message.kind === 'timeout' && m.from === 2)),
    );
    await waitFor('tx batch everywhere', () => others(3).every((n) => n.txBatches.length === 1));
    const hex = (txs: Uint8Array[]) => txs.map((t) => Buffer.from(t).toString('hex'));
    for (const n of others(3)) assert.deepEqual(hex(n.txBatches[0]), hex(txs)); // one batch of five
    const got = nodes[1].consensus.find((m) => m.message.kind === 'proposal')!.message;
    assert.equal(got.kind, 'proposal');
    if (got.kind === 'proposal')
      assert.deepEqual(hashHeader(got.proposal.block.header), hashHeader(p.block.header));
    assert.equal(nodes[1].net.metrics().verdicts.proposal.accepted, 1);
  });

  it('send a vote straight to the chosen validator only', async () => {
    const blockId = hashHeader(proposal(f, 0).block.header);
    nodes[1].net.transport.send(3, { kind: 'vote', vote: vote(f, 1, blockId) });
    await waitFor('vote at 3', () => nodes[3].consensus.some((m) => m.message.kind === 'vote'));
    const v = nodes[3].consensus.find((m) => m.message.kind === 'vote')!;
    assert.equal(v.from, 1);
    // witness: a later direct message from 1 to 0 and 2 travels the same ordered stream a
    // misdirected vote would have, so once it is in, that vote would be in too
    for (const i of [0, 2]) nodes[1].net.transport.send(i, { kind: 'timeout', timeout: timeout(f, 1) });
    await waitFor('the later direct timeout from 1 at 0 and 2', () =>
      [0, 2].every((i) => nodes[i].consensus.some((m) => m.message.kind === 'timeout' && m.from === 1)),
    );
    for (const i of [0, 1, 2]) assert.ok(!nodes[i].consensus.some((m) => m.message.kind === 'vote'));
    // a vote relayed by someone who did not sign it is rejected: the peer id proves the speaker
    nodes[2].net.transport.send(3, { kind: 'vote', vote: vote(f, 1, new Uint8Array(32).fill(9)) });
    await waitFor('relayed vote rejected', () => nodes[3].net.metrics().verdicts.vote.rejected === 1);
    assert.equal(nodes[3].net.metrics().gateErrors.NOT_FROM_SIGNER, 1);
    await waitFor('sender score below zero', () => nodes[3].net.peerScore(nodes[2].net.peerId) < 0);
  });

  it('refuse a peer that is not listed in genesis, logging it once', async () => {
    const outsider = fixture(1); // a key of its own, unknown to these validators
    const ownView: Genesis = {
      ...f.genesis,
      observers: [{ name: 'outsider', peerId: outsider.genesis.validators[0].peerId }],
    };
    const x = await startNode(f, outsider.secrets[0], {}, ownView);
    connect(x, nodes[0]); // x's redialer keeps trying with backoff
    await waitFor('two refusals', () => nodes[0].net.metrics().refusedConnections >= 2);
    const m = nodes[0].net.metrics();
    assert.equal(m.refusedPeers, 1);
    assert.equal(nodes[0].warnings.filter((w) => w.includes('not listed in genesis')).length, 1);
    assert.ok(!nodes[0].net.connectedPeers().includes(x.net.peerId));
    await waitFor('outsider has no connection', () => x.net.connectedPeers().length === 0);
    await x.net.stop();
  });

  it('redial a bootstrap peer after the connection is lost', async () => {
    // nodes[1] dialled nodes[2] (connect(1, 2) above); nodes[2] hangs up on it
    await nodes[2].net.libp2p.hangUp(nodes[1].net.libp2p.peerId);
    await waitFor('redialled', () => nodes[1].net.metrics().redials >= 1);
    await waitFor('reconnected', () => nodes[1].net.connectedPeers().includes(nodes[2].net.peerId));
  });

  it('bound the outbound queue and count what it drops', async () => {
    const n = await startNode(f, f.secrets[0], { outboundQueueMaxMessages: 4 });
    for (let r = 1; r <= 50; r++) n.net.transport.broadcast({ kind: 'timeout', timeout: timeout(f, 0, r) });
    assert.equal(n.net.outboundQueued('timeout'), 4);
    assert.equal(n.net.metrics().dropped.outbound.timeout, 46);
    await n.net.stop();
  });
});

describe('network: rejected messages stop at the first honest node', () => {
  // A - B - C in a line, and R (a listed observer behaving badly) connected to B only.
  const f = fixture(3, 1);
  it('garbage and forgeries are rejected by B, never reach C, and cost R score', async () => {
    const [a, b, c] = await Promise.all(f.secrets.map((s) => startNode(f, s)));
    const r = await startNode(f, f.observerSecrets[0]);
    assert.equal(r.net.selfIndex, undefined);
    connect(a, b);
    connect(c, b);
    connect(r, b);
    const topics = topicsFor(f.validatorSet.genesisId);
    await waitFor('B meshes with A, C, R', () => meshHas(b, topics.proposal, [a, c, r]));
    await waitFor('C meshes with B', () => meshHas(c, topics.proposal, [b]));

    // control: an honest proposal from A crosses B to C
    a.net.transport.broadcast({ kind: 'proposal', proposal: proposal(f, 0) });
    await waitFor('honest proposal at C', () => c.consensus.length === 1);

    const pubsub = r.net.libp2p.services.pubsub;
    await pubsub.publish(topics.proposal, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    const forged = proposal(f, 1, { signerSecret: f.observerSecrets[0], timestampMs: 2 });
    await pubsub.publish(topics.proposal, encodeCompactProposal(forged, []));
    await pubsub.publish(topics.transactions, new Uint8Array([0xc1, 0x05]));
    await waitFor('B rejects all three', () => {
      const m = b.net.metrics();
      return m.verdicts.proposal.rejected === 2 && m.verdicts.transactions.rejected === 1;
    });
    assert.equal(b.net.metrics().gateErrors.BAD_SIGNATURE, 1);
    await waitFor('R score below zero at B', () => b.net.peerScore(r.net.peerId) < 0);
    // witness: an honest batch from A that B accepts after the rejections; B forwards to C in
    // the order it accepts (one ordered stream, equal forward delays), so once the batch is
    // at C, anything B had let through before it would be there too
    a.net.publishTransactions(transfers(1, f.genesis.chainId));
    await waitFor('the later honest batch at C', () => c.txBatches.length === 1);
    const atC = c.net.metrics().verdicts;
    assert.deepEqual(atC.proposal, { accepted: 1, ignored: 0, rejected: 0 });
    assert.deepEqual(atC.transactions, { accepted: 1, ignored: 0, rejected: 0 });
    assert.equal(c.consensus.length, 1);
    assert.ok(b.net.peerScore(a.net.peerId) >= 0);
  });
});

describe('network: forwarding is held back', () => {
  // A - B - C in a line: C hears A only through B's forward.
  const f = fixture(3);
  it('B delivers at once and forwards only when its forwardDelayMs timer fires', async () => {
    // B's clock holds the timers of this delay (no other timer of the network uses it) for
    // the test to fire; everything else runs on the real clock
    const delayMs = 7_777;
    const held: Array<{ fire: () => void; cancelled: boolean }> = [];
    const holdingClock: Clock = {
      ...systemClock,
      setTimeout(fire, ms, options): Timer {
        if (ms !== delayMs) return systemClock.setTimeout(fire, ms, options);
        const timer = { fire, cancelled: false };
        held.push(timer);
        return {
          cancel: () => {
            timer.cancelled = true;
          },
        };
      },
    };
    const [a, b, c] = await Promise.all(
      f.secrets.map((s, i) =>
        i === 1 ? startNode(f, s, { forwardDelayMs: delayMs }, f.genesis, holdingClock) : startNode(f, s),
      ),
    );
    connect(a, b);
    connect(c, b);
    const topics = topicsFor(f.validatorSet.genesisId);
    await waitFor('B meshes with A and C', () => meshHas(b, topics.proposal, [a, c]));
    await waitFor('C meshes with B', () => meshHas(c, topics.proposal, [b]));
    await waitFor('B meshes with C on the timeout topic', () => meshHas(b, topics.timeout, [c]));
    a.net.transport.broadcast({ kind: 'proposal', proposal: proposal(f, 0) });
    await waitFor(
      'the proposal delivered at B, its forward held',
      () => b.consensus.length === 1 && held.length === 1,
    );
    // witness: B's own timeout goes to C on the stream a forward would take, so once C has
    // it, a forward not held back would already be there
    b.net.transport.broadcast({ kind: 'timeout', timeout: timeout(f, 1) });
    await waitFor("B's own timeout at C", () => c.consensus.some((m) => m.message.kind === 'timeout'));
    assert.ok(!c.consensus.some((m) => m.message.kind === 'proposal'), 'B forwarded before its delay');
    assert.equal(held[0].cancelled, false);
    held[0].fire();
    await waitFor('the proposal at C once the delay is over', () =>
      c.consensus.some((m) => m.message.kind === 'proposal' && m.from === 0),
    );
    assert.equal(b.consensus.length, 1);
  });
});

describe('network: transactions that admission refuses', () => {
  const f = fixture(3, 1);
  it('a batch with a forged transaction is rejected by B, never reaches C, and costs R score', async () => {
    const [b, c] = await Promise.all(f.secrets.slice(0, 2).map((s) => startNode(f, s)));
    const r = await startNode(f, f.observerSecrets[0]);
    connect(c, b);
    connect(r, b);
    const topics = topicsFor(f.validatorSet.genesisId);
    // both ends of each link: R must know B as a peer of the topic before it publishes
    await waitFor(
      'B meshes with C and R, and each of them with B',
      () =>
        meshHas(b, topics.transactions, [c, r]) &&
        meshHas(r, topics.transactions, [b]) &&
        meshHas(c, topics.transactions, [b]),
    );
    const [honest, forged, alsoHonest, later] = transfers(4, f.genesis.chainId);
    b.invalidTx = (tx) => tx === forged || Buffer.compare(tx, forged) === 0;

    // control: an honest batch from R crosses B to C
    await r.net.libp2p.services.pubsub.publish(topics.transactions, encodeTxBatch([honest]));
    await waitFor('the honest batch at C', () => c.txBatches.length === 1);
    await r.net.libp2p.services.pubsub.publish(topics.transactions, encodeTxBatch([alsoHonest, forged]));
    await waitFor('B rejects the forged batch', () => b.net.metrics().verdicts.transactions.rejected === 1);
    assert.equal(b.net.metrics().gateErrors.INVALID_TX, 1);
    // admission still saw the valid transaction of the rejected batch
    assert.deepEqual(
      b.txBatches.at(-1)?.map((tx) => Buffer.from(tx).toString('hex')),
      [alsoHonest, forged].map((tx) => Buffer.from(tx).toString('hex')),
    );
    await waitFor('R score below zero at B', () => b.net.peerScore(r.net.peerId) < 0);
    // witness: R's next honest batch crosses B after the rejection (R is penalised, not
    // graylisted); B forwards in the order it accepts, so the rejected batch would be first
    await r.net.libp2p.services.pubsub.publish(topics.transactions, encodeTxBatch([later]));
    await waitFor('the later honest batch at C', () => c.txBatches.length >= 2);
    const hex = (txs: Uint8Array[]) => txs.map((tx) => Buffer.from(tx).toString('hex'));
    assert.deepEqual(c.txBatches.map(hex), [[honest], [later]].map(hex), 'C received the rejected batch');
  });
});

describe('network: backpressure from gossipsub', () => {
  it('pauses while a peer stream is backed up and still delivers everything', async () => {
    // Proposals gossip in their compact form (32 bytes per transaction): 20,000 transactions
    // make each about 660 kB, so twelve of them back the stream up.
    const f = fixture(2, 0, { maxBlockTxs: 20_000, maxBlockBytes: 4 * 1024 * 1024 });
    const [a, b] = await Promise.all([
      startNode(f, f.secrets[0], { gossipBacklogMaxBytes: 64 * 1024 }),
      startNode(f, f.secrets[1]),
    ]);
    connect(a, b);
    const topics = topicsFor(f.validatorSet.genesisId);
    await waitFor('mesh', () => meshHas(a, topics.proposal, [b]));
    const big = Array.from({ length: 20_000 }, (_, i) =>
      Uint8Array.of(2, i >> 16, (i >> 8) & 0xff, i & 0xff),
    );
    for (const tx of big) b.known.set(toHex(keccak256(tx)), tx);
    for (let i = 0; i < 12; i++) {
      a.net.transport.broadcast({
        kind: 'proposal',
        proposal: proposal(f, 0, { timestampMs: 10 + i, transactions: big }),
      });
    }
    await waitFor('all 12 delivered', () => b.consensus.length === 12, 10_000);
    // each assembled from B's own copies of the bodies (the gossiped form names them by hash)
    for (const { message } of b.consensus)
      assert.deepEqual(message.kind === 'proposal' && message.proposal.block.transactions, big);
    const m = a.net.metrics();
    assert.ok(m.backpressurePauses > 0, 'the pump paused at least once');
    assert.equal(m.dropped.outbound.proposal, 0);
    assert.equal(m.published.proposal, 12);
  });
});
