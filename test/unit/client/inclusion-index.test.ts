/**
 * The index a node names for a transaction: the header does not state the block's
 * transaction count, so an audit path fits more than one (index, total), but never one of a
 * block larger than any block can be. A total past 2^31 would also leave the 32-bit
 * arithmetic of the path walk, where a real path of a two-transaction block verifies as
 * index 2^32 + 1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { merkleProof, receiptProof } from '../../../src/chain/index.js';
import {
  ClientError,
  type CommittedTxProof,
  parseTxProof,
  txProofToJson,
  verifyCommittedTx,
} from '../../../src/client/index.js';
import { buildChain, commitProofOf, TRUST } from './helpers.js';

const BLOCKS = buildChain(6);

/** Transaction 1 of block 5 (two transactions), its real paths with another index and total. */
function proofAt(index: number, total: number): CommittedTxProof {
  const block = BLOCKS[5];
  const hashes = block.transfers.map((t) => t.hash);
  const inclusion = merkleProof(hashes, 1);
  const receipt = receiptProof(block.receipts, 1);
  return {
    commit: commitProofOf(BLOCKS, 5),
    inclusion: { txHash: hashes[1], proof: { ...inclusion, index, total } },
    receipt: { receipt: block.receipts[1], proof: { ...receipt, index, total } },
  };
}

describe('client: the index of an included transaction', () => {
  it('verifies the real index, and refuses an index past any block before walking its path', () => {
    const hash = BLOCKS[5].transfers[1].hash;
    const { validatorSet, verifier } = TRUST;
    assert.equal(verifyCommittedTx(proofAt(1, 2), hash, validatorSet, verifier).index, 1);
    const far = proofAt(2 ** 32 + 1, 2 ** 32 + 2);
    assert.throws(
      () => verifyCommittedTx(far, hash, validatorSet, verifier),
      (err) => err instanceof ClientError && err.code === 'BAD_TX_PROOF',
    );
    assert.throws(
      () => parseTxProof(JSON.parse(JSON.stringify(txProofToJson(far)))),
      (err) =>
        err instanceof ClientError && err.code === 'MALFORMED_PROOF' && /inclusion\.total/.test(err.message),
    );
  });
});
