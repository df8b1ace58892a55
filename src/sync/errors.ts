import { LedgerError } from '../errors.js';

/** Stable codes for a block-sync response that cannot be used, or a request that failed. */
export type SyncErrorCode =
  /** Bytes that are not the one encoding of a sync message. */
  | 'MALFORMED'
  /** A response whose blocks are not the requested heights, or more than asked for. */
  | 'WRONG_RANGE'
  /** A block that does not extend the local head (or the block before it in the response). */
  | 'WRONG_PARENT'
  /** A block that breaks a stateless rule (chain id, round, timestamp, limits, tx root). */
  | 'BAD_BLOCK'
  /** A QC that does not decode, names another block or round, or does not verify. */
  | 'BAD_QC'
  /** A block whose transactions do not execute, or execute to another state root. */
  | 'BAD_STATE_ROOT'
  /** No answer within the request timeout. */
  | 'TIMEOUT'
  /** The stream could not be opened or broke. */
  | 'UNAVAILABLE';

/** Codes that prove the peer served bad data (its score is lowered); the rest are not its fault. */
const PEER_FAULTS: ReadonlySet<SyncErrorCode> = new Set([
  'MALFORMED',
  'WRONG_RANGE',
  'WRONG_PARENT',
  'BAD_BLOCK',
  'BAD_QC',
  'BAD_STATE_ROOT',
]);

export class SyncError extends LedgerError {
  declare readonly code: SyncErrorCode;
  /** The height of the block at fault, when one is. */
  readonly height?: number;
  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown; height?: number }) {
    super(code, message, options);
    this.height = options?.height;
  }

  /** True when the response itself was bad (REJECT): the peer is penalised. */
  get peerFault(): boolean {
    return PEER_FAULTS.has(this.code);
  }
}
