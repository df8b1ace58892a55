import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import {
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodedBlockSize,
  encodeHeader,
  hashHeader,
} from '../../../src/chain/codec.js';
import { EMPTY_MERKLE_ROOT, merkleProof, merkleRoot, verifyMerkleProof } from '../../../src/chain/merkle.js';
import type { Block } from '../../../src/chain/types.js';
import { sha256 } from '../../../src/crypto/hash.js';

function sampleBlock(txCount = 3): Block {
  const transactions = Array.from({ length: txCount }, (_, i) => new Uint8Array([2, i, i + 1]));
  return {
    header: {
      chainId: 1337n,
      height: 7,
      round: 9,
      parentHash: new Uint8Array(32).fill(1),
      proposer: new Uint8Array(20).fill(2),
      timestampMs: 1_764_000_000_123,
      txRoot: merkleRoot(transactions),
      stateRoot: new Uint8Array(32).fill(3),
      receiptsRoot: new Uint8Array(32),
      parentQc: new Uint8Array([9, 9, 9]),
    },
    transactions,
  };
}

describe('block codec', () => {
  it('round-trips blocks and headers', () => {
    const block = sampleBlock();
    assert.deepEqual(decodeBlock(encodeBlock(block)), block);
    assert.deepEqual(decodeHeader(encodeHeader(block.header)), block.header);
    assert.deepEqual(hashHeader(block.header), sha256(encodeHeader(block.header)));
  });

  it('computes the encoded size of a block without encoding it (property)', () => {
    // tx sizes around every RLP boundary (single byte < 0x80, 55/56, 255/256) and blocks
    // whose payload needs one, two and three length bytes
    const tx = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 2 }),
      fc.uint8Array({ minLength: 54, maxLength: 57 }),
      fc.uint8Array({ minLength: 100, maxLength: 300 }),
    );
    fc.assert(
      fc.property(
        fc.array(tx, { maxLength: 40 }),
        fc.integer({ min: 0, max: 500 }),
        fc.uint8Array({ maxLength: 300 }),
        (txs, copies, parentQc) => {
          const block = sampleBlock(0);
          block.header.parentQc = parentQc;
          block.transactions = [...txs, ...Array.from({ length: copies }, () => new Uint8Array(150).fill(2))];
          assert.equal(encodedBlockSize(block), encodeBlock(block).length);
        },
      ),
      { seed: 21, numRuns: 300 },
    );
  });

  it('rejects malformed and non-canonical encodings with typed errors', () => {
    const block = sampleBlock();
    const bytes = encodeBlock(block);
    assert.throws(() => decodeBlock(bytes.subarray(0, bytes.length - 1)), { code: 'MALFORMED_BLOCK' });
    assert.throws(() => decodeBlock(new Uint8Array([...bytes, 0])), { code: 'MALFORMED_BLOCK' });
    assert.throws(() => decodeBlock(RLP.encode([[], []])), { code: 'MALFORMED_BLOCK' });
    const fields = [
      new Uint8Array([0x05, 0x39]),
      new Uint8Array([0, 7]), // height with a leading zero
      new Uint8Array([9]),
      block.header.parentHash,
      block.header.proposer,
      new Uint8Array([1]),
      block.header.txRoot,
      block.header.stateRoot,
      block.header.receiptsRoot,
      new Uint8Array(),
    ];
    assert.throws(() => decodeBlock(RLP.encode([fields, []])), { code: 'NON_CANONICAL_BLOCK' });
    const shortHash = [...fields];
    shortHash[1] = new Uint8Array([7]);
    shortHash[3] = new Uint8Array(31);
    assert.throws(() => decodeBlock(RLP.encode([shortHash, []])), { code: 'MALFORMED_BLOCK' });
  });
});

describe('transaction Merkle root (RFC 6962)', () => {
  it('matches the RFC 6962 definition and the empty root', () => {
    assert.deepEqual(merkleRoot([]), EMPTY_MERKLE_ROOT);
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    const c = new Uint8Array([3]);
    const leaf = (x: Uint8Array) => sha256(new Uint8Array([0, ...x]));
    const node = (l: Uint8Array, r: Uint8Array) => sha256(new Uint8Array([1, ...l, ...r]));
    assert.deepEqual(merkleRoot([a]), leaf(a));
    assert.deepEqual(merkleRoot([a, b, c]), node(node(leaf(a), leaf(b)), leaf(c)));
  });

  it('proves inclusion of every item for every size up to 40, and rejects tampering', () => {
    for (let n = 1; n <= 40; n++) {
      const items = Array.from({ length: n }, (_, i) => sha256(new Uint8Array([i, n])));
      const root = merkleRoot(items);
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(items, i);
        assert.ok(verifyMerkleProof(root, items[i], proof), `n=${n} i=${i}`);
        if (n > 1) assert.equal(verifyMerkleProof(root, items[(i + 1) % n], proof), false);
        if (proof.siblings.length > 0) {
          const tampered = { ...proof, siblings: proof.siblings.map((s, j) => (j === 0 ? sha256(s) : s)) };
          assert.equal(verifyMerkleProof(root, items[i], tampered), false);
        }
        assert.equal(verifyMerkleProof(root, items[i], { ...proof, index: n }), false);
      }
    }
  });

  it('never accepts a proof for an item not in the list (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 30 }),
        fc.uint8Array({ minLength: 9, maxLength: 9 }),
        fc.nat(),
        (items, outsider, pick) => {
          const i = pick % items.length;
          assert.equal(verifyMerkleProof(merkleRoot(items), outsider, merkleProof(items, i)), false);
        },
      ),
      { seed: 3, numRuns: 200 },
    );
  });
});
