/**
 * The proof routes' kept trees (src/node/proof-trees.ts): the same roots and audit paths
 * as src/chain's RFC 6962 functions for every leaf count and index, a cache bounded in
 * bytes, and a reader that builds a block's trees once for all the proofs of that block
 * instead of once per request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EMPTY_MERKLE_ROOT,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
  verifyReceiptProof,
} from '../../../src/chain/index.js';
import { parseTxProof } from '../../../src/client/index.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { BlockTreeCache, buildBlockTrees, MerkleLevels } from '../../../src/node/proof-trees.js';
import { createExplorerStore, type ExplorerStore } from '../../support/explorer-store.js';

const item = (i: number) => sha256(new TextEncoder().encode(`leaf ${i}`));

describe('proof trees', () => {
  it("has src/chain's root and audit path for every leaf of trees of 1 to 70 leaves", () => {
    for (let n = 1; n <= 70; n++) {
      const items = Array.from({ length: n }, (_, i) => item(i));
      const levels = MerkleLevels.build(items);
      assert.deepEqual(levels.root(), merkleRoot(items), `root of ${n} leaves`);
      for (let i = 0; i < n; i++)
        assert.deepEqual(levels.proof(i), merkleProof(items, i), `leaf ${i} of ${n}`);
    }
    assert.equal(MerkleLevels.build([]).root(), undefined);
    assert.deepEqual(merkleRoot([]), EMPTY_MERKLE_ROOT);
    assert.throws(() => MerkleLevels.build([item(0)]).proof(1), RangeError);
  });

  it('keeps blocks up to its bytes and forgets the least recently used first', () => {
    const trees = buildBlockTrees(
      Array.from({ length: 4 }, (_, i) => item(i)),
      [],
    );
    const bytes = trees.txs.bytes + trees.receipts.bytes;
    const cache = new BlockTreeCache(3 * bytes);
    for (const h of [1, 2, 3]) cache.set(h, trees);
    assert.ok(cache.get(1));
    cache.set(4, trees);
    assert.equal(cache.get(2), undefined, 'the least recently used block is forgotten');
    assert.ok(cache.get(1) && cache.get(3) && cache.get(4));
    assert.deepEqual(cache.size(), { blocks: 3, bytes: 3 * bytes });
    const tooSmall = new BlockTreeCache(bytes - 1);
    tooSmall.set(1, trees);
    assert.deepEqual(tooSmall.size(), { blocks: 0, bytes: 0 }, 'a block larger than the cache is not kept');
  });
});

describe('proof routes over kept trees', () => {
  let fixture: ExplorerStore;
  before(async () => {
    fixture = await createExplorerStore({ blocks: 3, txsPerBlock: 60, accounts: 12, skipRoundEvery: 0 });
  });
  after(async () => {
    await fixture?.close();
  });

  it("reads a block's records once for all its proofs, and every proof leads to the header's roots", () => {
    const { store, reader, txHashes } = fixture;
    const height = 2;
    const reads: number[] = [];
    const original = store.getBlockTxRecords.bind(store);
    store.getBlockTxRecords = (h, from, limit) => {
      reads.push(h);
      return original(h, from, limit);
    };
    try {
      for (const hash of txHashes[height]) {
        const json = reader.txProof(hash);
        assert.ok(!('refused' in json), `the proof of a committed transaction: ${JSON.stringify(json)}`);
        const proof = parseTxProof(JSON.parse(JSON.stringify(json)));
        const header = proof.commit.header;
        assert.equal(header.height, height);
        assert.ok(verifyMerkleProof(header.txRoot, hash, proof.inclusion.proof));
        assert.ok(
          verifyReceiptProof(
            header.receiptsRoot,
            proof.receipt.receipt,
            proof.inclusion.proof.index,
            proof.receipt.proof,
          ),
        );
      }
    } finally {
      store.getBlockTxRecords = original;
    }
    assert.deepEqual(reads, [height], 'one range read of the block, then its kept trees');
  });
});
