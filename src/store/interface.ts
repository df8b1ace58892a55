/**
 * What the node's block application reads of the committed chain and how it extends it:
 * the part of the ledger store that consensus needs. LedgerStore (lmdb) implements it for
 * the node; the simulator implements it in memory on simulated time (test/sim/node/), so
 * the same application runs in both.
 */
import type { Block } from '../chain/types.js';
import type { TreeReader } from '../commitment/index.js';
import type { AccountReader } from '../state/index.js';
import type { BlockCommit, Head, TxLocation } from './store.js';

export interface ChainStore extends AccountReader, TreeReader {
  /** Committed heights below the head at which accounts stay provable (0: no undo records). */
  readonly provableHistoryBlocks: number;
  /** The last block whose commit is durable. */
  head(): Head;
  getBlock(height: number): Block | undefined;
  getBlockByHash(hash: Uint8Array): Block | undefined;
  /** The stored canonical encoding of a committed block, by id. */
  getBlockBytesByHash(hash: Uint8Array): Uint8Array | undefined;
  getTxLocation(txHash: Uint8Array): TxLocation | undefined;
  /**
   * Commits the next block atomically; resolves once durable. Calls may overlap (the next
   * block's execution runs beside the write): commits land in call order, each checked
   * against the one queued before it, and after a failed one every later one fails.
   */
  commitBlock(commit: BlockCommit): Promise<void>;
}
