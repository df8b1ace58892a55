/**
 * The consensus driver's BlockApplication in the real node: it builds payloads from the
 * mempool, validates proposed blocks by executing them speculatively, and commits blocks
 * through the ledger store's one atomic commit.
 *
 * Views. Every block this node has executed is cached with its speculative view (state +
 * tree as of that block). A child executes on its parent's view; the committed tip's view
 * is `committed`. When a commit becomes durable, the cached views are re-layered over the
 * store (`rebase`), so overlay chains stay as deep as the uncommitted chain.
 *
 * Verify once: a proposed block's transactions are taken from the mempool's admitted
 * copies (`lookupVerified`) when pending; only unknown ones are decoded and recovered.
 */
import {
  checkExecution,
  commitProofPoints,
  committedView,
  type ExecutedBlock,
  executeBlock,
  hashHeader,
  type LedgerView,
  merkleRoot,
  overlayTree,
  validateBlockAgainstParent,
} from '../chain/index.js';
import type { Block, BlockHeader } from '../chain/types.js';
import {
  type BlockApplication,
  type CertifiedBlock,
  type CommitProofOf,
  type CommittedBlock,
  encodeQc,
  type Payload,
  type PayloadCheck,
  type PayloadRequest,
  type QuorumCertificate,
} from '../consensus/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { Mempool } from '../mempool/index.js';
import type { BlockObserver, CommitSource } from '../metrics/index.js';
import type { AccountReader, Receipt, StateParams } from '../state/index.js';
import {
  blockCommitOf,
  type ChainStore,
  MAX_COMMIT_PROOF_HEADERS,
  type StoredCommitProofPoint,
} from '../store/index.js';
import type { SyncBase, VerifiedBlock } from '../sync/index.js';
import type { Clock, Timer } from '../time/index.js';
import { decodeTransfer, type VerifiedTransfer } from '../tx/index.js';
import { NodeError } from './errors.js';
import type { NodeLogger } from './logger.js';

interface Executed {
  id: string;
  parentId: string;
  height: number;
  /** The block's header, once the block is known by id (a payload built here has none yet). */
  header?: BlockHeader;
  executed: ExecutedBlock;
  /** The transfers it executed, in block order (their fields go into the store's tx records). */
  transfers: readonly VerifiedTransfer[];
  /** The executed block's state as of this block, re-layered as ancestors become durable. */
  view: LedgerView;
  /** When this node began to build or execute it (the observer's clock): commit latency. */
  seenAtMs?: number;
}

export interface ApplicationComponents {
  /** The committed chain: the lmdb LedgerStore in the node, an in-memory one in the simulator. */
  store: ChainStore;
  /**
   * Builds the mempool over the application's committed accounts (the mempool checks
   * nonces and balances against them; the application builds payloads from it), so neither
   * is ever seen half-wired.
   */
  createMempool: (committedAccounts: AccountReader) => Mempool;
  params: StateParams;
  limits: { chainId: bigint; maxBlockTxs: number; maxBlockBytes: number };
  /** This validator's address: the proposer of the blocks it builds. */
  proposer: Uint8Array;
  /** Bytes the header and its QC take in a block (selectForBlock's reservedBytes). */
  headerReserveBytes: number;
  /** After an empty block, wait up to this long for transactions before building another. */
  emptyBlockDelayMs?: number;
  /** Timestamps of proposals this far ahead of local time are refused. */
  maxClockSkewMs: number;
  /** Block timestamps and the empty-block wait. */
  clock: Clock;
  logger: NodeLogger;
  /** A commit could not be made durable, or diverged: the node must stop. */
  onFatal: (err: Error) => void;
  /** Called after each block is handed to the store (not yet durable). */
  onCommitted?: (block: Block, hash: Uint8Array) => void;
  /** Times execution, commits and store writes (src/metrics); default: nothing is timed. */
  blocks?: BlockObserver;
}

const UNOBSERVED: BlockObserver = {
  nowMs: () => 0,
  blockExecuted() {},
  blockCommitted() {},
  blockStored() {},
};

/** A block handed to the store whose write has not landed yet. */
interface CommittingBlock {
  hash: Uint8Array;
  header: BlockHeader;
  transfers: readonly VerifiedTransfer[];
  receipts: readonly Receipt[];
}

