/**
 * Proofs of commit and account proofs on real nodes in one process over 127.0.0.1: every
 * height a validator commits, through consensus or through block sync, has a proof of
 * commit that src/client verifies against the genesis validator set, the newest one as
 * soon as its commit returns (checked from the store's head listener), and accounts prove
 * against the state roots those proofs certify.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAccountProof } from '../../src/chain/index.js';
import { verifyCommitProof } from '../../src/client/index.js';
import { secp256k1Verifier } from '../../src/consensus/index.js';
import type { LedgerNode } from '../../src/node/index.js';
import { DEFAULT_STORE_OPTIONS, type LedgerStore } from '../../src/store/index.js';
import { waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';

function storeOf(node: LedgerNode): LedgerStore {
  return (node as unknown as { store: LedgerStore }).store;
}

describe('proofs of commit on real nodes', { timeout: 60_000 }, () => {
  let net: ByzantineNet;
  /** Heads whose proof of commit was missing or did not verify when the head moved. */
  const unproven: string[] = [];
  let headsSeen = 0;

  const verifyAt = (store: LedgerStore, height: number) => {
    const proof = store.getCommitProof(height);
    assert.ok(proof, `block ${height} has a proof of commit`);
    return verifyCommitProof(
      proof,
      net.validatorSet,
      secp256k1Verifier(net.validatorSet.validators.map((v) => v.publicKey)),
    );
  };

  /** Checks the proof of each new head from inside the store's head listener. */
  const watch = (name: string, store: LedgerStore) =>
    store.onHead((head) => {
      headsSeen++;
      try {
        verifyAt(store, head.height);
      } catch (err) {
        unproven.push(`${name} ${head.height}: ${(err as Error).message}`);
      }
    });

  before(async () => {
    net = await byzantineNet({ chainId: 5151n, params: { baseRoundTimeoutMs: 200 } });
    for (const i of [0, 1, 2]) watch(`v${i}`, storeOf(await net.startNode(i)));
  });

  after(async () => {
    await net?.stop();
  });

  it('every committed height of each validator verifies, the newest as soon as it commits', async () => {
    const stores = net.nodes.map(storeOf);
    await waitUntil(
      'three validators to commit 6 blocks',
      async () => (stores.every((s) => s.head().height >= 6) ? true : undefined),
      30_000,
    );
    for (const store of stores) {
      const head = store.head().height;
      for (let h = 1; h <= head; h++) assert.equal(verifyAt(store, h).height, h);
    }
    assert.ok(headsSeen >= 18);
    assert.deepEqual(unproven, []);
  });

  it('a validator that syncs from a fresh directory stores its ranges’ proofs too', async () => {
    const target = storeOf(net.nodes[0]).head().height;
    const late = storeOf(await net.startNode(3, { sync: { tickMs: 50, peerHeadTtlMs: 200 } }));
    watch('v3', late);
    await waitUntil(
      `validator 3 to reach height ${target + 2}`,
      async () => (late.head().height >= target + 2 ? true : undefined),
      30_000,
    );
    const head = late.head().height;
    for (let h = 1; h <= head; h++) assert.equal(verifyAt(late, h).height, h);
    assert.deepEqual(unproven, []);
    // an account, at the newest height and the oldest provable one, against certified roots
    const address = net.genesis.validators[0].address;
    for (const h of [head, head - DEFAULT_STORE_OPTIONS.provableHistoryBlocks]) {
      if (h < 0) continue;
      const root = verifyAt(late, h).header.stateRoot;
      const p = late.proveAccountAt(h, address);
      assert.ok(verifyAccountProof(root, address, p.account, p.proof), `account proof at ${h}`);
    }
  });
});
