/**
 * Issue 10, item 6 on real nodes in one process over 127.0.0.1: three honest LedgerNodes
 * and validator 3's genuine key driven from this process. In every round it leads, the
 * adversary builds a genuine QC from the votes it receives as the next leader, and signs two
 * different proposals of about 1 MB each (the most a block may hold), both extending the
 * certified block; it serves their bodies to the honest nodes' block requests. Every honest
 * node sees the equivocation. What it keeps is the compact evidence (two signed headers),
 * so `GET /api/v1/evidence` and the safety store stay small, and the chain keeps committing.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { type Block, decodeHeader, hashHeader, merkleRoot } from '../../src/chain/index.js';
import {
  encodeQc,
  type Proposal,
  proposalDigest,
  type QuorumCertificate,
  secp256k1Signer,
  secp256k1Verifier,
  type Vote,
} from '../../src/consensus/index.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/hash.js';
import type { Genesis } from '../../src/genesis/index.js';
import type { Network } from '../../src/network/index.js';
import type { LedgerNode } from '../../src/node/index.js';
import { waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';

const _PASSPHRASE = 'byzantine-evidence';
const ADVERSARY = 3;
const TX_BYTES = 4_000;
const TXS_PER_PROPOSAL = 250;

/** Seeded filler: two proposals' payloads differ in every transaction. */
function payload(seed: number): Uint8Array[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: TXS_PER_PROPOSAL }, () => {
    const tx = new Uint8Array(TX_BYTES);
    for (let i = 0; i < tx.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      tx[i] = x & 0xff;
    }
    return tx;
  });
}

interface EvidenceBody {
  evidence: { kind: string; round: number; validator: number; first: string; second: string }[];
}

describe('evidence against a validator equivocating with two 1 MB proposals per round (in-process nodes)', {
  timeout: 90_000,
}, () => {
  let net: ByzantineNet;
  let honest: LedgerNode[] = [];
  let logs: string[] = [];
  let adversary: Network;
  let genesis: Genesis;
  /** Blocks the adversary saw proposed (by id), the ones it built, and votes sent to it. */
  const blocks = new Map<string, Block>();
  const built = new Map<string, Block>();
  const votes = new Map<string, Vote[]>();
  const equivocatedRounds: number[] = [];
  const PAYLOADS = [payload(1), payload(2)];

  const heights = () => honest.map((n) => n.status().height);

  before(async () => {
    net = await byzantineNet({ chainId: 4345n, params: { baseRoundTimeoutMs: 300 } });
    ({ genesis, logs } = net);
    honest = net.nodes;
    const sign = secp256k1Signer(net.secrets[ADVERSARY]);

    /** Two different signed proposals extending the block the votes certify. */
    const equivocate = (qc: QuorumCertificate, parent: Block) => {
      const round = qc.round + 1;
      for (const [variant, transactions] of PAYLOADS.entries()) {
        const header = {
          chainId: genesis.chainId,
          height: parent.header.height + 1,
          round,
          parentHash: qc.blockId,
          proposer: genesis.validators[ADVERSARY].address,
          timestampMs: Date.now() + variant,
          txRoot: merkleRoot(transactions.map((t) => keccak256(t))),
          stateRoot: new Uint8Array(32).fill(variant + 1),
          receiptsRoot: new Uint8Array(32),
          parentQc: encodeQc(qc),
        };
        const block: Block = { header, transactions };
        const id = hashHeader(header);
        built.set(toHex(id), block);
        const proposal: Proposal = {
          block,
          signature: sign.sign(proposalDigest(net.validatorSet, round, id)),
        };
        adversary.transport.broadcast({ kind: 'proposal', proposal });
      }
      equivocatedRounds.push(round);
    };

    adversary = await net.startAdversary(ADVERSARY, {
      onConsensusMessage: (from, m) => {
        if (m.kind === 'proposal') {
          blocks.set(toHex(hashHeader(m.proposal.block.header)), m.proposal.block);
          if (blocks.size > 64) blocks.delete(blocks.keys().next().value as string);
        } else if (m.kind === 'blockRequest') {
          const block = built.get(toHex(m.blockId));
          if (block) adversary.transport.send(from, { kind: 'blockResponse', block });
        } else if (m.kind === 'vote') {
          // honest votes for round r go to the leader of r + 1: this is the adversary's round
          const key = `${m.vote.round}:${toHex(m.vote.blockId)}`;
          const set = votes.get(key) ?? [];
          if (set.some((v) => v.signer === m.vote.signer)) return;
          set.push(m.vote);
          votes.set(key, set);
          const parent = blocks.get(toHex(m.vote.blockId));
          if (set.length !== 3 || !parent) return;
          const sorted = [...set].sort((a, b) => a.signer - b.signer);
          equivocate(
            {
              round: m.vote.round,
              blockId: m.vote.blockId,
              signers: sorted.map((v) => v.signer),
              signatures: sorted.map((v) => v.signature),
            },
            parent,
          );
        }
      },
    });
    await Promise.all([0, 1, 2].map((i) => net.startNode(i)));
  });

  after(async () => {
    await net?.stop();
  });

  it('every honest node keeps compact, verifiable evidence; the chain keeps committing', async () => {
    const fetchEvidence = async (n: LedgerNode) => {
      const res = await fetch(`http://127.0.0.1:${n.apiPort}/api/v1/evidence`);
      const text = await res.text();
      return { bytes: text.length, body: JSON.parse(text) as EvidenceBody };
    };
    await waitUntil(
      'every honest node to hold evidence of two equivocating rounds',
      async () => {
        const held = await Promise.all(honest.map(fetchEvidence));
        return held.every((h) => h.body.evidence.length >= 2) ? true : undefined;
      },
      40_000,
    ).catch((err) => {
      throw new Error(
        `${(err as Error).message}; adversary equivocated in rounds ${equivocatedRounds.join(',')}, heights ${heights()}\n${logs.slice(-20).join('\n')}`,
      );
    });
    const verify = secp256k1Verifier(genesis.validators.map((v) => v.publicKey));
    for (const n of honest) {
      const i = n.role.kind === 'validator' ? n.role.index : -1;
      const { bytes, body } = await fetchEvidence(n);
      const disk = (await stat(join(net.dataDir(i), 'safety', 'data.mdb'))).size;
      console.log(
        `node ${i}: ${body.evidence.length} records of rounds ${body.evidence.map((e) => e.round)}, ${bytes} bytes served, safety store ${disk} bytes`,
      );
      // two 1 MB proposals per round; the evidence of each round is two signed headers
      assert.ok(bytes < 4096 * body.evidence.length, `node ${i} serves ${bytes} bytes of evidence`);
      for (const e of body.evidence) {
        assert.equal(e.kind, 'proposal');
        assert.equal(e.validator, ADVERSARY);
        const ids = [e.first, e.second].map((hex) => {
          const [header, signature] = RLP.decode(fromHex(hex)) as Uint8Array[];
          const id = hashHeader(decodeHeader(header));
          assert.ok(verify.verify(proposalDigest(net.validatorSet, e.round, id), signature, ADVERSARY));
          return toHex(id);
        });
        assert.notEqual(ids[0], ids[1]);
      }
      assert.ok(disk < 1024 * 1024, `node ${i}'s safety store is ${disk} bytes`);
    }
    const h0 = Math.min(...heights());
    await waitUntil(
      'the chain to keep committing',
      async () => (Math.min(...heights()) >= h0 + 3 ? true : undefined),
      20_000,
    );
  });
});
