/**
 * Requirement 4 with real processes on 127.0.0.1: a peer whose key is not in genesis cannot
 * connect; a validator that publishes garbage and forged transactions changes nothing and
 * is scored down.
 *
 * Validators 0, 1 and 2 run as `ledger node` processes (quorum of 4 is 3, so they commit
 * without 3; node 0 logs at debug level so its gate verdicts are visible). Validator 3's key
 * is driven from this process as the adversary: a libp2p node built by the project's own
 * createNetwork (so it speaks the protocol and is admitted), that publishes raw bytes with
 * gossipsub's publish and sends direct frames through its transport. Two more libp2p nodes
 * with fresh keys, listed nowhere, dial a validator.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { type Block, hashHeader } from '../../src/chain/index.js';
import {
  type ConsensusMessage,
  encodeQc,
  encodeTimeout,
  genesisQc,
  proposalDigest,
  secp256k1Signer,
  secp256k1Verifier,
  type TimeoutMessage,
  timeoutDigest,
  type ValidatorSet,
  voteDigest,
} from '../../src/consensus/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/hash.js';
import { addressOf, generateSecretKey } from '../../src/crypto/keys.js';
import { readKeystoreFile } from '../../src/crypto/keystore.js';
import { encodeCompactProposal, encodeTxBatch } from '../../src/network/encoding.js';
import { gossipInternals } from '../../src/network/gossip-internals.js';
import { createNetwork, type Network, topicsFor } from '../../src/network/index.js';
import { createLedgerLibp2p, type LedgerLibp2p } from '../../src/network/libp2p.js';
import { genesisBlockOf } from '../../src/node/index.js';
import { LedgerStore } from '../../src/store/index.js';
import {
  encodeTransfer,
  type SignedTransfer,
  signTransfer,
  type TransferFields,
} from '../../src/tx/index.js';
import {
  createTestNet,
  freePorts,
  getJson,
  type NodeProcess,
  PASSPHRASE,
  postJson,
  spawnNode,
  stopCleanly,
  type TestNet,
  tailOf,
  validatorArgs,
  waitUntil,
} from './helpers.js';

const N = 4;
const ADVERSARY = 3;
const HONEST = [0, 1, 2];
const GWEI = 1_000_000_000n;
/** The pino message of src/network/peers.ts for a refused, unlisted peer. */
const REFUSED_MSG = 'refused a peer that is not listed in genesis';
/** gossipsub drops every message of a peer scored below this (src/network/scoring.ts). */
const GRAYLIST = -80;
/** Pace of an outsider's redials (see dialOnce). */
const DIAL_SPACING_MS = 300;

interface Status {
  height: number;
  headHash: string;
  round: number;
  peers: number;
  leader: { index: number } | null;
}
interface PeerView {
  peerId: string;
  role: string;
  validator?: number;
  name?: string;
  score: number;
}
/** The fields of a node's pino JSON lines this test reads. */
interface LogLine {
  level: number;
  msg: string;
  module?: string;
  peer?: string;
  kind?: string;
  code?: string;
  action?: string;
}

interface Honest extends NodeProcess {
  p2p: string;
  peerId: string;
  logs: LogLine[];
}

/** Spawns validator `index` as a process and keeps its parsed log lines (all of them). */
function spawnHonest(
  net: TestNet,
  index: number,
  p2pPorts: number[],
  apiPort: number,
  level: string,
): Honest {
  const p2p = (i: number) => `/ip4/127.0.0.1/tcp/${p2pPorts[i]}`;
  const node = spawnNode(index, validatorArgs(net, index, p2pPorts, apiPort, level), apiPort);
  const logs: LogLine[] = [];
  let partial = '';
  node.child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  return { ...node, p2p: p2p(index), peerId: net.genesis.validators[index].peerId, logs };
}

async function status(node: NodeProcess): Promise<Status> {
  const res = await fetch(`${node.apiUrl}/api/v1/status`, { signal: AbortSignal.timeout(3000) });
  return (await res.json()) as Status;
}

