/**
 * Issue 10, items 1 (proposal height), 2 (future rounds) and 7 (non-leader proposals) on
 * real nodes in one process over 127.0.0.1: three honest LedgerNodes and validator 3's
 * genuine key driven from this process as the adversary (a libp2p node built by the
 * project's own createNetwork, so it is admitted and meshed), which signs and publishes
 * well-formed messages that no honest validator would send. One network for the file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashHeader } from '../../src/chain/index.js';
import {
  encodeTimeout,
  genesisQc,
  type Proposal,
  proposalDigest,
  secp256k1Signer,
  type TimeoutMessage,
  timeoutDigest,
  type ValidatorSet,
  voteDigest,
} from '../../src/consensus/index.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { Genesis } from '../../src/genesis/index.js';
import { encodeCompactProposal } from '../../src/network/encoding.js';
import { gossipInternals } from '../../src/network/gossip-internals.js';
import { type Network, type NetworkMetrics, topicsFor } from '../../src/network/index.js';
import type { LedgerNode } from '../../src/node/index.js';
import { waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';

const ADVERSARY = 3;
const MILLION = 1_000_000;

interface ConsensusFigures {
  round: number;
  retained: { timeoutRounds: number; voteSets: number; seenVotes: number };
}

describe('gate against a Byzantine validator with a genuine key (in-process nodes)', {
  timeout: 90_000,
}, () => {
  let net: ByzantineNet;
  let honest: LedgerNode[] = [];
  let logs: string[] = [];
  let adversary: Network;
  let genesis: Genesis;
  let secrets: Uint8Array[];
  let validatorSet: ValidatorSet;
  /** Proposals the adversary's node received (assembled), newest last. */
  const seen: Proposal[] = [];

  const metricsOf = (n: LedgerNode) =>
    n.api().metrics() as { network: NetworkMetrics; consensus: ConsensusFigures };
  const gateErrors = (n: LedgerNode, code: string) =>
    (metricsOf(n).network.gateErrors as Record<string, number | undefined>)[code] ?? 0;
  const heights = () => honest.map((n) => n.status().height);

  before(async () => {
    net = await byzantineNet({ chainId: 4343n, params: { baseRoundTimeoutMs: 200 } });
    ({ genesis, secrets, validatorSet, logs } = net);
    honest = net.nodes;
    await Promise.all([0, 1, 2].map((i) => net.startNode(i)));
    // it takes no part in consensus: it reads proposals (for genuine QCs) and misbehaves
    adversary = await net.startAdversary(ADVERSARY, {
      onConsensusMessage: (_from, m) => {
        if (m.kind === 'proposal') seen.push(m.proposal);
        if (seen.length > 64) seen.shift();
      },
    });
    const topics = topicsFor(validatorSet.genesisId);
    const pubsub = gossipInternals(adversary.libp2p.services.pubsub);
    await waitUntil(
      'the honest validators to commit 3 blocks and the adversary to mesh with them',
      async () =>
        Math.min(...heights()) >= 3 &&
        [topics.proposal, topics.timeout].every((t) => pubsub.getMeshPeers(t).length >= 3) &&
        seen.length > 0
          ? true
          : undefined,
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logs.slice(-20).join('\n')}`);
    });
  });

  after(async () => {
    await net?.stop();
  });

  const publish = async (topic: 'proposal' | 'timeout', data: Uint8Array) => {
    await adversary.libp2p.services.pubsub.publish(topicsFor(validatorSet.genesisId)[topic], data);
  };
  const sign = (digest: Uint8Array) => secp256k1Signer(secrets[ADVERSARY]).sign(digest);

  it('item 2: signed timeouts and votes a million rounds ahead are ignored as FUTURE_ROUND; the maps stay bounded', async () => {
    const FLOOD = 300;
    const before = honest.map((n) => gateErrors(n, 'FUTURE_ROUND'));
    const base = Math.max(...honest.map((n) => n.status().round)) + MILLION;
    const highQc = genesisQc(validatorSet.genesisId);
    for (let k = 0; k < FLOOD; k++) {
      const round = base + k;
      const t: TimeoutMessage = {
        round,
        highQc,
        signer: ADVERSARY,
        signature: sign(timeoutDigest(validatorSet, round, 0)),
      };
      await publish('timeout', encodeTimeout(t));
      const blockId = sha256(new Uint8Array([k & 255, k >> 8]));
      const vote = {
        round,
        blockId,
        signer: ADVERSARY,
        signature: sign(voteDigest(validatorSet, round, blockId)),
        sync: { highQc },
      };
      for (let to = 0; to < 3; to++) adversary.transport.send(to, { kind: 'vote', vote });
    }
    await waitUntil(
      'every honest node to refuse most of the flood as FUTURE_ROUND',
      async () =>
        honest.every((n, i) => gateErrors(n, 'FUTURE_ROUND') - before[i] >= FLOOD) ? true : undefined,
      20_000,
    ).catch((err) => {
      const counts = honest.map((n) => JSON.stringify(metricsOf(n).network.gateErrors));
      throw new Error(`${(err as Error).message}\n${counts.join('\n')}`);
    });
    for (const n of honest) {
      const { retained } = metricsOf(n).consensus;
      // a round or two of honest state, nothing of the million-ahead rounds
      assert.ok(retained.timeoutRounds <= 4, `timeout rounds kept: ${retained.timeoutRounds}`);
      assert.ok(retained.seenVotes <= 64, `votes kept: ${retained.seenVotes}`);
      assert.ok(retained.voteSets <= 8, `vote sets kept: ${retained.voteSets}`);
    }
    const h0 = Math.min(...heights());
    await waitUntil(
      'the chain to keep committing',
      async () => (Math.min(...heights()) >= h0 + 3 ? true : undefined),
      15_000,
    );
  });

  /** A sibling of the newest honest proposal, signed by the adversary (same round and parent QC). */
  const sibling = (over: { height?: number; tag: number }): Uint8Array => {
    const p = seen[seen.length - 1];
    const header = {
      ...p.block.header,
      proposer: genesis.validators[ADVERSARY].address,
      height: over.height ?? p.block.header.height,
      txRoot: sha256(new Uint8Array([over.tag & 255, over.tag >> 8, 1])),
    };
    const forged: Proposal = {
      block: { header, transactions: [] },
      signature: sign(proposalDigest(validatorSet, header.round, hashHeader(header))),
    };
    if (p.tc) forged.tc = p.tc;
    // hashes of transactions nobody has: each would wait in the assembler
    return encodeCompactProposal(forged, [sha256(new Uint8Array([over.tag & 255, over.tag >> 8, 2]))]);
  };

  it('item 7: compact proposals sprayed by a non-leader are ignored as NOT_LEADER', async () => {
    const SPRAY = 40;
    const before = honest.map((n) => gateErrors(n, 'NOT_LEADER'));
    // signed first, then published back to back: all for the round the leader is in
    const spray = Array.from({ length: SPRAY }, (_, k) => sibling({ tag: k }));
    for (const data of spray) await publish('proposal', data);
    await waitUntil(
      'every honest node to ignore the spray as NOT_LEADER',
      async () =>
        honest.every((n, i) => gateErrors(n, 'NOT_LEADER') - before[i] >= SPRAY / 2) ? true : undefined,
      15_000,
    ).catch((err) => {
      const counts = honest.map((n) => JSON.stringify(metricsOf(n).network.gateErrors));
      throw new Error(`${(err as Error).message}\n${counts.join('\n')}`);
    });
    const h0 = Math.min(...heights());
    await waitUntil(
      'the chain to keep committing',
      async () => (Math.min(...heights()) >= h0 + 3 ? true : undefined),
      15_000,
    );
  });

  it('item 1: a signed proposal of height 2^40 with a genuine parent QC is ignored; nobody starts a sync', async () => {
    const before = honest.map((n) => gateErrors(n, 'BAD_HEIGHT'));
    await publish('proposal', sibling({ height: 2 ** 40, tag: 9999 }));
    await waitUntil(
      'every honest node to ignore it as BAD_HEIGHT',
      async () => (honest.every((n, i) => gateErrors(n, 'BAD_HEIGHT') > before[i]) ? true : undefined),
      10_000,
    );
    const h0 = Math.min(...heights());
    await waitUntil(
      'the chain to keep committing',
      async () => (Math.min(...heights()) >= h0 + 3 ? true : undefined),
      15_000,
    );
    assert.deepEqual(
      honest.map((n) => n.status().syncing),
      [false, false, false],
    );
    assert.equal(logs.filter((l) => /sync started/.test(l)).length, 0, logs.join('\n'));
  });
});
