/**
 * Account proofs at committed heights (docs/FORMATS.md "Account proofs at committed
 * heights"): the head and the K heights below it are provable from the undo records, older
 * heights answer NOT_PROVABLE, and undo records K blocks old are deleted, also after a reopen.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open } from 'lmdb';
import {
  type Block,
  buildGenesisBlock,
  committedView,
  executeBlock,
  hashHeader,
  merkleRoot,
  verifyAccountProof,
} from '../../../src/chain/index.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { addressOf } from '../../../src/crypto/keys.js';
import type { Account } from '../../../src/state/index.js';
import { blockCommitOf, genesisCommitOf, LedgerStore } from '../../../src/store/index.js';
import {
  CHAIN_ID,
  commitVerified,
  fixtureGenesis,
  initialiseFixture,
  PARAMS,
  testSecrets,
  verifiedTransfer,
} from '../../support/ledger-fixture.js';

const K = 3;
const secrets = testSecrets(4, 'proof-at');
const genesis = fixtureGenesis(secrets);
const sender = addressOf(secrets[0]);
const receiver = addressOf(secrets[1]);
/** Created by block 3: absent at heights 0..2. */
const newcomer = sha256(new TextEncoder().encode('newcomer')).subarray(0, 20);

/** Commits one block: a transfer from secrets[0] to `to`, with the undo records of its tree. */
async function commitOne(store: LedgerStore, to: Uint8Array): Promise<void> {
  const nonce = store.getAccount(sender)?.nonce ?? 0n;
  const txs = [verifiedTransfer(secrets[0], nonce, to, 1000n + BigInt(store.head().height))];
  await commitVerified(store, txs, addressOf(secrets[3]));
}

/** Every account of `addresses` at the store's head. */
function snapshot(store: LedgerStore, addresses: Uint8Array[]): Array<Account | null> {
  return addresses.map((a) => store.getAccount(a) ?? null);
}

function assertProvable(store: LedgerStore, height: number, address: Uint8Array, expected: Account | null) {
  const p = store.proveAccountAt(height, address);
  assert.equal(p.height, height);
  assert.deepEqual(p.header, store.getHeader(height));
  assert.deepEqual(p.account, expected, `account at height ${height}`);
  assert.ok(verifyAccountProof(p.header.stateRoot, address, p.account, p.proof), `proof at ${height}`);
  // the same proof does not pass for another value or another height's root
  if (expected)
    assert.equal(
      verifyAccountProof(
        p.header.stateRoot,
        address,
        { ...expected, balance: expected.balance + 1n },
        p.proof,
      ),
      false,
    );
}

/** Heights whose undo records are on disk. */
async function undoHeights(dir: string): Promise<number[]> {
  const env = open({ path: dir, maxDbs: 16, keyEncoding: 'binary', encoding: 'binary' });
  const undo = env.openDB('undo', { keyEncoding: 'binary', encoding: 'binary' });
  const heights = new Set<number>();
  for (const key of undo.getKeys()) heights.add(Number(Buffer.from(key as Uint8Array).readBigUInt64BE(0)));
  await env.close();
  return [...heights].sort((a, b) => a - b);
}