async function peersOf(node: NodeProcess): Promise<PeerView[]> {
  const res = await fetch(`${node.apiUrl}/api/v1/peers`, { signal: AbortSignal.timeout(3000) });
  return ((await res.json()) as { peers: PeerView[] }).peers;
}

async function txStatus(node: NodeProcess, hash: string): Promise<string | undefined> {
  return (await getJson(`${node.apiUrl}/api/v1/txs/${hash}`)).body.status;
}

function transfer(net: TestNet, over: Partial<TransferFields> = {}): TransferFields {
  return {
    chainId: net.genesis.chainId,
    nonce: 0n,
    maxPriorityFeePerGas: GWEI,
    maxFeePerGas: 2n * GWEI,
    gasLimit: 21_000n,
    to: net.genesis.validators[ADVERSARY].address,
    value: 1000n,
    ...over,
  };
}

/** The same transfer with its signature altered (the result still decodes: low s, r and s in range). */
function withSignature(tx: SignedTransfer, sig: { r?: bigint; s?: bigint; yParity?: 0 | 1 }): Uint8Array {
  return encodeTransfer(tx, { r: sig.r ?? tx.r, s: sig.s ?? tx.s, yParity: sig.yParity ?? tx.yParity });
}

const hashOf = (raw: Uint8Array) => toHex(keccak256(raw));
/** The smallest r > 0 with no secp256k1 point of x = r (x^3 + 7 not a square mod p). */
const NO_POINT_R = (() => {
  const p = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
  const pow = (b: bigint, e: bigint) => {
    let r = 1n;
    for (b %= p; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) r = (r * b) % p;
    return r;
  };
  for (let x = 1n; ; x++) if (pow(x ** 3n + 7n, (p - 1n) / 2n) !== 1n) return x;
})();