interface CommittingTx {
  height: number;
  index: number;
  block: CommittingBlock;
}

/** A committed transaction whose block's store write is in flight: what its record will hold. */
export interface InFlightTx {
  height: number;
  index: number;
  blockHash: Uint8Array;
  timestampMs: number;
  transfer: VerifiedTransfer;
  receipt: Receipt;
}

/**
 * Cache key of an execution result: what determines it (parent, txs, proposer via the
 * root) and what the header claims of it, so a header that copies a built payload's roots
 * but not its receiptsRoot misses the cache and fails execution's check.
 */
function payloadKey(
  parentId: Uint8Array,
  txRoot: Uint8Array,
  stateRoot: Uint8Array,
  receiptsRoot: Uint8Array,
): string {
  return `${toHex(parentId)}:${toHex(txRoot)}:${toHex(stateRoot)}:${toHex(receiptsRoot)}`;
}

export class LedgerApplication implements BlockApplication {
  private readonly storeView: LedgerView;
  /** The committed tip's view (an overlay while its store write is in flight). */
  private committed: LedgerView;
  private committedId: string;
  private committedHeight: number;
  private committedHeader: BlockHeader;
  /** The durable head as far as this application knows. */
  private durableHeight: number;
  private readonly byId = new Map<string, Executed>();
  private readonly byPayload = new Map<string, Executed>();
  private inFlight: Promise<void> = Promise.resolve();
  /** Transactions of committed blocks whose store write is still in flight. */
  private readonly committingTxs = new Map<string, CommittingTx>();
  /** Committed blocks handed to the store and not yet durable, oldest first. */
  private readonly undurable: Block[] = [];
  private failed = false;
  private stopped = false;
  private pollTimer: Timer | undefined;
  /**
   * A payload request whose parent this node has not executed yet. The QC of a block can
   * reach the next leader before the block does (votes travel direct, proposals by
   * gossip): the core then asks for a payload on the block and, in the same step, for its
   * validation. The request waits here for that execution instead of being dropped, which
   * cost the round (two timeouts, 1.2 s at 400 ms base, every few seconds under load).
   */
  private awaitingParent: { request: PayloadRequest; ready: (payload: Payload) => void } | undefined;
  /** Reads the committed state as it is now (the mempool's AccountReader). */
  readonly committedAccounts: AccountReader;
  /** The pending transactions blocks are built from (created by createMempool). */
  readonly mempool: Mempool;
  private readonly observer: BlockObserver;

  constructor(private readonly c: ApplicationComponents) {
    this.observer = c.blocks ?? UNOBSERVED;
    this.storeView = committedView(c.store);
    this.committed = this.storeView;
    const head = c.store.head();
    this.committedId = toHex(head.hash);
    this.committedHeight = head.height;
    this.committedHeader = c.store.getBlock(head.height)!.header;
    this.durableHeight = head.height;
    this.committedAccounts = { getAccount: (a) => this.committed.state.getAccount(a) };
    this.mempool = c.createMempool(this.committedAccounts);
  }

  /** Stops building payloads (shutdown); commits already issued still land. */
  stop(): void {
    this.stopped = true;
    this.pollTimer?.cancel();
    this.pollTimer = undefined;
    this.awaitingParent = undefined;
  }

  /**
   * Committed blocks the store has not made durable yet, oldest first. The core's safety
   * data keeps only the blocks above its committed tip: when the store's write of a
   * committed block then fails (a full disk), the restarted node finds its store's head
   * below the safety data's blocks, a gap that a lone validator, or a network that
   * stopped whole, can never fill. `withUndurableBlocks` keeps them in the safety data.
   */
  undurableBlocks(): readonly Block[] {
    return this.undurable;
  }

  /** Resolves once every commit issued so far is durable (or has failed). */
  async drained(): Promise<void> {
    await this.inFlight.catch(() => {});
  }

  committedTip(): { height: number; id: string } {
    return { height: this.committedHeight, id: this.committedId };
  }

  // ---------------------------------------------------------------- BlockApplication

