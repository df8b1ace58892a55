import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeAccountProof,
  encodeAccountProof,
  executeBlock,
  type LedgerView,
  proveAccount,
  verifyAccountProof,
} from '../../../src/chain/index.js';
import { MemoryTreeStore } from '../../../src/commitment/index.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { AccountState } from '../../../src/state/index.js';
import { recoverSender, signTransfer } from '../../../src/tx/index.js';
import { CHAIN_ID, fixtureGenesis, GWEI, PARAMS, testSecrets } from '../../support/ledger-fixture.js';
import { testAddress } from '../../support/transfers.js';

describe('account proofs', () => {
  const secrets = testSecrets(50, 'proofs');
  const genesis = fixtureGenesis(secrets);
  const tree = new MemoryTreeStore();
  tree.apply(genesis.treeUpdate);
  const base: LedgerView = {
    state: AccountState.fromEntries(genesis.accountChanges.map((c) => [c.address, c.account])),
    tree,
  };
  // One block on top, executed as an overlay: proofs must work on speculative views too.
  const tx = recoverSender(
    signTransfer(
      {
        chainId: CHAIN_ID,
        nonce: 0n,
        maxPriorityFeePerGas: GWEI,
        maxFeePerGas: 2n * GWEI,
        gasLimit: 21_000n,
        to: testAddress(5),
        value: 12_345n,
      },
      secrets[0],
    ),
  );
  const executed = executeBlock(base, { proposer: addressOf(secrets[1]), transactions: [tx] }, PARAMS);

  it('proves existing accounts against the state root, before and after a block', () => {
    for (const [view, root] of [
      [base, genesis.block.header.stateRoot],
      [executed, executed.stateRoot],
    ] as const) {
      for (const secret of secrets.slice(0, 10)) {
        const p = proveAccount(view, addressOf(secret));
        assert.ok(p.account, 'funded account exists');
        assert.ok(verifyAccountProof(root, p.address, p.account, p.proof), 'inclusion proof verifies');
        const wrong = { ...p.account, balance: p.account.balance + 1n };
        assert.equal(verifyAccountProof(root, p.address, wrong, p.proof), false, 'a wrong balance fails');
        assert.equal(verifyAccountProof(root, p.address, null, p.proof), false, 'cannot pass as absent');
      }
    }
    const recipient = proveAccount(executed, testAddress(5));
    assert.deepEqual(recipient.account, { balance: 12_345n, nonce: 0n });
    assert.ok(verifyAccountProof(executed.stateRoot, recipient.address, recipient.account, recipient.proof));
    // The old root does not contain the new account.
    assert.equal(
      verifyAccountProof(
        genesis.block.header.stateRoot,
        recipient.address,
        recipient.account,
        recipient.proof,
      ),
      false,
    );
  });

  it('proves absence, and the proof survives its byte encoding', () => {
    const p = proveAccount(executed, testAddress(999));
    assert.equal(p.account, null);
    assert.ok(verifyAccountProof(executed.stateRoot, p.address, null, p.proof), 'absence proof verifies');
    assert.equal(
      verifyAccountProof(executed.stateRoot, p.address, { balance: 0n, nonce: 0n }, p.proof),
      false,
      'an absent account cannot be proven as an empty one',
    );
    const bytes = encodeAccountProof(p.proof);
    assert.ok(verifyAccountProof(executed.stateRoot, p.address, null, decodeAccountProof(bytes)));
  });
});
