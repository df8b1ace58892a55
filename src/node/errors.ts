import { LedgerError } from '../errors.js';

/** Stable codes for a node that cannot start or has to stop. */
export type NodeErrorCode =
  /** The key is neither a validator's nor an observer's of this genesis. */
  | 'KEY_NOT_IN_GENESIS'
  /** The API port or the p2p listen port is taken by another process. */
  | 'PORT_IN_USE'
  /** The data directory belongs to another chain (its genesis hash differs). */
  | 'DATA_DIR_MISMATCH'
  /** Another live process holds the data directory's lock (`<data>/LOCK`). */
  | 'DATA_DIR_LOCKED'
  /**
   * A validator's chain store exists but its safety store does not: starting would forget
   * its last voted round and could sign twice. Refused unless the operator resets it.
   */
  | 'SAFETY_DATA_MISSING'
  | 'INVALID_OPTION'
  /** Durable state could not be written: the node stops rather than continue unsafely. */
  | 'STORAGE_FAILURE'
  /** A committed block does not execute to its state root: this node's state diverged. */
  | 'STATE_DIVERGED'
  /** An error nothing caught (a bug): the node stops in order rather than run on. */
  | 'UNCAUGHT_ERROR';

export class NodeError extends LedgerError {
  declare readonly code: NodeErrorCode;
  constructor(code: NodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
