/**
 * Block requests and block sync answer with the block's stored encoding (issue 10 item 3):
 * the bytes must be exactly the canonical encoding, found by height and by id.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeBlock, hashHeader } from '../../../src/chain/codec.js';
import { merkleRoot } from '../../../src/chain/merkle.js';
import type { Block } from '../../../src/chain/types.js';
import { keccak256 } from '../../../src/crypto/hash.js';
import { LedgerStore } from '../../../src/store/index.js';
import { testAddress } from '../../support/transfers.js';

function blockAt(height: number, parentHash: Uint8Array, txs: Uint8Array[]): Block {
  return {
    header: {
      chainId: 1337n,
      height,
      round: height,
      parentHash,
      proposer: testAddress(9),
      timestampMs: 1000 + height,
      txRoot: merkleRoot(txs.map(keccak256)),
      stateRoot: new Uint8Array(32).fill(height),
      receiptsRoot: new Uint8Array(32),
      parentQc: new Uint8Array([height]),
    },
    transactions: txs,
  };
}

const commitOf = (block: Block) => ({
  block,
  hash: hashHeader(block.header),
  receipts: [],
  accounts: [],
  tree: { puts: [], deletes: [] },
  transfers: [],
  burned: 0n,
  createdAccounts: 0,
});

describe('LedgerStore block bytes', () => {
  it('returns the canonical encoding of a committed block by height and by id', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-store-bytes-'));
    const genesis = blockAt(0, new Uint8Array(32), []);
    const store = LedgerStore.open(dir, hashHeader(genesis.header));
    try {
      await store.initialise(commitOf(genesis));
      const block = blockAt(1, hashHeader(genesis.header), []);
      await store.commitBlock(commitOf(block));
      const id = hashHeader(block.header);
      assert.deepEqual(store.getBlockBytes(1), encodeBlock(block));
      assert.deepEqual(store.getBlockBytesByHash(id), encodeBlock(block));
      assert.deepEqual(store.getBlockBytes(0), encodeBlock(genesis));
      assert.equal(store.getBlockBytes(2), undefined);
      assert.equal(store.getBlockBytesByHash(new Uint8Array(32).fill(5)), undefined);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
