/**
 * Durability: a child process commits blocks and is killed with SIGKILL right after a
 * commit returns. The reopened store must hold that block, its state and every index,
 * whole and consistent with a replay of the chain from genesis.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { executeBlock, hashHeader, type LedgerView } from '../../src/chain/index.js';
import { MemoryTreeStore, rootOf } from '../../src/commitment/index.js';
import { equalBytes, toHex } from '../../src/crypto/bytes.js';
import { AccountState } from '../../src/state/index.js';
import { LedgerStore } from '../../src/store/index.js';
import { decodeTransfer, recoverSender } from '../../src/tx/index.js';
import { CHAIN_ID, fixtureGenesis, PARAMS, testSecrets } from '../support/ledger-fixture.js';

const CHILD = new URL('../support/commit-child.ts', import.meta.url).pathname;

/** Runs the child until it reports `killAfter` commits, then SIGKILLs it at once. */
async function runAndKill(dir: string, killAfter: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let last = -1;
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const m = /^committed (\d+)$/.exec(line);
    if (!m) continue;
    last = Number(m[1]);
    if (++seen === killAfter) {
      child.kill('SIGKILL');
      break;
    }
  }
  clearTimeout(timer);
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', `child did not run to the kill: ${stderr}`);
  assert.ok(last >= 0, `child committed nothing within 60 s: ${stderr}`);
  return last;
}

function checkConsistent(store: LedgerStore, atLeast: number): void {
  const secrets = testSecrets(40);
  const genesis = fixtureGenesis(secrets);
  const head = store.head();
  assert.ok(head.height >= atLeast, `head ${head.height} lost the acknowledged block ${atLeast}`);

  // Replay the stored chain from genesis in memory: every block must execute to its stateRoot.
  const tree = new MemoryTreeStore();
  tree.apply(genesis.treeUpdate);
  let view: LedgerView = {
    state: AccountState.fromEntries(genesis.accountChanges.map((c) => [c.address, c.account])),
    tree,
  };
  const touched = new Map<string, Uint8Array>();
  let parentHash = genesis.hash;
  for (let h = 1; h <= head.height; h++) {
    const block = store.getBlock(h);
    assert.ok(block, `block ${h} missing`);
    assert.ok(equalBytes(block.header.parentHash, parentHash), `block ${h} does not link to its parent`);
    const hash = hashHeader(block.header);
    assert.equal(store.getBlockHeight(hash), h, `hash index of block ${h}`);
    const txs = block.transactions.map((raw) => recoverSender(decodeTransfer(raw, CHAIN_ID)));
    const executed = executeBlock(view, { proposer: block.header.proposer, transactions: txs }, PARAMS);
    assert.ok(equalBytes(executed.stateRoot, block.header.stateRoot), `block ${h} state root`);
    tree.apply(executed.treeUpdate);
    view = { state: executed.state, tree };
    const receipts = store.getReceipts(h);
    assert.equal(receipts?.length, txs.length, `receipts of block ${h}`);
    txs.forEach((tx, index) => {
      assert.deepEqual(store.getTxLocation(tx.hash), { height: h, index }, `tx index ${h}/${index}`);
      assert.deepEqual(receipts[index], executed.receipts[index]);
      const history = store.getAccountHistory(tx.from, { limit: 100 }).items;
      assert.ok(
        history.some((item) => item.height === h && item.index === index),
        `history of sender misses ${h}/${index}`,
      );
      touched.set(toHex(tx.from), tx.from);
      touched.set(toHex(tx.to), tx.to);
    });
    parentHash = hash;
  }
  assert.ok(equalBytes(parentHash, head.hash), 'head hash');
  // Committed state equals the replayed state, and the stored tree is exactly the replayed one.
  for (const address of touched.values())
    assert.deepEqual(store.getAccount(address), view.state.getAccount(address));
  assert.ok(equalBytes(rootOf(store), store.getBlock(head.height)!.header.stateRoot), 'stored tree root');
  assert.equal(store.treeNodeCount(), tree.size, 'stored tree has no stale or missing nodes');
}

describe('store durability under SIGKILL', () => {
  it('keeps every acknowledged block, its state and its indexes, across two crashes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-crash-'));
    try {
      const genesisHash = fixtureGenesis(testSecrets(40)).hash;
      const first = await runAndKill(dir, 6);
      let store = LedgerStore.open(dir, genesisHash);
      checkConsistent(store, first);
      await store.close();
      // The restarted child continues from the reopened head; kill it again.
      const second = await runAndKill(dir, 4);
      assert.ok(second > first);
      store = LedgerStore.open(dir, genesisHash);
      checkConsistent(store, second);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
