/** The lmdb safety store: acks only after the write, in order; survives reopen; refuses another chain. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { open } from 'lmdb';
import { encodeHeader } from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import {
  CONSENSUS_DIGEST_TAG,
  encodeProposal,
  encodeSafetyData,
  genesisQc,
  type Proposal,
  type SafetyData,
  type Vote,
} from '../../../src/consensus/index.js';
import { fromHex, toHex } from '../../../src/crypto/bytes.js';
import { LmdbSafetyStore, NodeError } from '../../../src/node/index.js';

const G1 = new Uint8Array(32).fill(1);
const G2 = new Uint8Array(32).fill(2);
const data = (round: number): SafetyData => ({
  lastVotedRound: round,
  highestTimeoutRound: round - 1,
  highQc: genesisQc(G1),
});

/** A block at `height` with `txs` one-byte-distinct transactions (only its bytes matter here). */
const block = (height: number, txs = 2): Block => ({
  header: {
    chainId: 7n,
    height,
    round: height + 1,
    parentHash: new Uint8Array(32).fill(height),
    proposer: new Uint8Array(20).fill(9),
    timestampMs: 1_000 + height,
    txRoot: new Uint8Array(32).fill(3),
    stateRoot: new Uint8Array(32).fill(4),
    receiptsRoot: new Uint8Array(32),
    parentQc: new Uint8Array(10).fill(height),
  },
  transactions: Array.from({ length: txs }, (_, i) => Uint8Array.of(2, height, i)),
});

describe('LmdbSafetyStore', () => {
  it('keeps exactly the blocks of the latest safety data, each written once, across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safety-'));
    try {
      const path = join(dir, 'safety');
      const store = await LmdbSafetyStore.open(path, G1);
      store.persist({ ...data(3), blocks: [block(1), block(2)] }, () => {});
      store.persist({ ...data(4), blocks: [block(2), block(3)] }, () => {});
      store.persist({ ...data(5), blocks: [block(3), block(4, 0)] }, () => {});
      await store.drained();
      assert.deepEqual(store.load()?.blocks, [block(3), block(4, 0)]);
      await store.close();
      const reopened = await LmdbSafetyStore.open(path, G1);
      const loaded = reopened.load();
      assert.equal(loaded?.lastVotedRound, 5);
      assert.deepEqual(loaded?.blocks, [block(3), block(4, 0)]);
      // a later write after the reopen still removes what it leaves out
      reopened.persist({ ...data(6), blocks: [block(4, 0)] }, () => {});
      await reopened.close();
      const env = open<Buffer, string>({ path, encoding: 'binary' });
      assert.equal([...env.getKeys({ start: 'block:', end: 'block;' })].length, 1, 'one block key left');
      await env.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads safety data written with its blocks inline (the earlier format)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safety-'));
    try {
      const path = join(dir, 'safety');
      await (await LmdbSafetyStore.open(path, G1)).close();
      const env = open<Buffer, string>({ path, encoding: 'binary' });
      await env.put('safety', Buffer.from(encodeSafetyData({ ...data(9), blocks: [block(7), block(8)] })));
      await env.close();
      const store = await LmdbSafetyStore.open(path, G1);
      assert.deepEqual(store.load()?.blocks, [block(7), block(8)]);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

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
      // compact: rlp([round, blockId, signer, signature]), without the vote's sync info
      const [, blockId, , signature] = RLP.decode(fromHex(held[0].second)) as Uint8Array[];
      assert.deepEqual(blockId, vote(2).blockId);
      assert.deepEqual(signature, vote(2).signature);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('compacts evidence an earlier version stored whole, and trims it to the byte budget', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safety-'));
    try {
      const path = join(dir, 'safety');
      await (await LmdbSafetyStore.open(path, G1)).close();
      const proposal = (round: number, fill: number): Proposal => ({
        block: {
          ...block(round, 40),
          transactions: Array.from({ length: 40 }, () => new Uint8Array(1000).fill(fill)),
        },
        signature: new Uint8Array(65).fill(fill),
      });
      const env = open<Buffer, string>({ path, encoding: 'binary' });
      for (let round = 1; round <= 50; round++) {
        const record = {
          kind: 'proposal',
          round,
          validator: 0,
          first: toHex(encodeProposal(proposal(round, 1))),
          second: toHex(encodeProposal(proposal(round, 2))),
          recordedAtMs: round,
        };
        await env.put(`evidence:proposal:${round}:0`, Buffer.from(JSON.stringify(record)));
      }
      await env.close();
      const store = await LmdbSafetyStore.open(path, G1, { evidenceBytesPerValidator: 4096 });
      const held = store.evidence();
      await store.close();
      assert.ok(held.length >= 1 && held.length < 50, `${held.length} records kept`);
      assert.deepEqual(
        held.map((r) => r.round),
        held.map((_, i) => i + 1),
        'the earliest rounds are kept',
      );
      assert.equal(store.evidenceDropped, 50 - held.length);
      assert.ok(JSON.stringify(held).length <= 4096, 'within the budget');
      const [header, signature] = RLP.decode(fromHex(held[0].first)) as Uint8Array[];
      assert.deepEqual(header, encodeHeader(proposal(held[0].round, 1).block.header));
      assert.deepEqual(signature, new Uint8Array(65).fill(1));
      // what was trimmed or compacted is rewritten on disk, so it is done once
      const reread = open<Buffer, string>({ path, encoding: 'binary' });
      const onDisk = [...reread.getRange({ start: 'evidence:', end: 'evidence;' })];
      await reread.close();
      assert.equal(onDisk.length, held.length);
      assert.ok(
        // two headers and signatures in hex: about 1 KB, where a whole record holds 80 KB
        onDisk.every(({ value }) => value.length < 2048),
        'each record compact on disk',
      );
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

  it('refuses safety data signed under an earlier consensus digest tag, and keeps it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safety-'));
    try {
      const path = join(dir, 'safety');
      const first = await LmdbSafetyStore.open(path, G1);
      first.persist(data(5), () => {});
      await first.drained();
      await first.close();
      // what a node of digest v1 left: the same records, no tag (or another one)
      for (const tag of [undefined, 'bft-ledger/consensus/v1']) {
        const env = open<Buffer, string>({ path, encoding: 'binary' });
        if (tag === undefined) await env.remove('digestTag');
        else await env.put('digestTag', Buffer.from(tag));
        await env.close();
        await assert.rejects(
          LmdbSafetyStore.open(path, G1),
          (err: Error & { code?: string }) =>
            err.code === 'UNSUPPORTED_FORMAT' &&
            err.message.includes(`signed under bft-ledger/consensus/v1`) &&
            err.message.includes(CONSENSUS_DIGEST_TAG),
        );
        const kept = open<Buffer, string>({ path, encoding: 'binary' });
        assert.ok(kept.getBinary('safety'), 'the refused safety record is left as it was');
        await kept.close();
      }
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
