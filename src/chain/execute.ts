/**
 * Block execution: the account-state machine (src/state) followed by the account-tree
 * update (src/commitment). Pure: reads go through AccountReader / TreeReader views and the
 * result is an overlay, so a validator can execute a proposal speculatively on top of
 * uncommitted ancestors and hand the very same result to the store when it commits.
 */
import { accountKey, type TreeReader, type TreeUpdate, updateTree } from '../commitment/index.js';
import { encodeAccount } from '../state/accounts.js';
import {
  type AccountChange,
  AccountState,
  applyBlock,
  type ExecutableBlock,
  type Receipt,
  type StateParams,
} from '../state/index.js';

/** State and tree as of one block: what the next block executes on. */
export interface LedgerView {
  state: AccountState;
  tree: TreeReader;
}

export interface ExecutedBlock extends LedgerView {
  stateRoot: Uint8Array;
  receipts: Receipt[];
  burned: bigint;
  /** Final value of every account the block changed. */
  accountChanges: AccountChange[];
  treeUpdate: TreeUpdate;
}

function nodeId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** A TreeReader that sees `update` applied over `base` without writing anything. */
export function overlayTree(base: TreeReader, update: TreeUpdate): TreeReader {
  const puts = new Map<string, Uint8Array>();
  for (const [key, value] of update.puts) puts.set(nodeId(key), value);
  const deleted = new Set(update.deletes.map(nodeId));
  return {
    getNode(key: Uint8Array): Uint8Array | undefined {
      const id = nodeId(key);
      const put = puts.get(id);
      if (put) return put;
      return deleted.has(id) ? undefined : base.getNode(key);
    },
  };
}

/** Executes `block` on `parent`; throws StateTransitionError when a transaction is invalid. */
export function executeBlock(parent: LedgerView, block: ExecutableBlock, params: StateParams): ExecutedBlock {
  const outcome = applyBlock(parent.state, block, params);
  const accountChanges = [...outcome.state.ownChanges().values()];
  const treeUpdate = updateTree(
    parent.tree,
    accountChanges.map((c) => ({ keyHash: accountKey(c.address), value: encodeAccount(c.account) })),
  );
  return {
    state: outcome.state,
    tree: overlayTree(parent.tree, treeUpdate),
    stateRoot: treeUpdate.root,
    receipts: outcome.receipts,
    burned: outcome.burned,
    accountChanges,
    treeUpdate,
  };
}

/** The view of committed data: state and tree read straight from the store. */
export function committedView(store: {
  getAccount: AccountState['getAccount'];
  getNode: TreeReader['getNode'];
}): LedgerView {
  return { state: AccountState.over(store), tree: store };
}

/**
 * Re-layers executed blocks whose commits are still in flight directly over the committed
 * view (oldest first), so the chain of speculative overlays is only as deep as the
 * commit pipeline. Sound whether or not the store has already written some of them: each
 * overlay holds its block's own writes, which are the same either way.
 */
export function rebase(committed: LedgerView, ...pending: readonly ExecutedBlock[]): LedgerView {
  let view = committed;
  for (const executed of pending) {
    view = {
      state: view.state.withChanges(executed.state.ownChanges()),
      tree: overlayTree(view.tree, executed.treeUpdate),
    };
  }
  return view;
}
