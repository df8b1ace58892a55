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
}

/** A successful admission. Refusals throw MempoolError. */
export type AddResult =
  | { kind: 'added'; tx: VerifiedTransfer }
  /** `tx` took the nonce slot of `replaced`, which left the pool. */
  | { kind: 'replaced'; tx: VerifiedTransfer; replaced: VerifiedTransfer };

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
  size: number;
  bytes: number;
  senders: number;
}
