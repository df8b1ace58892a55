import type { Address } from '../crypto/keys.js';
import type { SignatureBackend } from '../crypto/verifier.js';
import type { AccountReader, StateParams } from '../state/index.js';
import type { VerifiedTransfer } from '../tx/index.js';
import type { MempoolErrorCode } from './errors.js';

/** Block limits from genesis (GenesisParams). */
export interface MempoolBlockLimits {
  maxBlockTxs: number;
  maxBlockBytes: number;
}

/** What the mempool needs from the rest of the node. */
export interface MempoolComponents {
  /** The committed state; replaced on every onCommit. */
  accounts: AccountReader;
  params: StateParams;
  blockLimits: MempoolBlockLimits;
  /** Sender recovery; defaultBackend() when absent. */
  backend?: SignatureBackend;
  /**
   * Milliseconds on any clock that only moves forward (the node passes wall time): the age
   * of queued transactions. Without one, time stands still and queued transactions leave
   * only when displaced, promoted or made invalid.
   */
  now?: () => number;
}

/**
 * A successful admission. Refusals throw MempoolError. `queued`: the nonce leaves a gap
 * after the sender's next executable nonce, so the tx waits for the missing ones and is
 * dropped if they do not come within queuedLifetimeMs (or when a better-paying tx needs
 * its room); otherwise it is pending (executable once its predecessors are).
 */
/** How a transaction is admitted. */
export interface AddOptions {
  /** Admitted through this node's API: never displaced to make room (mempool.ts). */
  local?: boolean;
}

export type AddResult =
  | { kind: 'added'; tx: VerifiedTransfer; queued: boolean }
  /** `tx` took the nonce slot of `replaced`, which left the pool. */
  | { kind: 'replaced'; tx: VerifiedTransfer; replaced: VerifiedTransfer; queued: boolean };

export interface SelectOptions {
  /** Defaults to blockLimits.maxBlockTxs. */
  maxTxs?: number;
  /** Size bound of the whole encoded block; defaults to blockLimits.maxBlockBytes. */
  maxBytes?: number;
  /** Bytes kept for the header; defaults to options.headerReserveBytes. */
  reservedBytes?: number;
  /**
   * The state the block executes on: the parent's speculative state when the parent is not
   * committed yet (executeBlock's result). Defaults to the committed state. Transactions
   * whose nonce it has passed (in uncommitted ancestors) are skipped.
   */
  state?: AccountReader;
  /**
   * Hashes (0x-hex) never to select, e.g. the transactions of uncommitted ancestors. A
   * sender's selection stops at its first excluded transaction.
   */
  exclude?: ReadonlySet<string>;
}

/** A committed transaction as onCommit needs it; a VerifiedTransfer qualifies. */
export interface CommittedTx {
  hash: Uint8Array;
  from: Address;
  /** toHex(hash), when the caller has it already (saves hexing every committed hash twice). */
  key?: string;
}

export interface CommitOutcome {
  /** Pending transactions removed because the commit included them. */
  included: number;
  /** Pending transactions dropped because their nonce is used or their sender can no longer pay. */
  evicted: VerifiedTransfer[];
  /** Queued transactions whose lifetime ran out (see expireQueued). */
  expired: VerifiedTransfer[];
}

/** Counters since construction, and current sizes. */
export interface MempoolMetrics {
  admitted: number;
  replaced: number;
  included: number;
  evicted: number;
  rejected: Partial<Record<MempoolErrorCode, number>>;
  /** Sender recoveries performed (one per `add` that reached the signature check). */
  recoveries: number;
  /** Queued (gapped) transactions dropped at the end of their lifetime. */
  expired: number;
  /** Queued transactions dropped to make room for a pending or better-paying queued one. */
  displaced: number;
  size: number;
  /** How many of `size` are queued (gapped). */
  queued: number;
  bytes: number;
  senders: number;
}

/** A transaction in the pool, as listings show it. */
export interface PoolTx {
  tx: VerifiedTransfer;
  /** Behind a nonce gap (see AddResult). */
  queued: boolean;
  /** The pool's clock at admission. */
  admittedAtMs: number;
  /** Admission order (from 1): pass as `beforeSeq` to list what was admitted earlier. */
  seq: number;
}

/** Called after each admission, synchronously; must be cheap and must not throw. */
export type AdmissionListener = (admitted: PoolTx) => void;