describe('LedgerStore.proveAccountAt', () => {
  it(`proves the head and the ${K} heights below it, refuses older ones, and prunes undo records`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proof-at-'));
    try {
      let store = LedgerStore.open(dir, genesis.hash, { provableHistoryBlocks: K });
      await initialiseFixture(store, genesis);
      const addresses = [sender, receiver, newcomer];
      const states = [snapshot(store, addresses)];
      for (let h = 1; h <= 6; h++) {
        await commitOne(store, h === 3 ? newcomer : receiver);
        states.push(snapshot(store, addresses));
      }
      assert.equal(states[2][2], null);
      assert.notEqual(states[3][2], null);
      // the newest committed height, and every height down to head - K
      for (let h = 6; h >= 6 - K; h--)
        addresses.forEach((a, i) => {
          assertProvable(store, h, a, states[h][i]);
        });
      for (const h of [6 - K - 1, 0, 7, -1, 1.5])
        assert.throws(() => store.proveAccountAt(h, sender), { code: 'NOT_PROVABLE' }, `height ${h}`);
      await store.close();
      assert.deepEqual(await undoHeights(dir), [4, 5, 6], 'records K blocks old are deleted');

      // a reopened store prunes what an earlier run wrote, and keeps the window
      store = LedgerStore.open(dir, genesis.hash, { provableHistoryBlocks: K });
      await commitOne(store, newcomer);
      states.push(snapshot(store, addresses));
      for (let h = 7; h >= 7 - K; h--) assertProvable(store, h, newcomer, states[h][2]);
      assert.throws(() => store.proveAccountAt(7 - K - 1, newcomer), { code: 'NOT_PROVABLE' });
      await store.close();
      assert.deepEqual(await undoHeights(dir), [5, 6, 7]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the undo records from the execution’s own node reads equal those read again from the tree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proof-at-'));
    const store = LedgerStore.open(dir, genesis.hash);
    try {
      await initialiseFixture(store, genesis);
      const view = committedView(store);
      const txs = [0, 1, 2].map((i) =>
        verifiedTransfer(secrets[i], 0n, sha256(Uint8Array.of(i)).subarray(0, 20), 5n),
      );
      const executed = executeBlock(view, { proposer: sender, transactions: txs }, PARAMS);
      const input = {
        block: genesis.block,
        hash: genesis.hash,
        transfers: txs,
        before: view.state,
        beforeTree: view.tree,
      };
      const fromReads = blockCommitOf({ ...input, executed }).undo!;
      const reread = blockCommitOf({ ...input, executed: { ...executed, treeReads: undefined } }).undo!;
      assert.ok(fromReads.nodes.length > 0 && fromReads.accounts.length === 6);
      assert.deepEqual(fromReads, reread);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('proves every account of a tree three levels deep at every provable height', async () => {
    // a tree deep enough for every kind of undo chunk: the root and its children, and nodes
    // below them under each first nibble
    const senders = testSecrets(8, 'proof-at-deep');
    const funded = Array.from({ length: 3000 }, (_, i) =>
      sha256(Uint8Array.of(i >> 8, i & 255, 9)).subarray(0, 20),
    );
    const deepGenesis = buildGenesisBlock({
      chainId: CHAIN_ID,
      timestampMs: 0,
      alloc: [...senders.map(addressOf), ...funded].map((a) => [a, 10n ** 24n] as const),
      documentHash: new Uint8Array(32),
    });
    const dir = await mkdtemp(join(tmpdir(), 'proof-at-'));
    const store = LedgerStore.open(dir, deepGenesis.hash, { provableHistoryBlocks: K });
    try {
      await store.initialise(genesisCommitOf(deepGenesis));
      const fresh = (h: number, i: number) => sha256(Uint8Array.of(h, i, 7)).subarray(0, 20);
      const watched = [...senders.map(addressOf), ...funded.slice(0, 40)];
      const states = [snapshot(store, watched)];
      for (let h = 1; h <= K + 2; h++) {
        const txs = Array.from({ length: 16 }, (_, i) => {
          const to = i % 4 === 3 ? fresh(h, i) : funded[(h * 16 + i) % 40];
          if (i % 4 === 3) watched.push(to);
          const from = senders[i % senders.length];
          return verifiedTransfer(
            from,
            BigInt((h - 1) * 2 + (i >= senders.length ? 1 : 0)),
            to,
            BigInt(h * 100 + i),
          );
        });
        await commitVerified(store, txs, addressOf(senders[0]));
        states.push(snapshot(store, watched));
      }
      const head = store.head().height;
      for (let h = head; h >= head - K; h--)
        watched.forEach((a, i) => {
          assertProvable(store, h, a, states[h][i] ?? null);
        });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a block committed without undo records makes the heights below it not provable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proof-at-'));
    const store = LedgerStore.open(dir, genesis.hash, { provableHistoryBlocks: K });
    try {
      await initialiseFixture(store, genesis);
      await commitOne(store, receiver);
      // block 2 without its tree's undo records (as a caller without beforeTree commits)
      const view = committedView(store);
      const head = store.head();
      const parent = store.getHeader(head.height)!;
      const executed = executeBlock(view, { proposer: sender, transactions: [] }, PARAMS);
      const block: Block = {
        header: {
          ...parent,
          height: 2,
          round: parent.round + 1,
          parentHash: head.hash,
          txRoot: merkleRoot([]),
          stateRoot: executed.stateRoot,
          receiptsRoot: executed.receiptsRoot,
        },
        transactions: [],
      };
      await store.commitBlock(
        blockCommitOf({ block, hash: hashHeader(block.header), executed, transfers: [], before: view.state }),
      );
      assertProvable(store, 2, sender, store.getAccount(sender)!);
      assert.throws(() => store.proveAccountAt(1, sender), { code: 'NOT_PROVABLE' });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
