/**
 * The proof routes (issue 12) on real validators in one process over 127.0.0.1: a transfer
 * submitted over HTTP commits, and GET /txs/:hash/proof and GET /accounts/:address/proof
 * answer proofs that src/client verifies against the genesis validator set alone: the
 * transaction's inclusion and receipt, the sender's and recipient's balances and nonces.
 * The proof of the block that holds it is servable in the same turn as its commit lands
 * (checked from the store's head listener through the node's own explorer reader).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AccountProofJson,
  parseAccountProof,
  parseTxProof,
  type TxProofJson,
  verifyCommittedAccount,
  verifyCommittedTx,
} from '../../src/client/index.js';
import { secp256k1Verifier } from '../../src/consensus/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { addressOf } from '../../src/crypto/keys.js';
import type { LedgerNode, StoreExplorerReader } from '../../src/node/index.js';
import type { LedgerStore } from '../../src/store/index.js';
import { signTransfer } from '../../src/tx/index.js';
import { getJson, postJson, waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';
import { testSecrets } from '../support/ledger-fixture.js';

const CHAIN_ID = 5252n;
const [SENDER] = testSecrets(1, 'proof-routes');
const RECIPIENT = addressOf(testSecrets(2, 'proof-routes')[1]);

const internals = (node: LedgerNode) =>
  node as unknown as { store: LedgerStore; explorer: StoreExplorerReader };

describe('proof routes on real validators', { timeout: 60_000 }, () => {
  let net: ByzantineNet;
  let base: string;
  let verifier: ReturnType<typeof secp256k1Verifier>;

  before(async () => {
    net = await byzantineNet({
      chainId: CHAIN_ID,
      params: { baseRoundTimeoutMs: 200 },
      alloc: [{ address: addressOf(SENDER), balance: 10n ** 21n }],
    });
    for (const i of [0, 1, 2]) await net.startNode(i, { provableHistoryBlocks: 4 });
    base = `http://127.0.0.1:${net.nodes[0].apiPort}/api/v1`;
    verifier = secp256k1Verifier(net.validatorSet.validators.map((v) => v.publicKey));
  });
  after(async () => {
    await net?.stop();
  });

  it('a committed transfer and both accounts verify against genesis, the block as soon as it commits', async () => {
    const node = internals(net.nodes[0]);
    const tx = signTransfer(
      {
        chainId: CHAIN_ID,
        nonce: 0n,
        maxPriorityFeePerGas: 1n,
        maxFeePerGas: 2n * net.genesis.params.baseFeePerGas,
        gasLimit: 21_000n,
        to: RECIPIENT,
        value: 12_345n,
      },
      SENDER,
    );
    const hash = toHex(tx.hash);
    // the proof is read in the listener that announces the block's commit, before any other turn
    let atCommit: TxProofJson | { refused: string } | undefined;
    const stop = node.store.onHead((head) => {
      // the first announced head at or above the transfer's block: its commit just landed
      // (lmdb may already hold a later block of the run, announced next)
      const at = node.store.getTxLocation(tx.hash)?.height;
      if (!atCommit && at !== undefined && at <= head.height) atCommit = node.explorer.txProof(tx.hash);
    });
    assert.equal((await getJson(`${base}/txs/${hash}/proof`)).body.error, 'NOT_FOUND');
    assert.equal((await postJson(`${base}/txs`, toHex(tx.raw))).status, 202);
    const pending = await getJson(`${base}/txs/${hash}/proof`);
    // pending (or, with a fast round, already committed): never "not found" once admitted
    assert.ok(
      pending.status === 200 || (pending.status === 404 && pending.body.error === 'NOT_COMMITTED'),
      JSON.stringify(pending.body),
    );
    // the API says committed once the application has committed it, before the store's write
    // lands: wait for the store's head listener to have seen it
    await waitUntil('the transfer to commit on validator 0', async () => atCommit, 30_000);
    stop();

    assert.ok(atCommit && !('refused' in atCommit), `proof at commit: ${JSON.stringify(atCommit)}`);
    const first = verifyCommittedTx(parseTxProof(atCommit), tx.hash, net.validatorSet, verifier);

    const served = await getJson<TxProofJson>(`${base}/txs/${hash}/proof`);
    assert.equal(served.status, 200);
    const v = verifyCommittedTx(parseTxProof(served.body), tx.hash, net.validatorSet, verifier);
    assert.equal(v.commit.height, first.commit.height);
    assert.deepEqual(v.receipt.from, addressOf(SENDER));
    assert.deepEqual(v.receipt.to, RECIPIENT);
    assert.equal(v.receipt.gasUsed, 21_000n);
    assert.equal(v.receipt.fee, v.receipt.gasUsed * v.receipt.effectiveGasPrice);

    // accounts at the head (default) and at the transfer's own block
    const head = node.store.head().height;
    for (const query of ['', `?height=${v.commit.height}`]) {
      const recipient = await getJson<AccountProofJson>(`${base}/accounts/${toHex(RECIPIENT)}/proof${query}`);
      assert.equal(recipient.status, 200, JSON.stringify(recipient.body));
      const r = verifyCommittedAccount(
        parseAccountProof(recipient.body),
        RECIPIENT,
        net.validatorSet,
        verifier,
      );
      assert.deepEqual([r.exists, r.balance, r.nonce], [true, 12_345n, 0n]);
      assert.ok(query ? r.commit.height === v.commit.height : r.commit.height >= head);
      const sender = await getJson<AccountProofJson>(
        `${base}/accounts/${toHex(addressOf(SENDER))}/proof${query}`,
      );
      const s = verifyCommittedAccount(
        parseAccountProof(sender.body),
        addressOf(SENDER),
        net.validatorSet,
        verifier,
      );
      assert.equal(s.nonce, 1n);
      assert.equal(s.balance, 10n ** 21n - 12_345n - v.receipt.fee);
    }
    // before the transfer, the recipient did not exist: a proven absence
    const before = await getJson<AccountProofJson>(
      `${base}/accounts/${toHex(RECIPIENT)}/proof?height=${v.commit.height - 1}`,
    );
    const absent = verifyCommittedAccount(
      parseAccountProof(before.body),
      RECIPIENT,
      net.validatorSet,
      verifier,
    );
    assert.deepEqual([absent.exists, absent.balance, absent.commit.height], [false, 0n, v.commit.height - 1]);
  });

  it('refuses what it cannot prove with a typed 4xx', async () => {
    const { store } = internals(net.nodes[0]);
    // the node keeps the window it was started with (the store's own tests cover the window)
    assert.equal(store.provableHistoryBlocks, 4);
    const head = store.head().height;
    const address = toHex(RECIPIENT);
    const cases: Array<[string, number, string]> = [
      [`/accounts/${address}/proof?height=${head + 1000}`, 404, 'NOT_PROVABLE'],
      [`/accounts/${address}/proof?height=01`, 400, 'INVALID_HEIGHT'],
      [`/accounts/${address}/proof?height=-1`, 400, 'INVALID_HEIGHT'],
      [`/accounts/0x12/proof`, 400, 'INVALID_ADDRESS'],
      [`/txs/0x${'ab'.repeat(32)}/proof`, 404, 'NOT_FOUND'],
      [`/txs/0x${'ab'.repeat(31)}/proof`, 400, 'INVALID_HASH'],
    ];
    for (const [path, status, error] of cases) {
      const answer = await getJson(`${base}${path}`);
      assert.deepEqual([answer.status, answer.body.error], [status, error], path);
      assert.equal(typeof answer.body.message, 'string');
    }
  });
});