describe('an unlisted peer and a byzantine validator', { timeout: 120_000 }, () => {
  let net: TestNet;
  let honest: Honest[] = [];
  let adversary: Network | undefined;
  let advSecret: Uint8Array;
  let validatorSet: ValidatorSet;
  const outsiders: LedgerLibp2p[] = [];
  /** Transactions the adversary forged: none may ever be pending or committed. */
  const forged = new Map<string, string>();
  /** Valid transactions that must commit exactly once. */
  const valid = new Map<string, string>();

  before(async () => {
    net = await createTestNet(N, 2);
    const ports = await freePorts(2 * N);
    const p2pPorts = ports.slice(0, N);
    honest = HONEST.map((i) => spawnHonest(net, i, p2pPorts, ports[N + i], i === 0 ? 'debug' : 'info'));

    advSecret = await readKeystoreFile(net.keyPaths[ADVERSARY], PASSPHRASE);
    validatorSet = {
      chainId: net.genesis.chainId,
      genesisId: genesisBlockOf(net.genesis).hash,
      validators: net.genesis.validators.map((v) => ({ address: v.address, publicKey: v.publicKey })),
    };
    adversary = await createNetwork(
      {
        listenAddresses: [`/ip4/127.0.0.1/tcp/${p2pPorts[ADVERSARY]}`],
        bootstrapAddresses: honest.map((h) => `${h.p2p}/p2p/${h.peerId}`),
      },
      {
        genesis: net.genesis,
        validatorSet,
        verifier: secp256k1Verifier(net.genesis.validators.map((v) => v.publicKey)),
        secretKey: advSecret.slice(),
        // the adversary takes no part in consensus: it only listens and misbehaves
        onConsensusMessage: () => {},
        onTransactions: () => undefined,
      },
    );
    await adversary.start();
    assert.equal(adversary.peerId, net.genesis.validators[ADVERSARY].peerId);

    for (const node of honest) {
      await waitUntil(
        `node ${node.index} to serve status with the 2 other honest peers and height >= 1\n${tailOf(node)}`,
        async () => {
          if (node.child.exitCode !== null) throw new Error(`node ${node.index} exited\n${tailOf(node)}`);
          const s = await status(node);
          return s.peers >= 2 && s.height >= 1 ? s : undefined;
        },
        60_000, // a cold machine compiles the TypeScript of 3 processes at once
      );
    }
    // the adversary is connected to and meshed with every honest node on every topic
    const topics = topicsFor(validatorSet.genesisId);
    const pubsub = gossipInternals(adversary.libp2p.services.pubsub);
    await waitUntil(
      'the adversary to have every honest validator in its mesh of each topic',
      async () =>
        Object.values(topics).every((t) => honest.every((h) => pubsub.getMeshPeers(t).includes(h.peerId)))
          ? true
          : undefined,
      20_000,
    );
    for (const node of honest) {
      await waitUntil(
        `node ${node.index} to list the adversary (validator ${ADVERSARY}) among its peers\n${tailOf(node)}`,
        async () =>
          (await peersOf(node)).some((p) => p.peerId === adversary!.peerId && p.validator === ADVERSARY)
            ? true
            : undefined,
        20_000,
      );
    }
  });

  after(async () => {
    await Promise.allSettled([adversary?.stop(), ...outsiders.map((o) => o.stop())]);
    for (const node of honest) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    await Promise.allSettled(honest.map((n) => n.exit));
    if (net) await rm(net.dir, { recursive: true, force: true });
  });

  it('refuses a peer whose key is not in genesis, and logs the refusal once per peer', async (t) => {
    const target = honest[1];
    const seen = new Set<string>();
    let polling = true;
    // every peer the validator lists while the outsiders try (sampled every 25 ms)
    const poller = (async () => {
      while (polling) {
        for (const p of await peersOf(target).catch(() => [])) seen.add(p.peerId);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    const outsider = async () => {
      const libp2p = await createLedgerLibp2p({
        privateKey: privateKeyFromRaw(generateSecretKey()),
        listenAddresses: [],
        announceAddresses: [],
        gater: {},
        topics: Object.values(topicsFor(validatorSet.genesisId)),
        heartbeatIntervalMs: 700,
        seenTtlMs: 15_000,
        maxMessageBytes: 1 << 20,
        streamBufferMaxBytes: 1 << 20,
        scoreParams: {},
        scoreThresholds: {},
        maxConnections: 8,
      });
      outsiders.push(libp2p);
      await libp2p.start();
      assert.ok(!net.genesis.validators.some((v) => v.peerId === libp2p.peerId.toString()));
      return libp2p;
    };
    /**
     * libp2p accepts at most 5 inbound connections per second from one host
     * (inboundConnectionThreshold) and closes the others before the gater sees them; dials
     * at least DIAL_SPACING_MS apart all reach the gater.
     */
    let lastDialMs = 0;
    const outcomes: string[] = [];
    /** One dial of `target`; returns once the outsider holds no connection to it (refused). */
    const dialOnce = async (o: LedgerLibp2p, attempt: number) => {
      const wait = lastDialMs + DIAL_SPACING_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastDialMs = Date.now();
      const dialed = await o
        .dial(multiaddr(`${target.p2p}/p2p/${target.peerId}`), { signal: AbortSignal.timeout(5000) })
        .then(
          () => 'resolved',
          (err: Error) => `failed: ${err.message}`,
        );
      outcomes.push(dialed);
      await waitUntil(
        `outsider ${o.peerId} (dial ${attempt}: ${dialed}) to hold no connection to validator ${target.index}`,
        async () =>
          o.getConnections().some((c) => c.remotePeer.toString() === target.peerId) ? undefined : true,
        10_000,
        20,
      );
    };
    const refusalsOf = (peer: string) => target.logs.filter((l) => l.msg === REFUSED_MSG && l.peer === peer);

    let a: LedgerLibp2p;
    let b: LedgerLibp2p;
    let aId: string;
    let bId: string;
    try {
      a = await outsider();
      aId = a.peerId.toString();
      for (let attempt = 1; attempt <= 5; attempt++) await dialOnce(a, attempt);
      await waitUntil(
        `validator ${target.index} to log "${REFUSED_MSG}" for ${aId}\n${tailOf(target)}`,
        async () => (refusalsOf(aId).length > 0 ? true : undefined),
        10_000,
      );
      // A second outsider, refused after all of the first one's dials: its log line comes after
      // any line those dials produced (one ordered stdout), so once it is seen, the count is final.
      b = await outsider();
      bId = b.peerId.toString();
      await dialOnce(b, 1);
      await waitUntil(
        `validator ${target.index} to log "${REFUSED_MSG}" for ${bId}\n${tailOf(target)}`,
        async () => (refusalsOf(bId).length > 0 ? true : undefined),
        10_000,
      );
    } finally {
      polling = false;
      await poller;
    }

    assert.equal(refusalsOf(aId).length, 1, `5 dials by ${aId}: the refusal is logged once`);
    assert.equal(refusalsOf(bId).length, 1, `1 dial by ${bId}: the refusal is logged once`);
    const listed = (await peersOf(target)).map((p) => p.peerId);
    for (const id of [aId, bId])
      assert.ok(!seen.has(id) && !listed.includes(id), `outsider ${id} was listed in GET /api/v1/peers`);
    assert.equal(a.getConnections().length + b.getConnections().length, 0, 'an outsider kept a connection');
    assert.ok(seen.has(adversary!.peerId), 'the poller saw the listed peers (sanity)');
    t.diagnostic(`outsiders' dials: ${outcomes.join('; ')}`);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('forged transactions published by a validator are never pending nor committed, and cost it score', async (t) => {
    const topics = topicsFor(validatorSet.genesisId);
    const pubsub = adversary!.libp2p.services.pubsub;
    const publishBatch = async (what: string, raw: Uint8Array) => {
      const { recipients } = await pubsub.publish(topics.transactions, encodeTxBatch([raw]));
      const to = recipients.map((p) => p.toString());
      for (const h of honest) assert.ok(to.includes(h.peerId), `${what} was not sent to node ${h.index}`);
    };

    // a real transfer of funded sender 0, whose signature the adversary then alters
    const real = signTransfer(transfer(net, { value: 5n * 10n ** 23n }), net.senders[0]);
    const variants: Array<[string, Uint8Array]> = [
      // never valid from anyone: no curve point has x = r, so no sender can be recovered
      // (INVALID_TX at admission; structural forgeries like high s are in the next test)
      ['sender 0 transfer with an r that is no point', withSignature(real, { r: NO_POINT_R })],
      // these recover to some other, unfunded address: indistinguishable from an honest
      // transfer of an account this node does not know yet, so refused without blame
      ['sender 0 transfer with s altered', withSignature(real, { s: real.s - 1n })],
      [
        'sender 0 transfer with yParity flipped',
        withSignature(real, { yParity: real.yParity === 0 ? 1 : 0 }),
      ],
    ];
    // a key with no funds, spending as if it had them
    const pauper = generateSecretKey();
    variants.push([
      'transfer signed by an unfunded key',
      signTransfer(transfer(net, { value: 10n ** 21n, to: addressOf(net.senders[1]) }), pauper).raw,
    ]);
    for (const [what, raw] of variants) {
      forged.set(hashOf(raw), what);
      await publishBatch(what, raw);
    }
    // then a valid transfer of sender 1: once every honest node has it, the forged batches
    // sent before it on the same streams have been through their gates and mempools
    const sentinel = signTransfer(transfer(net), net.senders[1]);
    valid.set(toHex(sentinel.hash), 'valid transfer of sender 1 relayed by the adversary');
    await publishBatch('the valid sentinel transfer', sentinel.raw);
    for (const node of honest) {
      await waitUntil(
        `the adversary's valid transfer to be pending or committed on node ${node.index}\n${tailOf(node)}`,
        async () => {
          const s = await txStatus(node, toHex(sentinel.hash));
          return s === 'pending' || s === 'committed' ? s : undefined;
        },
        10_000,
      );
      for (const [hash, what] of forged)
        assert.equal(await txStatus(node, hash), 'unknown', `${what} (${hash}) on node ${node.index}`);
    }
    // admission is the last check of the gossip gate: the never-valid forgeries cost score
    for (const node of honest) {
      const score = await waitUntil(
        `the adversary's score on node ${node.index} to drop below 0 after forged transactions only`,
        async () => {
          const mine = (await peersOf(node)).find((p) => p.peerId === adversary!.peerId);
          return mine && mine.score < 0 ? mine.score : undefined;
        },
        10_000,
      );
      t.diagnostic(`node ${node.index}: adversary's score after forged transactions only: ${score}`);
      // and the operator sees it in the node's counters
      const { body } = await getJson<{ network: { gateErrors: Record<string, number> } }>(
        `${node.apiUrl}/api/v1/metrics`,
      );
      assert.ok((body.network.gateErrors.INVALID_TX ?? 0) >= 1, JSON.stringify(body.network.gateErrors));
    }
  });

  it('garbage and forged consensus messages are rejected and score the validator down', async (t) => {
    const adv = adversary!;
    const advId = adv.peerId;
    const topics = topicsFor(validatorSet.genesisId);
    const pubsub = adv.libp2p.services.pubsub;
    const gatekeeper = honest[0]; // logs at debug: its gate's verdicts are in its log
    const signer = secp256k1Signer(advSecret);
    const chainId = net.genesis.chainId;
    const heightsBefore = await Promise.all(honest.map(async (h) => (await status(h)).height));

    const rejectedAt = (kind: string, code: string) =>
      gatekeeper.logs.filter(
        (l) => l.peer === advId && l.kind === kind && l.code === code && l.action === 'reject',
      ).length;
    /**
     * Sends one bad message and waits for node 0's gate to reject it with `code`. One at a
     * time, in an order that keeps the sender above gossipsub's graylist threshold until the
     * last gossip message (a rejected message costs 10 * k^2 for the k-th on one topic; below
     * the threshold the remaining ones would be dropped unread, a defence but no verdict).
     */
    const expectReject = async (what: string, kind: string, code: string, send: () => Promise<unknown>) => {
      const before = rejectedAt(kind, code);
      await send();
      await waitUntil(
        `node 0 to reject ${what} from the adversary (${kind} ${code})\n${tailOf(gatekeeper)}`,
        async () => (rejectedAt(kind, code) > before ? true : undefined),
        10_000,
        25,
      );
    };
    const publish = (topic: string, data: Uint8Array) => async () => {
      const { recipients } = await pubsub.publish(topic, data);
      assert.ok(recipients.length >= HONEST.length, `published to ${recipients.length} peers only`);
    };
    /** A round the honest nodes accept in their window (a few rounds ahead of node 0). */
    const liveRound = async () => (await status(gatekeeper)).round + 2;

    const junk = (tag: number) => Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + tag) % 256);
    await expectReject(
      'garbage on the transactions topic',
      'transactions',
      'MALFORMED',
      publish(topics.transactions, junk(1)),
    );
    await expectReject(
      'garbage on the proposal topic',
      'proposal',
      'MALFORMED',
      publish(topics.proposal, junk(2)),
    );
    await expectReject(
      'garbage on the timeout topic',
      'timeout',
      'MALFORMED',
      publish(topics.timeout, junk(3)),
    );

    const wrongChain = signTransfer(transfer(net, { chainId: chainId + 1n }), net.senders[0]);
    forged.set(toHex(wrongChain.hash), 'sender 0 transfer signed for another chain id');
    await expectReject(
      'a transfer signed for another chain id',
      'transactions',
      'WRONG_CHAIN',
      publish(topics.transactions, encodeTxBatch([wrongChain.raw])),
    );

    // a proposal in the name of the round's leader, signed with the adversary's key, on a
    // made-up certificate of the previous round (the gate checks the signature before the
    // QC). It must name the leader: a proposal from anyone else is ignored as NOT_LEADER
    // before its signature is checked.
    const forgedProposal = async (round: number, proposer: number, height: number): Promise<Uint8Array> => {
      const parent = keccak256(junk(round));
      const block: Block = {
        header: {
          chainId,
          height,
          round,
          parentHash: parent,
          proposer: net.genesis.validators[proposer].address,
          timestampMs: Date.now(),
          txRoot: new Uint8Array(32),
          stateRoot: new Uint8Array(32),
          receiptsRoot: new Uint8Array(32),
          parentQc: encodeQc({
            round: round - 1,
            blockId: parent,
            signers: [0, 1, 2],
            signatures: [0, 1, 2].map((i) => signer.sign(keccak256(junk(i)))),
          }),
        },
        transactions: [],
      };
      const signature = signer.sign(proposalDigest(validatorSet, round, hashHeader(block.header)));
      // in the gossip form (transactions by hash; this block has none)
      return encodeCompactProposal({ block, signature }, []);
    };
    /** The current round of node 0 and its leader, once that leader is an honest validator. */
    const honestLeaderRound = () =>
      waitUntil(
        'node 0 to be in a round led by an honest validator',
        async () => {
          const s = await status(gatekeeper);
          return s.leader && s.leader.index !== ADVERSARY ? s : undefined;
        },
        10_000,
        10,
      );
    // the round may end (and commit) before the message arrives: a few tries, each a new round
    const rejectedBefore = rejectedAt('proposal', 'BAD_SIGNATURE');
    for (
      let attempt = 0;
      attempt < 5 && rejectedAt('proposal', 'BAD_SIGNATURE') === rejectedBefore;
      attempt++
    ) {
      const s = await honestLeaderRound();
      await publish(topics.proposal, await forgedProposal(s.round, s.leader!.index, s.height + 1))();
      await waitUntil(
        'node 0 to judge the forged proposal',
        async () => (rejectedAt('proposal', 'BAD_SIGNATURE') > rejectedBefore ? true : undefined),
        3_000,
        25,
      ).catch(() => undefined);
    }
    assert.ok(
      rejectedAt('proposal', 'BAD_SIGNATURE') > rejectedBefore,
      `node 0 never rejected a forged proposal in a leader's name\n${tailOf(gatekeeper)}`,
    );

    // Past the graylist threshold: the direct protocol still reaches node 0's gate.
    // a timeout in another validator's name, signed with the adversary's key
    const forgedTimeout = (round: number, signerIndex: number): TimeoutMessage => ({
      round,
      highQc: genesisQc(validatorSet.genesisId),
      signer: signerIndex,
      signature: signer.sign(timeoutDigest(validatorSet, round, 0)),
    });
    const direct = (m: ConsensusMessage) => async () => adv.transport.send(0, m);
    const round = await liveRound();
    await expectReject(
      'a forged timeout sent direct',
      'timeout',
      'BAD_SIGNATURE',
      direct({ kind: 'timeout', timeout: forgedTimeout(round, 1) }),
    );
    const blockId = keccak256(junk(9));
    await expectReject(
      'a vote in validator 1 name sent direct',
      'vote',
      'NOT_FROM_SIGNER',
      direct({
        kind: 'vote',
        vote: {
          round,
          blockId,
          signer: 1,
          signature: signer.sign(voteDigest(validatorSet, round, blockId)),
          sync: { highQc: genesisQc(validatorSet.genesisId) },
        },
      }),
    );
    // and a forged timeout on gossip, which honest nodes reject or, past the graylist, drop
    await publish(topics.timeout, encodeTimeout(forgedTimeout(await liveRound(), 2)))();

    // every honest node scores the adversary below zero
    const scores: string[] = [];
    for (const node of honest) {
      const score = await waitUntil(
        `node ${node.index} to score the adversary below 0 (GET /api/v1/peers: ${scores.join(', ')})\n${tailOf(node)}`,
        async () => {
          const p = (await peersOf(node)).find((x) => x.peerId === advId);
          if (p) scores[node.index] = `node ${node.index}: ${p.score}`;
          return p && p.score < 0 ? p.score : undefined;
        },
        10_000,
      );
      assert.ok(score < 0);
    }
    // node 0's gate rejected all of the above: past the graylist threshold (scores are
    // cached for a heartbeat, so the last penalties show a little later)
    const s0 = await waitUntil(
      `node 0 to score the adversary below the graylist threshold ${GRAYLIST}\n${tailOf(gatekeeper)}`,
      async () => {
        const p = (await peersOf(gatekeeper)).find((x) => x.peerId === advId);
        return p && p.score < GRAYLIST ? p.score : undefined;
      },
      10_000,
    );
    t.diagnostic(`adversary's score: ${scores.join(', ')}; later on node 0: ${s0}`);

    // the honest validators kept committing all along
    for (const [i, node] of honest.entries()) {
      await waitUntil(
        `node ${node.index} to commit 3 more blocks after the attack (from ${heightsBefore[i]})\n${tailOf(node)}`,
        async () => ((await status(node)).height >= heightsBefore[i] + 3 ? true : undefined),
        20_000,
      );
    }
  });

  it('the honest validators commit a control transfer, none of the forged ones, on one chain', async () => {
    const control = signTransfer(
      transfer(net, { to: net.genesis.validators[1].address, value: 7n }),
      net.senders[0],
    );
    valid.set(toHex(control.hash), 'control transfer of sender 0 over HTTP');
    const res = await postJson(`${honest[1].apiUrl}/api/v1/txs`, toHex(control.raw));
    assert.equal(res.status, 202, `control transfer refused: ${JSON.stringify(res.body)}`);
    for (const node of honest) {
      for (const [hash, what] of valid) {
        await waitUntil(
          `${what} (${hash}) committed on node ${node.index}\n${tailOf(node)}`,
          async () => ((await txStatus(node, hash)) === 'committed' ? true : undefined),
          20_000,
        );
      }
      for (const [hash, what] of forged)
        assert.equal(await txStatus(node, hash), 'unknown', `${what} (${hash}) on node ${node.index}`);
    }

    // stop everyone, then read the stores: the same blocks at every common height
    await adversary!.stop();
    adversary = undefined;
    const exits = await stopCleanly(honest);
    for (const [i, e] of exits.entries())
      assert.deepEqual(e, { code: 0, signal: null }, `node ${honest[i].index} exit\n${tailOf(honest[i])}`);

    const genesisHash = genesisBlockOf(net.genesis).hash;
    const stores = honest.map((n) =>
      LedgerStore.open(join(net.dir, `data-${n.index}`, 'chain'), genesisHash),
    );
    try {
      const heights = stores.map((s) => s.head().height);
      const common = Math.min(...heights);
      const top = Math.max(...heights);
      const longest = stores[heights.indexOf(top)];
      assert.ok(common >= 5, `common height ${common}`);
      for (const [i, store] of stores.entries()) {
        for (let h = 1; h <= store.head().height; h++) {
          assert.equal(
            toHex(hashHeader(store.getBlock(h)!.header)),
            toHex(hashHeader(longest.getBlock(h)!.header)),
            `block ${h} of node ${honest[i].index}`,
          );
        }
      }
      const count = new Map<string, number>();
      for (let h = 1; h <= top; h++)
        for (const raw of longest.getBlock(h)!.transactions) {
          const hash = hashOf(raw);
          count.set(hash, (count.get(hash) ?? 0) + 1);
        }
      for (const [hash, what] of valid) assert.equal(count.get(hash), 1, `${what} committed once`);
      for (const [hash, what] of forged) assert.equal(count.get(hash), undefined, `${what} was committed`);
      assert.equal(count.size, valid.size, 'no other transaction was committed');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
