/**
 * Proofs of commit kept by the store (docs/FORMATS.md "Proofs of commit"): every block of
 * a committed run, the newest included, has a proof as soon as its commit returns, through
 * the application's consensus and sync paths, and each one verifies with src/client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  committedView,
  type ExecutedBlock,
  hashHeader,
  verifyAccountProof,
} from '../../../src/chain/index.js';
import { verifyCommitProof } from '../../../src/client/index.js';
import { decodeQc } from '../../../src/consensus/index.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { blockCommitOf, type LedgerStore, MAX_COMMIT_PROOF_HEADERS } from '../../../src/store/index.js';
import { verifyRange } from '../../../src/sync/index.js';
import {
  applicationOn,
  baseOf,
  CTX,
  certifiedItems,
  childBlock,
  GENESIS,
  openGenesisStore,
  SENDERS,
  VALIDATOR_SET,
} from '../sync/helpers.js';

/**
 * Verifies the proof of every head from the store's head listener, i.e. as soon as each
 * block's own commit returns (a run's later blocks may not have landed); returns the failures.
 */
function watchHeads(store: LedgerStore): string[] {
  const failures: string[] = [];
  store.onHead(({ height }) => {
    try {
      provenChain(store, height);
    } catch (err) {
      failures.push(`${height}: ${(err as Error).message}`);
    }
  });
  return failures;
}

/** The proof of `height` verifies against the genesis validator set; returns its chain length. */
function provenChain(store: LedgerStore, height: number): number {
  const proof = store.getCommitProof(height);
  assert.ok(proof, `block ${height} has a proof of commit`);
  const verified = verifyCommitProof(proof, VALIDATOR_SET, CTX.verifier);
  assert.equal(verified.height, height);
  return proof.chain.length;
}

describe('LedgerStore proofs of commit', () => {
  it('consensus commits: every block of the run and the newest are provable once the commit returns', async () => {
    const t = await openGenesisStore();
    const app = applicationOn(t);
    const failures = watchHeads(t.store);
    try {
      // rounds 1, 2, 4, 5, 6, 7: block 3 follows a failed round
      const items = certifiedItems(committedView(t.store), 6, new Set([3]));
      const run = (from: number, to: number) =>
        items.slice(from - 1, to).map((i) => ({ id: hashHeader(i.block.header), block: i.block }));
      // block 5 (round 6) certified one round after block 4 commits blocks 1..4
      app.commit(run(1, 4), decodeQc(items[3].qc), {
        child: items[4].block.header,
        childQc: decodeQc(items[4].qc),
      });
      await app.drained();
      assert.equal(t.store.head().height, 4);
      // 1: its child (block 2) is one round later; 2: proven by block 3's 2-chain (block 4)
      assert.deepEqual(
        [1, 2, 3, 4].map((h) => provenChain(t.store, h)),
        [0, 1, 0, 0],
      );
      assert.equal(t.store.getCommitProof(5), undefined, 'not committed');

      app.commit(run(5, 5), decodeQc(items[4].qc), {
        child: items[5].block.header,
        childQc: decodeQc(items[5].qc),
      });
      await app.drained();
      // block 4's proof now reads its child from the chain; block 5 is the newest, proven too
      assert.deepEqual(
        [1, 2, 3, 4, 5].map((h) => provenChain(t.store, h)),
        [0, 1, 0, 0, 0],
      );
      assert.deepEqual(t.store.getCommitProof(4)?.child, items[4].block.header);
      assert.deepEqual(failures, [], 'each block provable as soon as its own commit returned');
      // the application keeps the tree's undo records: an account proves at the newest
      // committed height and below, against the state root its proof of commit certifies
      for (const h of [5, 2]) {
        const commit = verifyCommitProof(t.store.getCommitProof(h)!, VALIDATOR_SET, CTX.verifier);
        const sender = addressOf(SENDERS[0]);
        const p = t.store.proveAccountAt(h, sender);
        assert.ok(verifyAccountProof(commit.header.stateRoot, sender, p.account, p.proof), `height ${h}`);
      }
    } finally {
      app.stop();
      await t.close();
    }
  });

  it('synced blocks carry their range’s 2-chain into the store', async () => {
    const t = await openGenesisStore();
    const app = applicationOn(t);
    const failures = watchHeads(t.store);
    try {
      // rounds 1, 2, 3, 5, 6: the range proves blocks 1..4 committed (5 is one round after 4)
      const items = certifiedItems(committedView(t.store), 5, new Set([4]));
      const verified = verifyRange(baseOf(t.store), items, CTX);
      assert.equal(verified.length, 4);
      for (const v of verified) app.commitSynced(v);
      await app.drained();
      assert.deepEqual(
        [1, 2, 3, 4].map((h) => provenChain(t.store, h)),
        [0, 0, 1, 0],
      );
      assert.deepEqual(failures, [], 'each block provable as soon as its own commit returned');
    } finally {
      app.stop();
      await t.close();
    }
  });

  it(`no proof point within ${MAX_COMMIT_PROOF_HEADERS} headers: a typed PROOF_TOO_LONG`, async () => {
    const t = await openGenesisStore();
    try {
      let parent = { header: GENESIS.block.header, view: committedView(t.store) };
      const top = MAX_COMMIT_PROOF_HEADERS + 2;
      for (let h = 1; h <= top; h++) {
        // two rounds apart every time: no block proves its parent
        const b = childBlock(parent.header, parent.view, { roundStep: 2 });
        const child = h === top ? childBlock(b.block.header, b.view).block.header : undefined;
        await t.store.commitBlock(
          blockCommitOf({
            block: b.block,
            hash: b.id,
            executed: b.view as ExecutedBlock, // childBlock's view is its execution
            transfers: [],
            before: parent.view.state,
            commitQc: new Uint8Array([h]),
            ...(child ? { commitProof: { child, childQc: new Uint8Array([0xc0]) } } : {}),
          }),
        );
        if (h === top - 1) assert.equal(t.store.getCommitProof(1), undefined, 'no proof point yet');
        parent = { header: b.block.header, view: b.view };
      }
      assert.equal(t.store.getCommitProof(top)?.chain.length, 0);
      const farthest = top - MAX_COMMIT_PROOF_HEADERS + 1;
      assert.equal(t.store.getCommitProof(farthest)?.chain.length, MAX_COMMIT_PROOF_HEADERS - 1);
      assert.throws(() => t.store.getCommitProof(farthest - 1), { code: 'PROOF_TOO_LONG' });
      assert.equal(t.store.getCommitProof(top + 1), undefined);
      assert.equal(t.store.getCommitProof(-1), undefined);
    } finally {
      await t.close();
    }
  });
});
