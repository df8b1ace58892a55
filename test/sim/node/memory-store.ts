/**
 * The ledger store in memory, on simulated time: the ChainStore (src/store/interface.ts)
 * the node's block application commits through, for the composed simulator.
 *
 * Why memory and not lmdb in a temp dir: an lmdb write completes on real I/O, so when its
 * promise settles relative to the simulator's events would depend on the machine, and
 * a run would no longer be a function of its seed. Here a commit lands when the
 * simulator's event heap says so (`scheduleFlush`), and a crash loses exactly the commits
 * queued but not landed, as lmdb loses an unflushed batch.
 *
 * Two parts, as a process and its disk: `MemoryDisk` holds what is durable and survives a
 * crash; `MemoryChainStore` is one boot's open store over it (its queue of commits in
 * flight dies with the boot).
 */

import type { GenesisBlock } from '../../../src/chain/index.js';
import { encodeBlock } from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import { equalBytes, toHex } from '../../../src/crypto/bytes.js';
import type { Address } from '../../../src/crypto/keys.js';
import type { Account } from '../../../src/state/index.js';
import {
  type BlockCommit,
  type ChainStore,
  genesisCommitOf,
  type Head,
  StoreError,
  type TxLocation,
} from '../../../src/store/index.js';

/** Tree node keys as strings (latin1: one char per byte, no hex cost). */
function nodeKeyOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** What one node has made durable: survives its crashes. */
export class MemoryDisk {
  readonly blocks: Block[] = [];
  readonly blockBytes: Uint8Array[] = [];
  readonly commitQcs: Array<Uint8Array | undefined> = [];
  readonly heightById = new Map<string, number>();
  readonly txs = new Map<string, TxLocation>();
  readonly accounts = new Map<string, Account>();
  readonly tree = new Map<string, Uint8Array>();
  head: Head | undefined;

  static withGenesis(genesis: GenesisBlock): MemoryDisk {
    const disk = new MemoryDisk();
    disk.apply(genesisCommitOf(genesis));
    return disk;
  }

  /** Writes one commit whole (the simulator's flush calls it for each landed commit). */
  apply(commit: BlockCommit): void {
    const { block, hash } = commit;
    const height = block.header.height;
    this.blocks[height] = block;
    this.blockBytes[height] = encodeBlock(block);
    this.commitQcs[height] = commit.commitQc;
    this.heightById.set(toHex(hash), height);
    commit.receipts.forEach((r, index) => {
      this.txs.set(toHex(r.txHash), { height, index });
    });
    for (const change of commit.accounts)
      this.accounts.set(toHex(change.address), {
        balance: change.account.balance,
        nonce: change.account.nonce,
      });
    for (const key of commit.tree.deletes) this.tree.delete(nodeKeyOf(key));
    // copies: the caller's buffers are not ours to keep
    for (const [key, value] of commit.tree.puts) this.tree.set(nodeKeyOf(key), value.slice());
    this.head = { height, hash: hash.slice() };
  }
}

export interface MemoryChainStoreComponents {
  disk: MemoryDisk;
  /**
   * Asks the simulator to call `flush` once, at a later virtual time: every commit queued by
   * then lands. The simulator does not call it after the node crashed.
   */
  scheduleFlush(flush: () => void): void;
  /** Called after commits land, with the new durable head. */
  onLanded?: (head: Head) => void;
}

interface QueuedCommit {
  commit: BlockCommit;
  landed: () => void;
}

export class MemoryChainStore implements ChainStore {
  readonly provableHistoryBlocks = 0;
  /** The head once every queued commit lands; commits are checked against it. */
  private tail: Head;
  private queued: QueuedCommit[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly c: MemoryChainStoreComponents) {
    const head = c.disk.head;
    if (!head) throw new StoreError('NOT_INITIALISED', 'the store holds no genesis block yet');
    this.tail = head;
  }

  /** The boot is over: commits still queued never land and their promises never settle. */
  crash(): void {
    this.closed = true;
    this.queued = [];
  }

  /** Commits queued and not landed yet (the write pipeline's depth). */
  queuedCommits(): number {
    return this.queued.length;
  }

  head(): Head {
    return this.c.disk.head as Head;
  }

  getBlock(height: number): Block | undefined {
    return this.c.disk.blocks[height];
  }

  getBlockByHash(hash: Uint8Array): Block | undefined {
    const height = this.c.disk.heightById.get(toHex(hash));
    return height === undefined ? undefined : this.c.disk.blocks[height];
  }

  getBlockBytes(height: number): Uint8Array | undefined {
    return this.c.disk.blockBytes[height];
  }

  getBlockBytesByHash(hash: Uint8Array): Uint8Array | undefined {
    const height = this.c.disk.heightById.get(toHex(hash));
    return height === undefined ? undefined : this.c.disk.blockBytes[height];
  }

  getCommitQc(height: number): Uint8Array | undefined {
    return this.c.disk.commitQcs[height];
  }

  getTxLocation(txHash: Uint8Array): TxLocation | undefined {
    return this.c.disk.txs.get(toHex(txHash));
  }

  getAccount(address: Address): Account | undefined {
    const account = this.c.disk.accounts.get(toHex(address));
    return account && { balance: account.balance, nonce: account.nonce };
  }

  getNode(nodeKey: Uint8Array): Uint8Array | undefined {
    return this.c.disk.tree.get(nodeKeyOf(nodeKey));
  }

  commitBlock(commit: BlockCommit): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'the store is closed'));
    const { header } = commit.block;
    if (header.height !== this.tail.height + 1 || !equalBytes(header.parentHash, this.tail.hash))
      return Promise.reject(
        new StoreError(
          'NOT_NEXT_BLOCK',
          `block ${header.height} does not extend head ${this.tail.height} (${toHex(this.tail.hash)})`,
        ),
      );
    this.tail = { height: header.height, hash: commit.hash.slice() };
    return new Promise((landed) => {
      this.queued.push({ commit, landed });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        this.c.scheduleFlush(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    const batch = this.queued;
    this.queued = [];
    for (const q of batch) this.c.disk.apply(q.commit);
    if (batch.length > 0) this.c.onLanded?.(this.head());
    for (const q of batch) q.landed();
  }
}
