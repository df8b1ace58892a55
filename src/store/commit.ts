/**
 * Building a BlockCommit from what the executor holds: the executed block, the transfers it
 * ran (signed fields, senders recovered once) and the state it ran on, which tells which of
 * the changed accounts the block created (the running total behind /stats).
 */
import type { ExecutedBlock, GenesisBlock } from '../chain/index.js';
import type { Block } from '../chain/types.js';
import type { TreeReader } from '../commitment/index.js';
import { ACCOUNT_BYTES, writeAccount } from '../state/accounts.js';
import type { Account, AccountChange, AccountReader } from '../state/index.js';
import type { IndexedTransfer } from './codec.js';
import type { BlockCommit, StoredCommitProofPoint } from './store.js';
import type { UndoEntry } from './undo.js';

/** The account before the block (null: absent): recorded by applyBlock, else read from `before`. */
function accountBefore(before: AccountReader, change: AccountChange): Account | null {
  return change.before !== undefined ? change.before : (before.getAccount(change.address) ?? null);
}

/** Changed accounts that `before` (the state the block executed on) does not hold. */
export function countCreatedAccounts(before: AccountReader, changes: readonly AccountChange[]): number {
  let created = 0;
  for (let i = 0; i < changes.length; i++) if (accountBefore(before, changes[i]) === null) created++;
  return created;
}

export interface ExecutedCommitInput {
  block: Block;
  hash: Uint8Array;
  executed: Pick<ExecutedBlock, 'receipts' | 'burned' | 'accountChanges' | 'treeUpdate'> &
    Partial<Pick<ExecutedBlock, 'treeReads'>>;
  /** The block's transfers in block order, as executed. */
  transfers: readonly IndexedTransfer[];
  /** The state the block executed on (its parent's). */
  before: AccountReader;
  /**
   * The account tree the block executed on (its parent's): with it the commit records what
   * the block replaced, so accounts stay provable at the heights below it (store options).
   */
  beforeTree?: TreeReader;
  commitQc?: Uint8Array;
  /** The block's child and the child's QC, when the block ends a committed run. */
  commitProof?: StoredCommitProofPoint;
}

export function blockCommitOf(input: ExecutedCommitInput): BlockCommit {
  const { executed } = input;
  return {
    block: input.block,
    hash: input.hash,
    receipts: executed.receipts,
    accounts: executed.accountChanges,
    tree: executed.treeUpdate,
    ...(input.commitQc ? { commitQc: input.commitQc } : {}),
    ...(input.commitProof ? { commitProof: input.commitProof } : {}),
    transfers: input.transfers,
    burned: executed.burned,
    createdAccounts: countCreatedAccounts(input.before, executed.accountChanges),
    ...(input.beforeTree ? { undo: undoOf(input.before, input.beforeTree, executed) } : {}),
  };
}

/** What the block replaces: the parent's value of every node and account it changes. */
function undoOf(
  before: AccountReader,
  beforeTree: TreeReader,
  executed: ExecutedCommitInput['executed'],
): NonNullable<BlockCommit['undo']> {
  // The update read every node it replaced (the values are the reader's, never mutated);
  // a node it did not read is new, or read here to be sure.
  const reads = executed.treeReads;
  const valueBefore = (key: Uint8Array): Uint8Array | undefined => {
    if (reads) {
      const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
      if (reads.has(id)) return reads.get(id);
    }
    return beforeTree.getNode(key);
  };
  const nodes: UndoEntry[] = [];
  // with the value written, so that a node the block rewrote is recorded as a word diff
  for (const [key, value] of executed.treeUpdate.puts) nodes.push([key, valueBefore(key), value]);
  for (const key of executed.treeUpdate.deletes) nodes.push([key, valueBefore(key)]);
  // the accounts' values before the block, packed into one buffer
  const changes = executed.accountChanges;
  const values = new Uint8Array(ACCOUNT_BYTES * changes.length);
  const valuesView = new DataView(values.buffer);
  const accounts: UndoEntry[] = new Array(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const account = accountBefore(before, changes[i]);
    const at = i * ACCOUNT_BYTES;
    if (account !== null) writeAccount(valuesView, at, account);
    accounts[i] = [
      changes[i].address,
      account === null ? undefined : values.subarray(at, at + ACCOUNT_BYTES),
    ];
  }
  return { nodes, accounts };
}

/** The genesis block's commit: every allocation creates its account. */
export function genesisCommitOf(genesis: GenesisBlock): BlockCommit {
  return {
    block: genesis.block,
    hash: genesis.hash,
    receipts: [],
    accounts: genesis.accountChanges,
    tree: genesis.treeUpdate,
    transfers: [],
    burned: 0n,
    createdAccounts: genesis.accountChanges.length,
  };
}