  buildPayload(request: PayloadRequest, ready: (payload: Payload) => void): void {
    if (this.failed) return;
    // A newer request supersedes any older one, waiting or polling.
    this.awaitingParent = undefined;
    this.pollTimer?.cancel();
    this.pollTimer = undefined;
    // An idle chain does not spin: after an empty block, wait a little for transactions.
    const delayMs = this.c.emptyBlockDelayMs ?? 0;
    if (delayMs > 0 && request.parent.transactions.length === 0 && this.mempool.size() === 0) {
      const deadline = this.c.clock.nowMs() + delayMs;
      const poll = () => {
        this.pollTimer = undefined;
        if (this.failed || this.stopped) return;
        if (this.mempool.size() > 0 || this.c.clock.nowMs() >= deadline) this.build(request, ready);
        else this.pollTimer = this.c.clock.setTimeout(poll, 10);
      };
      poll();
      return;
    }
    this.build(request, ready);
  }

  private build(request: PayloadRequest, ready: (payload: Payload) => void): void {
    const parentView =
      this.viewOf(request.parentId, request.parent) ??
      this.executeLineage(request.ancestors, request.parent, request.parentId);
    if (!parentView) {
      this.c.logger.debug(
        { round: request.round, parent: toHex(request.parentId) },
        'payload waits for its parent',
      );
      this.awaitingParent = { request, ready };
      return;
    }
    const seenAtMs = this.observer.nowMs();
    const txs = this.mempool.selectForBlock({
      state: parentView.state,
      reservedBytes: this.c.headerReserveBytes,
      maxTxs: this.c.limits.maxBlockTxs,
      maxBytes: this.c.limits.maxBlockBytes,
    });
    const executedAtMs = this.observer.nowMs();
    const executed = executeBlock(
      parentView,
      { proposer: this.c.proposer, transactions: txs },
      this.c.params,
    );
    this.observer.blockExecuted('build', this.observer.nowMs() - executedAtMs);
    const txRoot = merkleRoot(txs.map((t) => t.hash));
    const height = request.height;
    this.remember(
      payloadKey(request.parentId, txRoot, executed.stateRoot, executed.receiptsRoot),
      undefined,
      request.parentId,
      height,
      { executed, transfers: txs, seenAtMs },
      parentView,
    );
    ready({
      parentId: request.parentId,
      transactions: txs.map((t) => t.raw),
      txRoot,
      stateRoot: executed.stateRoot,
      receiptsRoot: executed.receiptsRoot,
      timestampMs: this.c.clock.nowMs(),
    });
  }

  validatePayload(check: PayloadCheck, done: (valid: boolean) => void): void {
    if (this.failed) return;
    const { block } = check;
    try {
      this.execute(check);
      done(true);
      this.buildAwaitingPayload();
    } catch (err) {
      this.c.logger.warn(
        { height: block.header.height, round: block.header.round, err: (err as Error).message },
        'invalid proposed block',
      );
      done(false);
    }
  }

  /**
   * Executes the certified chain from the committed tip up to `parent`, where this node has
   * not executed it: the core asks to build on or validate a child of blocks that arrived
   * as the answers to fetches, or after a restart, when this application holds only the
   * committed tip. Undefined when the chain does not start at the committed tip or a block
   * in it does not execute (nothing can be built on it).
   */
  private executeLineage(
    ancestors: readonly CertifiedBlock[],
    parent: Block,
    parentId: Uint8Array,
  ): LedgerView | undefined {
    let view: LedgerView | undefined;
    let header: BlockHeader | undefined;
    for (const link of [...ancestors, { id: parentId, block: parent }]) {
      const h = link.block.header;
      if (h.height <= this.committedHeight) continue; // committed here since the core asked
      const known = this.viewOf(link.id, link.block);
      if (known) {
        view = known;
        header = h;
        continue;
      }
      if (!view || !header) {
        // the first link not executed here: its parent is the committed tip or executed
        const parentId = toHex(h.parentHash);
        header = parentId === this.committedId ? this.committedHeader : this.byId.get(parentId)?.header;
        view = this.viewOf(h.parentHash);
        if (!view || !header) return undefined;
      }
      try {
        const hashes = validateBlockAgainstParent(link.block, header, this.c.limits);
        view = this.run(link.block, link.id, view, hashes).view;
        header = h;
      } catch (err) {
        this.c.logger.warn(
          { height: h.height, err: (err as Error).message },
          'certified block does not execute',
        );
        return undefined;
      }
    }
    return view;
  }

