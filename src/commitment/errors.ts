import { LedgerError } from '../errors.js';

export type CommitmentErrorCode =
  /** A key hash that is not 32 bytes. */
  | 'INVALID_KEY_HASH'
  /** A value that is neither bytes nor null. */
  | 'INVALID_TREE_VALUE'
  /** Proof bytes (from the network or a file) that do not decode. */
  | 'INVALID_PROOF_ENCODING'
  /** A stored node whose bytes do not decode: the store is corrupt. */
  | 'CORRUPT_TREE_NODE'
  /** A node that a parent refers to is not in the store: the store is corrupt or incomplete. */
  | 'MISSING_TREE_NODE';

/** Raised by the account tree; the code says whether the input or the store is at fault. */
export class CommitmentError extends LedgerError {
  declare readonly code: CommitmentErrorCode;
  /** Narrows `code` to CommitmentErrorCode. */
  constructor(code: CommitmentErrorCode, message: string) {
    super(code, message);
  }
}
