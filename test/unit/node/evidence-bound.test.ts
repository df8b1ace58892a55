/**
 * Adversary (issue 10, item 6): a validator that equivocates with two ~1 MB proposals in
 * every round it can sign. Evidence is kept compact (the two signed headers, not the
 * payloads) and bounded in bytes per validator, so the safety store's disk, the evidence
 * served by the API and the time a vote's persistence waits all stay bounded; what is kept
 * still proves the equivocation to anyone holding the validator set.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { decodeHeader, hashHeader } from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import {
  genesisQc,
  type Proposal,
  proposalDigest,
  secp256k1Signer,
  secp256k1Verifier,
  type Vote,
} from '../../../src/consensus/index.js';
import { equalBytes } from '../../../src/crypto/bytes.js';
import { addressOf, generateSecretKey, publicKeyOf } from '../../../src/crypto/keys.js';
import { LmdbSafetyStore } from '../../../src/node/index.js';

const CHAIN_ID = 4343n;
const G = new Uint8Array(32).fill(1);
/** What the validator signs over (the chain id and the genesis id). */
const DOMAIN = { chainId: CHAIN_ID, genesisId: G };
const ROUNDS = 200;
const PAYLOAD_BYTES = 1 << 20;

/** A deterministic pseudo-random filler (seeded), so two proposals differ in their bytes. */
function filler(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Two different 1 MB payloads; every round's two proposals carry them (the headers differ). */
const PAYLOADS = [1, 2].map((variant) =>
  Array.from({ length: 256 }, (_, i) => filler(variant * 1000 + i, PAYLOAD_BYTES / 256)),
);

function signedProposal(secret: Uint8Array, round: number, variant: 1 | 2): Proposal {
  const txs = PAYLOADS[variant - 1];
  const block: Block = {
    header: {
      chainId: CHAIN_ID,
      height: round,
      round,
      parentHash: G,
      proposer: addressOf(secret),
      timestampMs: 1_000 + round,
      txRoot: filler(round * 7 + variant, 32),
      stateRoot: new Uint8Array(32).fill(4),
      receiptsRoot: new Uint8Array(32),
      parentQc: new Uint8Array(10).fill(round & 0xff),
    },
    transactions: txs,
  };
  const id = hashHeader(block.header);
  return { block, signature: secp256k1Signer(secret).sign(proposalDigest(DOMAIN, round, id)) };
}

describe('evidence: a validator equivocating with two 1 MB proposals per round', () => {
  it('keeps compact, verifiable evidence bounded in bytes, and votes are not held behind it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evidence-'));
    try {
      const secret = generateSecretKey();
      const verifier = secp256k1Verifier([publicKeyOf(secret, true)]);
      const path = join(dir, 'safety');
      const store = await LmdbSafetyStore.open(path, G);
      for (let round = 1; round <= ROUNDS; round++) {
        const first = signedProposal(secret, round, 1);
        const second = signedProposal(secret, round, 2);
        store.recordEvidence({ kind: 'proposal', round, validator: 0, first, second }, 1_000 + round);
      }
      // a vote's safety data issued after all that evidence: its ack must not wait for it
      let ackedAfterMs = -1;
      const persistStart = performance.now();
      const acked = new Promise<void>((ok) =>
        store.persist({ lastVotedRound: ROUNDS, highestTimeoutRound: 0, highQc: genesisQc(G) }, () => {
          ackedAfterMs = performance.now() - persistStart;
          ok();
        }),
      );
      await acked;
      await store.drained();
      const served = JSON.stringify(store.evidence());
      await store.close();
      const disk = (await stat(join(path, 'data.mdb'))).size;
      console.log(
        `evidence of ${ROUNDS} rounds x 2 x ${PAYLOAD_BYTES} B: served ${served.length} B, disk ${disk} B, vote ack after ${ackedAfterMs.toFixed(0)} ms`,
      );
      // the default budget is 64 KiB per validator
      assert.ok(served.length <= 66 * 1024, `evidence served is ${served.length} bytes`);
      assert.ok(disk <= 4 * 1024 * 1024, `safety store file is ${disk} bytes`);

      const reopened = await LmdbSafetyStore.open(path, G);
      const held = reopened.evidence();
      // one validator's flood does not crowd out another's equivocation
      const vote = (fill: number): Vote => ({
        round: 3,
        blockId: new Uint8Array(32).fill(fill),
        signer: 1,
        signature: new Uint8Array(65).fill(fill),
        sync: { highQc: genesisQc(G) },
      });
      reopened.recordEvidence({ kind: 'vote', round: 3, validator: 1, first: vote(1), second: vote(2) }, 5);
      assert.deepEqual(
        reopened
          .evidence()
          .filter((r) => r.validator === 1)
          .map((r) => r.kind),
        ['vote'],
      );
      await reopened.close();
      assert.ok(held.length >= 1, 'the first equivocation is kept');
      assert.ok(held.length < ROUNDS, `not every round's evidence is kept (${held.length})`);
      for (const record of held) {
        // each side: rlp([header encoding, signature]); the proposer signed its header's hash
        const sides = [record.first, record.second].map((hex) => {
          const [header, signature] = RLP.decode(Buffer.from(hex.slice(2), 'hex')) as Uint8Array[];
          return { header: decodeHeader(header), signature };
        });
        const ids = sides.map((s) => hashHeader(s.header));
        assert.equal(equalBytes(ids[0], ids[1]), false, 'two different blocks');
        for (const [i, side] of sides.entries()) {
          assert.equal(side.header.round, record.round);
          assert.ok(
            verifier.verify(proposalDigest(DOMAIN, record.round, ids[i]), side.signature, 0),
            'signed by the validator',
          );
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
