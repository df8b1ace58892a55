/** The lmdb safety store: acks only after the write, in order; survives reopen; refuses another chain. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeVote, genesisQc, type SafetyData, type Vote } from '../../../src/consensus/index.js';
import { LmdbSafetyStore, NodeError } from '../../../src/node/index.js';

const G1 = new Uint8Array(32).fill(1);
const G2 = new Uint8Array(32).fill(2);
const data = (round: number): SafetyData => ({
  lastVotedRound: round,
  highestTimeoutRound: round - 1,
  highQc: genesisQc(G1),
});

describe('LmdbSafetyStore', () => {
  it('keeps equivocation evidence once per kind, round and validator, across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safety-'));
    try {
      const vote = (fill: number): Vote => ({
        round: 7,
        blockId: new Uint8Array(32).fill(fill),
        signer: 2,
        signature: new Uint8Array(65).fill(fill),
        sync: { highQc: genesisQc(G1) },
      });
      const store = await LmdbSafetyStore.open(join(dir, 'safety'), G1);
      const e = { kind: 'vote', round: 7, validator: 2, first: vote(1), second: vote(2) } as const;
      store.recordEvidence(e, 1000);
      store.recordEvidence(e, 2000);
      await store.close();
      const reopened = await LmdbSafetyStore.open(join(dir, 'safety'), G1);
      reopened.recordEvidence(e, 3000);
      await reopened.drained();
      const held = reopened.evidence();
      assert.equal(held.length, 1);
      assert.equal(held[0].recordedAtMs, 1000);
      assert.deepEqual(
        decodeVote(new Uint8Array(Buffer.from(held[0].second.slice(2), 'hex'))).blockId,
        vote(2).blockId,
      );
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('acknowledges in order, after the data is durable, and reloads the last value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safety-'));
    try {
      const store = await LmdbSafetyStore.open(join(dir, 'safety'), G1);
      assert.equal(store.load(), undefined);
      const acks: number[] = [];
      for (let r = 1; r <= 5; r++) store.persist(data(r), () => acks.push(r));
      assert.deepEqual(acks, [], 'nothing is acknowledged synchronously');
      await store.drained();
      assert.deepEqual(acks, [1, 2, 3, 4, 5]);
      assert.equal(store.load()?.lastVotedRound, 5);
      await store.close();
      const reopened = await LmdbSafetyStore.open(join(dir, 'safety'), G1);
      assert.equal(reopened.load()?.lastVotedRound, 5);
      assert.equal(reopened.load()?.highestTimeoutRound, 4);
      await reopened.close();
      await assert.rejects(
        LmdbSafetyStore.open(join(dir, 'safety'), G2),
        (e: unknown) => e instanceof NodeError && e.code === 'DATA_DIR_MISMATCH',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('never acknowledges after close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safety-'));
    try {
      const store = await LmdbSafetyStore.open(join(dir, 'safety'), G1);
      await store.close();
      let acked = false;
      store.persist(data(1), () => {
        acked = true;
      });
      await store.drained();
      assert.equal(acked, false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
