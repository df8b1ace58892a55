/** Proposal assembly: bodies from the mempool, a wait, a fetched block, or giving up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { merkleRoot } from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import type { Proposal } from '../../../src/consensus/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { keccak256 } from '../../../src/crypto/hash.js';
import { ProposalAssembler } from '../../../src/network/assembly.js';
import type { CompactProposal } from '../../../src/network/encoding.js';
import { fixture, proposal } from './helpers.js';

const f = fixture(4);
const txs = [Uint8Array.of(2, 1), Uint8Array.of(2, 2), Uint8Array.of(2, 3)];
const hashes = txs.map(keccak256);

/** A signed proposal of `txs` with a correct tx root, and its compact form. */
function compactOf(): { full: Proposal; compact: CompactProposal } {
  const full = proposal(f, 1, { transactions: txs });
  full.block.header.txRoot = merkleRoot(hashes);
  return { full, compact: { header: full.block.header, hashes, signature: full.signature } };
}

function harness(known: Uint8Array[]) {
  const mempool = new Map(known.map((tx) => [toHex(keccak256(tx)), tx]));
  const state = {
    now: 0,
    delivered: [] as Array<{ from: number; proposal: Proposal }>,
    requests: [] as number[],
  };
  const assembler = new ProposalAssembler(
    {
      lookupTx: (h) => mempool.get(toHex(h)),
      requestBlock: (from) => state.requests.push(from),
      deliver: (from, p) => state.delivered.push({ from, proposal: p }),
      now: () => state.now,
    },
    { fetchAfterMs: 50, giveUpMs: 2000, maxPending: 2 },
  );
  return { assembler, mempool, state };
}

describe('ProposalAssembler', () => {
  it('delivers at once when every body is in the mempool', () => {
    const { assembler, state } = harness(txs);
    const { full, compact } = compactOf();
    assembler.add(1, compact);
    assert.equal(state.delivered.length, 1);
    assert.deepEqual(state.delivered[0].proposal.block, full.block);
    assert.deepEqual(assembler.metrics, { immediate: 1, afterWait: 0, fetched: 0, dropped: 0 });
  });

  it('waits for a missing body and delivers once its batch is admitted', () => {
    const { assembler, mempool, state } = harness(txs.slice(0, 2));
    const { full, compact } = compactOf();
    assembler.add(1, compact);
    assembler.retry();
    assert.equal(state.delivered.length, 0);
    mempool.set(toHex(hashes[2]), txs[2]);
    assembler.retry();
    assert.deepEqual(state.delivered[0].proposal.block, full.block);
    assert.equal(assembler.pending(), 0);
    assert.equal(assembler.metrics.afterWait, 1);
  });

  it('asks the proposer for the block after fetchAfterMs, once, and takes only the matching answer', () => {
    const { assembler, state } = harness([]);
    const { full, compact } = compactOf();
    assembler.add(1, compact);
    state.now = 49;
    assembler.retry();
    assert.deepEqual(state.requests, []);
    state.now = 50;
    assembler.retry();
    assembler.retry();
    assert.deepEqual(state.requests, [1], 'one request, to the proposer');
    // an answer whose transactions are not the ones named is ignored
    const wrong: Block = { header: full.block.header, transactions: [Uint8Array.of(2, 9), ...txs.slice(1)] };
    assembler.onBlock(wrong);
    assert.equal(state.delivered.length, 0);
    assembler.onBlock(full.block);
    assert.deepEqual(state.delivered[0].proposal, full);
    assert.equal(assembler.metrics.fetched, 1);
  });

  it('gives up after giveUpMs and bounds what waits', () => {
    const { assembler, state } = harness([]);
    const a = compactOf().compact;
    const b = { ...compactOf().compact, header: { ...a.header, timestampMs: 5 } };
    const c = { ...compactOf().compact, header: { ...a.header, timestampMs: 6 } };
    assembler.add(1, a);
    assembler.add(1, b);
    assembler.add(1, c);
    assert.equal(assembler.pending(), 2, 'the oldest is pushed out');
    state.now = 2000;
    assembler.retry();
    assert.equal(assembler.pending(), 0);
    assert.equal(assembler.metrics.dropped, 3);
    assert.equal(state.delivered.length, 0);
  });

  it("a proposer spraying proposals with made-up hashes never pushes out another's (issue 10 item 7)", () => {
    const mempool = new Map<string, Uint8Array>();
    const delivered: number[] = [];
    const assembler = new ProposalAssembler(
      {
        lookupTx: (h) => mempool.get(toHex(h)),
        requestBlock: () => {},
        deliver: (from) => delivered.push(from),
        now: () => 0,
      },
      { fetchAfterMs: 50, giveUpMs: 2000, maxPending: 4, maxPendingPerProposer: 2 },
    );
    const honest = compactOf().compact;
    assembler.add(1, honest);
    // validator 3 (validly signed in the real node; the assembler trusts the gate) sprays
    for (let i = 0; i < 50; i++) {
      const fake = {
        ...honest,
        header: { ...honest.header, timestampMs: 100 + i },
        hashes: [keccak256(Uint8Array.of(9, i))],
      };
      assembler.add(3, fake);
    }
    assert.equal(assembler.pending(), 3, "the honest one and two of the sprayer's");
    // the honest proposal's bodies arrive: it is still there to complete
    for (let i = 0; i < txs.length; i++) mempool.set(toHex(hashes[i]), txs[i]);
    assembler.retry();
    assert.deepEqual(delivered, [1]);
  });
});