  /** Builds the waiting payload request once its parent has a view (dropped once stale). */
  private buildAwaitingPayload(): void {
    const waiting = this.awaitingParent;
    if (!waiting || this.stopped) return;
    if (waiting.request.height <= this.committedHeight) {
      this.awaitingParent = undefined; // its height is taken: the round is long over
      return;
    }
    const { parentId, parent, ancestors } = waiting.request;
    if (!this.viewOf(parentId, parent) && !this.executeLineage(ancestors, parent, parentId)) return;
    this.awaitingParent = undefined;
    this.build(waiting.request, waiting.ready);
  }

  commit(blocks: CommittedBlock[], certificate: QuorumCertificate, proof?: CommitProofOf): void {
    if (this.failed) return;
    // What proves each block committed from the run itself and the 2-chain that committed
    // it: the store writes it in the block's own batch, so a proof of commit is servable as
    // soon as that block's commit returns, before the rest of the run lands.
    const qcs = blocks.map((_, i) =>
      i + 1 < blocks.length ? blocks[i + 1].block.header.parentQc : encodeQc(certificate),
    );
    const last = blocks.at(-1);
    const tail =
      last && proof && equalBytes(proof.child.parentHash, last.id)
        ? { child: proof.child, childQc: encodeQc(proof.childQc) }
        : undefined;
    const points = commitProofPoints(
      blocks.map((b) => b.block.header),
      qcs,
      tail,
      MAX_COMMIT_PROOF_HEADERS,
    );
    blocks.forEach(({ id, block }, i) => {
      if (this.failed) return;
      const idHex = toHex(id);
      if (block.header.height <= this.committedHeight) return;
      let entry = this.entryOf(id, block);
      // a block first executed now, at its commit, has no latency this node could measure
      let seenAtMs = entry?.seenAtMs;
      try {
        if (!entry || entry.parentId !== this.committedId) {
          entry = this.executeOnCommitted(block, id);
          seenAtMs = undefined;
        }
      } catch (err) {
        this.fail(
          new NodeError(
            'STATE_DIVERGED',
            `committed block ${block.header.height} (${idHex}) does not execute: ${(err as Error).message}`,
          ),
        );
        return;
      }
      const latencyMs = seenAtMs === undefined ? undefined : this.observer.nowMs() - seenAtMs;
      this.commitEntry(block, id, entry, qcs[i], 'consensus', latencyMs, points[i]);
    });
    this.prune();
    this.buildAwaitingPayload(); // a committed block executed here may be the awaited parent
  }

  /** Hands one executed block on the committed tip to the store and moves the tip. */
  private commitEntry(
    block: Block,
    id: Uint8Array,
    entry: Executed,
    commitQc: Uint8Array,
    source: CommitSource,
    latencyMs: number | undefined,
    commitProof?: StoredCommitProofPoint,
  ): void {
    const idHex = toHex(id);
    const { executed } = entry;
    const writeAtMs = this.observer.nowMs();
    // the entry extends the committed tip: what the tip's state lacks, the block created
    const write = this.c.store.commitBlock(
      blockCommitOf({
        block,
        hash: id,
        executed,
        transfers: entry.transfers,
        before: this.committed.state,
        // what the block replaces, unless the store keeps no history for account proofs
        ...(this.c.store.provableHistoryBlocks > 0 ? { beforeTree: this.committed.tree } : {}),
        commitQc,
        ...(commitProof ? { commitProof } : {}),
      }),
    );
    this.committed = entry.view;
    this.committedId = idHex;
    this.committedHeight = block.header.height;
    this.committedHeader = block.header;
    this.undurable.push(block);
    const height = block.header.height;
    this.inFlight = write.then(
      () => {
        this.observer.blockStored(this.observer.nowMs() - writeAtMs);
        this.onDurable(height, idHex);
      },
      (err) =>
        this.fail(
          new NodeError('STORAGE_FAILURE', `commit of block ${height} failed: ${(err as Error).message}`, {
            cause: err,
          }),
        ),
    );
    const inFlight: CommittingBlock = {
      hash: id,
      header: block.header,
      transfers: entry.transfers,
      receipts: executed.receipts,
    };
    const committed = executed.receipts.map((r, index) => {
      const key = toHex(r.txHash);
      this.committingTxs.set(key, { height, index, block: inFlight });
      return { hash: r.txHash, from: r.from, key };
    });
    this.mempool.onCommit(committed, this.committedAccounts);
    this.observer.blockCommitted(source, block.transactions.length, latencyMs);
    this.c.onCommitted?.(block, id);
  }

