/**
 * Verification of a fetched range of blocks, before anything is written. Pure apart from
 * the signature verifier: it reads the local head's view and returns executed blocks.
 *
 * A QC certifies a block; it does not prove the block committed (a certified block can be
 * abandoned when a TC extends an older QC, docs/PROTOCOL.md "Commit"). So a fetched block
 * is applied only with a commit proof from the same range: a linked descendant D whose
 * child C has C.round == D.round + 1 and a verified QC (the 2-chain rule [C1]); D and all
 * its ancestors in the range are then committed. Blocks past the last proven one are
 * left for the next request (or for live consensus).
 *
 * The certificate and commit rules are src/client's, the ones a wallet applies to a
 * node's answer; here their ClientErrors become the SyncError codes the sync policy reads.
 */
import {
  type BlockHeader,
  type BlockLimits,
  ChainError,
  type CommitProofPoint,
  checkExecution,
  commitProofPoints,
  type ExecutedBlock,
  executeBlock,
  hashHeader,
  type LedgerView,
  validateBlockAgainstParent,
} from '../chain/index.js';
import {
  ClientError,
  checkHashLink,
  DEFAULT_CLIENT_OPTIONS,
  lastCommittedIndex as lastCommittedIndexOfRun,
  verifyCertificateBytes,
} from '../client/index.js';
import type { ValidatorSet, Verifier } from '../consensus/index.js';
import type { StateParams } from '../state/index.js';
import { decodeTransfer, recoverSender, type VerifiedTransfer } from '../tx/index.js';
import type { SyncItem } from './codec.js';
import { SyncError } from './errors.js';

export interface VerifyContext {
  validatorSet: ValidatorSet;
  verifier: Verifier;
  limits: BlockLimits;
  params: StateParams;
}

/** The block the range must extend: the local committed head and its state. */
export interface SyncBase {
  header: BlockHeader;
  id: Uint8Array;
  view: LedgerView;
}

/** A block proven committed and executed on the local head: ready for the store. */
export interface VerifiedBlock {
  block: SyncItem['block'];
  id: Uint8Array;
  executed: ExecutedBlock;
  /** Its transfers as executed, in block order (the store's tx records keep their fields). */
  transfers: VerifiedTransfer[];
  /** The verified QC certifying `block` (stored as its commit QC). */
  commitQc: Uint8Array;
  /** What proves `block` committed from the range's verified blocks above it (the store keeps it). */
  commitProof?: CommitProofPoint;
}

const LINK_CODES = new Set(['WRONG_HEIGHT', 'WRONG_PARENT']);

/** Checks that `qc` is a valid QC for `block` (id `id`). Throws SyncError BAD_QC. */
export function verifyItemQc(item: SyncItem, id: Uint8Array, ctx: VerifyContext): void {
  const h = item.block.header;
  try {
    // [qc] the QC names this block in its round, and a quorum of distinct validators signed it
    verifyCertificateBytes(item.qc, { blockId: id, round: h.round }, ctx.validatorSet, ctx.verifier);
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    throw new SyncError('BAD_QC', `block ${h.height}: ${err.message}`, { cause: err, height: h.height });
  }
}

/**
 * Checks one response on arrival, before it is buffered: each block certified by its QC,
 * each linked to the one before it. Returns the block ids. Throws SyncError.
 */
export function verifyResponseItems(items: readonly SyncItem[], ctx: VerifyContext): Uint8Array[] {
  const ids: Uint8Array[] = [];
  items.forEach((item, i) => {
    const id = hashHeader(item.block.header);
    const h = item.block.header;
    // [link] consecutive blocks of one response are parent and child
    if (i > 0) {
      try {
        checkHashLink(items[i - 1].block.header, ids[i - 1], h);
      } catch (err) {
        if (!(err instanceof ClientError)) throw err;
        throw new SyncError('WRONG_PARENT', err.message, { cause: err, height: h.height });
      }
    }
    verifyItemQc(item, id, ctx);
    ids.push(id);
  });
  return ids;
}

/** Checks links (to `base` and within) and QCs of the whole range; returns the block ids. */
export function verifyCertifiedChain(
  base: SyncBase,
  items: readonly SyncItem[],
  ctx: VerifyContext,
): Uint8Array[] {
  let parent = base.header;
  const ids: Uint8Array[] = [];
  for (const item of items) {
    const h = item.block.header;
    try {
      // [link] height = parent.height + 1, parentHash = the parent; stateless rules of chain/
      validateBlockAgainstParent(item.block, parent, ctx.limits);
    } catch (err) {
      if (!(err instanceof ChainError)) throw err;
      const code = LINK_CODES.has(err.code) ? 'WRONG_PARENT' : 'BAD_BLOCK';
      throw new SyncError(code, `block ${h.height}: ${err.message}`, { cause: err, height: h.height });
    }
    const id = hashHeader(h);
    verifyItemQc(item, id, ctx);
    ids.push(id);
    parent = h;
  }
  return ids;
}

/** Index of the last block of `items` the range proves committed (2-chain), or -1. */
export function lastCommittedIndex(items: readonly SyncItem[]): number {
  return lastCommittedIndexOfRun(items.map((item) => item.block.header));
}

/**
 * Verifies `items` (consecutive heights from base.height + 1) and executes the committed
 * prefix on `base.view`, stopping after the block that brings the transactions executed to
 * `maxTxs` (always at least one block), so a caller can apply a long range in slices.
 * Throws SyncError on the first bad block: nothing of a bad range is applied, and the
 * caller penalises the peer.
 */
export function verifyRange(
  base: SyncBase,
  items: readonly SyncItem[],
  ctx: VerifyContext,
  maxTxs = Number.POSITIVE_INFINITY,
): VerifiedBlock[] {
  const ids = verifyCertifiedChain(base, items, ctx);
  const last = lastCommittedIndex(items);
  const out: VerifiedBlock[] = [];
  const proven = items.slice(0, last + 2); // the committed prefix and the child proving it
  const points = commitProofPoints(
    proven.map((item) => item.block.header),
    proven.map((item) => item.qc),
    undefined,
    DEFAULT_CLIENT_OPTIONS.maxCommitChainHeaders,
  );
  let view: LedgerView = base.view;
  let txs = 0;
  for (let i = 0; i <= last && txs < maxTxs; i++) {
    txs += items[i].block.transactions.length;
    const { block, qc } = items[i];
    const h = block.header;
    let executed: ExecutedBlock;
    let transfers: VerifiedTransfer[];
    try {
      transfers = block.transactions.map((raw) => recoverSender(decodeTransfer(raw, ctx.params.chainId)));
      executed = executeBlock(view, { proposer: h.proposer, transactions: transfers }, ctx.params);
    } catch (err) {
      throw new SyncError('BAD_STATE_ROOT', `block ${h.height} does not execute: ${(err as Error).message}`, {
        cause: err,
        height: h.height,
      });
    }
    // [state] execution reaches the state and receipts roots the header (and so the QC)
    // commits to, the check a validator makes of a proposal
    try {
      checkExecution(h, executed);
    } catch (err) {
      if (!(err instanceof ChainError)) throw err;
      throw new SyncError('BAD_STATE_ROOT', `block ${h.height}: ${err.message}`, {
        cause: err,
        height: h.height,
      });
    }
    const commitProof = points[i];
    out.push({
      block,
      id: ids[i],
      executed,
      transfers,
      commitQc: qc,
      ...(commitProof ? { commitProof } : {}),
    });
    view = executed;
  }
  return out;
}
