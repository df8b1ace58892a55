/** The lmdb safety store: acks only after the write, in order; survives reopen; refuses another chain. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { genesisQc, type SafetyData } from '../../../src/consensus/index.js';
import { LmdbSafetyStore, NodeError } from '../../../src/node/index.js';

const G1 = new Uint8Array(32).fill(1);
const G2 = new Uint8Array(32).fill(2);
const data = (round: number): SafetyData => ({
  lastVotedRound: round,
  highestTimeoutRound: round - 1,
  highQc: genesisQc(G1),
});

describe('LmdbSafetyStore', () => {
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