  // ---------------------------------------------------------------- block sync (src/sync)

  /** The committed tip as block sync extends it: header, id and state view. */
  syncTip(): SyncBase {
    return {
      header: this.committedHeader,
      id: Buffer.from(this.committedId.slice(2), 'hex'),
      view: this.committed,
    };
  }

  /** Commits a block sync verified and executed on `syncTip()` (with its verified QC). */
  commitSynced(v: VerifiedBlock): void {
    if (this.failed) return;
    const h = v.block.header;
    if (h.height !== this.committedHeight + 1 || toHex(h.parentHash) !== this.committedId) {
      this.c.logger.warn({ height: h.height }, 'synced block does not extend the committed tip');
      return;
    }
    const entry = this.remember(
      payloadKey(h.parentHash, h.txRoot, h.stateRoot, h.receiptsRoot),
      v.id,
      h.parentHash,
      h.height,
      { executed: v.executed, transfers: v.transfers },
      this.committed,
      h,
    );
    this.commitEntry(v.block, v.id, entry, v.commitQc, 'sync', undefined, v.commitProof);
    this.prune();
  }

  /** Location of a committed transaction, durable or still being written. */
  txLocation(hash: Uint8Array): { height: number; index: number } | undefined {
    const committing = this.committingTxs.get(toHex(hash));
    if (committing) return { height: committing.height, index: committing.index };
    return this.c.store.getTxLocation(hash);
  }

  /**
   * A committed transaction whose block's store write is still in flight: it has left the
   * mempool and its record is not in the store yet (the explorer shows it committed).
   */
  inFlightTx(hash: Uint8Array): InFlightTx | undefined {
    const c = this.committingTxs.get(toHex(hash));
    if (!c) return undefined;
    return {
      height: c.height,
      index: c.index,
      blockHash: c.block.hash,
      timestampMs: c.block.header.timestampMs,
      transfer: c.block.transfers[c.index],
      receipt: c.block.receipts[c.index],
    };
  }

  getCommittedBlock(id: Uint8Array): Block | undefined {
    return this.c.store.getBlockByHash(id);
  }

  /**
   * The stored encoding of a committed, durable block by id: block requests are answered
   * with these bytes as they are (a peer's request costs a read and a copy, not a decode
   * and an encode). A block still being written is not found here; consensus serves it.
   */
  committedBlockBytes(id: Uint8Array): Uint8Array | undefined {
    return this.c.store.getBlockBytesByHash(id);
  }

  // ---------------------------------------------------------------- execution

  /** The view of block `id`: the committed tip, or a block this node has executed. */
  private viewOf(id: Uint8Array, block?: Block): LedgerView | undefined {
    if (toHex(id) === this.committedId) return this.committed;
    return this.entryOf(id, block)?.view;
  }

  /**
   * The execution of block `id`: validated here, or built here as a payload (a leader's
   * own block never passes validatePayload, so it is found by what its header commits to).
   */
  private entryOf(id: Uint8Array, block?: Block): Executed | undefined {
    const known = this.byId.get(toHex(id));
    if (known || !block) return known;
    const h = block.header;
    const built = this.byPayload.get(payloadKey(h.parentHash, h.txRoot, h.stateRoot, h.receiptsRoot));
    return built && this.adopt(built, id, h);
  }

  /** Validates and executes `block` on `parent`'s view; throws on any invalidity. */
  private execute({ block, parent, ancestors }: PayloadCheck): Executed {
    const h = block.header;
    const id = hashHeader(h);
    const known = this.byId.get(toHex(id));
    if (known) return known;
    const hashes = validateBlockAgainstParent(block, parent.header, this.c.limits);
    if (h.timestampMs > this.c.clock.nowMs() + this.c.maxClockSkewMs)
      throw new Error(`timestamp ${h.timestampMs} is ahead of local time`);
    const built = this.byPayload.get(payloadKey(h.parentHash, h.txRoot, h.stateRoot, h.receiptsRoot));
    if (built) return this.adopt(built, id, h);
    const parentView =
      this.viewOf(h.parentHash, parent) ?? this.executeLineage(ancestors, parent, h.parentHash);
    if (!parentView) throw new Error(`parent ${toHex(h.parentHash)} has not been executed here`);
    return this.run(block, id, parentView, hashes);
  }

