/**
 * Block execution: the account-state machine (src/state) followed by the account-tree
 * update (src/commitment). Pure: reads go through AccountReader / TreeReader views and the
 * result is an overlay, so a validator can execute a proposal speculatively on top of
 * uncommitted ancestors and hand the very same result to the store when it commits.
 */
import {
  accountKeys,
  overlayTree,
  type TreeChange,
  type TreeReader,
  type TreeUpdate,
  updateTree,
} from '../commitment/index.js';
import { equalBytes } from '../crypto/bytes.js';
import { ACCOUNT_BYTES, writeAccount } from '../state/accounts.js';
import {
  type AccountChange,
  AccountState,
  applyBlock,
  type ExecutableBlock,
  type Receipt,
  type StateParams,
} from '../state/index.js';
import { ChainError } from './errors.js';
import { receiptsRoot } from './receipts.js';
import type { BlockHeader } from './types.js';

/** A TreeReader that sees a TreeUpdate applied over another reader (src/commitment/overlay.ts). */
export { overlayTree };

/** State and tree as of one block: what the next block executes on. */
export interface LedgerView {
  state: AccountState;
  tree: TreeReader;
}

export interface ExecutedBlock extends LedgerView {
  stateRoot: Uint8Array;
  receipts: Receipt[];
  /** The receipts' root (receipts.ts): what the block's header must carry. */
  receiptsRoot: Uint8Array;
  burned: bigint;
  /** Final value of every account the block changed. */
  accountChanges: AccountChange[];
  treeUpdate: TreeUpdate;
  /**
   * The stored value of every tree node the update read (undefined: absent), by node key in
   * latin1: what the block replaced, which the store records for account proofs at recent
   * heights (src/store undo.ts) without reading the nodes a second time.
   */
  treeReads: ReadonlyMap<string, Uint8Array | undefined>;
}

// One scratch buffer for node keys handed to a reader without the string fast path: the
// reader must not keep the key (TreeReader.getNode).
const keyScratch = new Uint8Array(64);

/** `tree`, recording each node read into `reads`. */
function recordingReader(tree: TreeReader, reads: Map<string, Uint8Array | undefined>): TreeReader {
  return {
    getNode(nodeKey) {
      const value = tree.getNode(nodeKey);
      reads.set(
        Buffer.from(nodeKey.buffer, nodeKey.byteOffset, nodeKey.byteLength).toString('latin1'),
        value,
      );
      return value;
    },
    getNodeById(id) {
      let value: Uint8Array | undefined;
      if (tree.getNodeById) value = tree.getNodeById(id);
      else {
        for (let i = 0; i < id.length; i++) keyScratch[i] = id.charCodeAt(i);
        value = tree.getNode(keyScratch.subarray(0, id.length));
      }
      reads.set(id, value);
      return value;
    },
  };
}

/** Executes `block` on `parent`; throws StateTransitionError when a transaction is invalid. */
export function executeBlock(parent: LedgerView, block: ExecutableBlock, params: StateParams): ExecutedBlock {
  const outcome = applyBlock(parent.state, block, params);
  const accountChanges = [...outcome.state.ownChanges().values()];
  // Keys and values of the changed accounts, packed into one buffer each.
  const keyHashes = accountKeys(accountChanges.map((c) => c.address));
  const values = new Uint8Array(ACCOUNT_BYTES * accountChanges.length);
  const valueView = new DataView(values.buffer);
  const changes = accountChanges.map((c, i): TreeChange => {
    const at = i * ACCOUNT_BYTES;
    writeAccount(valueView, at, c.account);
    return { keyHash: keyHashes[i], value: values.subarray(at, at + ACCOUNT_BYTES) };
  });
  const treeReads = new Map<string, Uint8Array | undefined>();
  const treeUpdate = updateTree(recordingReader(parent.tree, treeReads), changes);
  return {
    state: outcome.state,
    tree: overlayTree(parent.tree, treeUpdate),
    stateRoot: treeUpdate.root,
    receipts: outcome.receipts,
    receiptsRoot: receiptsRoot(outcome.receipts),
    burned: outcome.burned,
    accountChanges,
    treeUpdate,
    treeReads,
  };
}

/**
 * What a header commits to about its execution: the state root and the receipts root. A
 * block whose header differs from its execution in either is invalid, however certified.
 */
export function checkExecution(
  header: Pick<BlockHeader, 'stateRoot' | 'receiptsRoot'>,
  executed: Pick<ExecutedBlock, 'stateRoot' | 'receiptsRoot'>,
): void {
  if (!equalBytes(executed.stateRoot, header.stateRoot))
    throw new ChainError('BAD_STATE_ROOT', 'stateRoot does not match the execution');
  if (!equalBytes(executed.receiptsRoot, header.receiptsRoot))
    throw new ChainError('BAD_RECEIPTS_ROOT', 'receiptsRoot does not match the receipts');
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
