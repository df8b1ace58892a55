/** The receipts root in the header: its encoding, its check after execution, and receipt proofs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  checkExecution,
  committedView,
  decodeHeader,
  decodeReceipt,
  EMPTY_MERKLE_ROOT,
  encodeHeader,
  encodeReceipt,
  executeBlock,
  merkleRoot,
  RECEIPT_ENCODING_BYTES,
  receiptProof,
  receiptsRoot,
  verifyReceiptProof,
} from '../../../src/chain/index.js';
import { MemoryTreeStore } from '../../../src/commitment/index.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { AccountState, type Receipt } from '../../../src/state/index.js';
import { fixtureGenesis, PARAMS, testSecrets, verifiedTransfer } from '../../support/ledger-fixture.js';

const secrets = testSecrets(6, 'receipts');
const genesis = fixtureGenesis(secrets);

function receipt(i: number): Receipt {
  return {
    txHash: new Uint8Array(32).fill(i + 1),
    from: new Uint8Array(20).fill(i + 2),
    to: new Uint8Array(20).fill(i + 3),
    status: 1,
    gasUsed: 21_000n,
    effectiveGasPrice: 1_000_000_000n + BigInt(i),
    fee: 21_000n * (1_000_000_000n + BigInt(i)),
  };
}

const receipts = (n: number) => Array.from({ length: n }, (_, i) => receipt(i));

/** A genesis view the executor reads (state from the allocations, tree from genesis). */
function genesisView() {
  const tree = new MemoryTreeStore();
  tree.apply(genesis.treeUpdate);
  const accounts = new Map(
    genesis.accountChanges.map((c) => [Buffer.from(c.address).toString('hex'), c.account]),
  );
  return {
    state: AccountState.over({ getAccount: (a) => accounts.get(Buffer.from(a).toString('hex')) }),
    tree,
  };
}

describe('receipt encoding and root', () => {
  it('encodes a receipt in 145 fixed bytes and decodes it back', () => {
    const r = receipt(4);
    const bytes = encodeReceipt(r);
    assert.equal(bytes.length, RECEIPT_ENCODING_BYTES);
    assert.deepEqual(decodeReceipt(bytes), r);
    assert.throws(() => decodeReceipt(bytes.subarray(1)), { code: 'MALFORMED_BLOCK' });
  });

  it('is the RFC 6962 root over the canonical bytes, and the empty root for none', () => {
    assert.deepEqual(receiptsRoot([]), EMPTY_MERKLE_ROOT);
    assert.deepEqual(genesis.block.header.receiptsRoot, EMPTY_MERKLE_ROOT);
    const rs = receipts(5);
    assert.deepEqual(receiptsRoot(rs), merkleRoot(rs.map(encodeReceipt)));
  });

  it('is part of the header encoding and its hash', () => {
    const header = { ...genesis.block.header, receiptsRoot: new Uint8Array(32).fill(9) };
    assert.deepEqual(decodeHeader(encodeHeader(header)), header);
    assert.notDeepEqual(encodeHeader(header), encodeHeader(genesis.block.header));
  });
});

describe('checkExecution', () => {
  const view = genesisView();
  const txs = [
    verifiedTransfer(secrets[0], 0n, addressOf(secrets[1]), 5n),
    verifiedTransfer(secrets[2], 0n, addressOf(secrets[3]), 7n),
  ];
  const executed = executeBlock(view, { proposer: addressOf(secrets[5]), transactions: txs }, PARAMS);

  it('executeBlock computes the root of its receipts', () => {
    assert.equal(executed.receipts.length, 2);
    assert.deepEqual(executed.receiptsRoot, receiptsRoot(executed.receipts));
  });

  it('accepts the header execution produced and refuses a wrong receiptsRoot or stateRoot', () => {
    const header = { stateRoot: executed.stateRoot, receiptsRoot: executed.receiptsRoot };
    checkExecution(header, executed);
    const wrong = executed.receiptsRoot.slice();
    wrong[0] ^= 1;
    assert.throws(() => checkExecution({ ...header, receiptsRoot: wrong }, executed), {
      code: 'BAD_RECEIPTS_ROOT',
    });
    assert.throws(() => checkExecution({ ...header, receiptsRoot: EMPTY_MERKLE_ROOT }, executed), {
      code: 'BAD_RECEIPTS_ROOT',
    });
    assert.throws(() => checkExecution({ ...header, stateRoot: wrong }, executed), {
      code: 'BAD_STATE_ROOT',
    });
  });

  it('an empty block has the empty receipts root', () => {
    const empty = executeBlock(
      committedView({ getAccount: () => undefined, getNode: () => undefined }),
      {
        proposer: addressOf(secrets[5]),
        transactions: [],
      },
      PARAMS,
    );
    assert.deepEqual(empty.receiptsRoot, EMPTY_MERKLE_ROOT);
  });
});

describe('receipt proofs', () => {
  it('every receipt of blocks of 1..17 receipts proves at its index (round trip)', () => {
    for (let n = 1; n <= 17; n++) {
      const rs = receipts(n);
      const root = receiptsRoot(rs);
      for (let i = 0; i < n; i++)
        assert.ok(verifyReceiptProof(root, rs[i], i, receiptProof(rs, i)), `${i}/${n}`);
    }
  });

  it('refuses forged receipts, indexes, roots and paths (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), fc.nat(), (n, a, b) => {
        const rs = receipts(n);
        const root = receiptsRoot(rs);
        const i = a % n;
        const proof = receiptProof(rs, i);
        const other = (i + 1 + (b % (n - 1))) % n;
        // another receipt of the same block at this index
        assert.equal(verifyReceiptProof(root, rs[other], i, proof), false);
        // this receipt claimed at another index, with the proof relabelled or not
        assert.equal(verifyReceiptProof(root, rs[i], other, proof), false);
        assert.equal(verifyReceiptProof(root, rs[i], other, { ...proof, index: other }), false);
        // one field changed: the fee a node would like to report
        assert.equal(verifyReceiptProof(root, { ...rs[i], fee: rs[i].fee + 1n }, i, proof), false);
        assert.equal(verifyReceiptProof(root, { ...rs[i], to: rs[other].to }, i, proof), false);
        // the root of another block, a changed count, a dropped or changed sibling
        assert.equal(verifyReceiptProof(receiptsRoot(rs.slice(0, n - 1)), rs[i], i, proof), false);
        // (a larger total can describe the same path, RFC 6962 binds the leaf and its
        // position, not the count; an impossible one is refused)
        assert.equal(verifyReceiptProof(root, rs[i], i, { ...proof, total: i }), false);
        assert.equal(
          verifyReceiptProof(root, rs[i], i, { ...proof, siblings: proof.siblings.slice(1) }),
          false,
        );
        const flipped = proof.siblings.map((s) => s.slice());
        flipped[b % flipped.length][0] ^= 1;
        assert.equal(verifyReceiptProof(root, rs[i], i, { ...proof, siblings: flipped }), false);
        // an amount that does not fit the encoding is no receipt, not an exception
        assert.equal(verifyReceiptProof(root, { ...rs[i], fee: 1n << 256n }, i, proof), false);
      }),
      { seed: 12, numRuns: 60 },
    );
  });

  it('a receipt does not prove under the transaction root of the same block', () => {
    const rs = receipts(4);
    const txRoot = merkleRoot(rs.map((r) => r.txHash));
    assert.equal(verifyReceiptProof(txRoot, rs[1], 1, receiptProof(rs, 1)), false);
  });
});