  private executeOnCommitted(block: Block, id: Uint8Array): Executed {
    if (!equalBytes(block.header.parentHash, Buffer.from(this.committedId.slice(2), 'hex')))
      throw new Error('does not extend the committed tip');
    return this.run(block, id, this.committed);
  }

  /** `hashes`: the transactions' hashes when the caller has them (no keccak twice). */
  private run(block: Block, id: Uint8Array, parentView: LedgerView, hashes?: Uint8Array[]): Executed {
    const h = block.header;
    const seenAtMs = this.observer.nowMs();
    const txs = block.transactions.map((raw, i) => this.verified(raw, hashes?.[i]));
    const executedAtMs = this.observer.nowMs();
    const executed = executeBlock(parentView, { proposer: h.proposer, transactions: txs }, this.c.params);
    checkExecution(h, executed);
    this.observer.blockExecuted('validate', this.observer.nowMs() - executedAtMs);
    return this.remember(
      payloadKey(h.parentHash, h.txRoot, h.stateRoot, h.receiptsRoot),
      id,
      h.parentHash,
      h.height,
      { executed, transfers: txs, seenAtMs },
      parentView,
      h,
    );
  }

  private verified(raw: Uint8Array, hash?: Uint8Array): VerifiedTransfer {
    const pending = hash ? this.mempool.get(hash) : this.mempool.lookupVerified(raw);
    return pending ?? this.mempool.recover(decodeTransfer(raw, this.c.params.chainId));
  }

  private remember(
    key: string,
    id: Uint8Array | undefined,
    parentId: Uint8Array,
    height: number,
    {
      executed,
      transfers,
      seenAtMs,
    }: { executed: ExecutedBlock; transfers: readonly VerifiedTransfer[]; seenAtMs?: number },
    parentView: LedgerView,
    header?: BlockHeader,
  ): Executed {
    const entry: Executed = {
      id: id ? toHex(id) : '',
      parentId: toHex(parentId),
      height,
      header,
      executed,
      transfers,
      view: parentView === executed ? executed : { state: executed.state, tree: executed.tree },
      seenAtMs,
    };
    this.byPayload.set(key, entry);
    if (id) this.byId.set(entry.id, entry);
    return entry;
  }

  /** A payload this node built, now known under its block id. */
  private adopt(built: Executed, id: Uint8Array, header: BlockHeader): Executed {
    const entry = { ...built, id: toHex(id), header };
    this.byId.set(entry.id, entry);
    return entry;
  }

  // ---------------------------------------------------------------- durability

  private onDurable(height: number, idHex: string): void {
    if (this.failed || height <= this.durableHeight) return;
    this.durableHeight = height;
    while (this.undurable.length > 0 && this.undurable[0].header.height <= height) this.undurable.shift();
    for (const [k, loc] of this.committingTxs) if (loc.height <= height) this.committingTxs.delete(k);
    // Re-layer cached views over the store, parents first, so overlays stay shallow.
    const entries = [...this.byId.values()].sort((a, b) => a.height - b.height);
    const relayered = new Map<string, LedgerView>();
    if (idHex === this.committedId) this.committed = this.storeView;
    for (const e of entries) {
      if (e.height <= height) continue;
      const parentView = e.parentId === idHex ? this.storeView : relayered.get(e.parentId);
      if (!parentView) continue;
      // rebase(): the block's own writes over the (now durable or re-layered) parent view
      e.view = {
        state: parentView.state.withChanges(e.executed.state.ownChanges()),
        tree: overlayTree(parentView.tree, e.executed.treeUpdate),
      };
      relayered.set(e.id, e.view);
      if (e.id === this.committedId) this.committed = e.view;
    }
  }

  private prune(): void {
    for (const [k, e] of this.byId) if (e.height <= this.committedHeight) this.byId.delete(k);
    for (const [k, e] of this.byPayload) if (e.height <= this.committedHeight) this.byPayload.delete(k);
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.c.logger.error({ code: (err as NodeError).code, err: err.message }, 'fatal');
    this.c.onFatal(err);
  }
}
