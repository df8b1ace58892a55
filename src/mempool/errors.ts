import { LedgerError } from '../errors.js';
import type { StateErrorCode } from '../state/index.js';
import type { TxErrorCode } from '../tx/index.js';

/**
 * Stable codes for a transaction the mempool refuses. Every decoder code (TxErrorCode) is
 * passed through unchanged; the state rules of `checkTransfer` keep their names except
 * FEE_BELOW_BASE_FEE, reported as FEE_TOO_LOW.
 */
export type MempoolErrorCode =
  | TxErrorCode
  /** The same transaction is pending, or was committed recently. */
  | 'ALREADY_KNOWN'
  /** nonce < the sender's committed nonce: it can never execute. */
  | 'NONCE_TOO_LOW'
  /** nonce >= committed nonce + maxNonceAhead: too far in the future to hold. */
  | 'NONCE_TOO_HIGH'
  /** The committed balance does not cover value + gasLimit x maxFeePerGas of this tx plus the sender's other queued txs. */
  | 'INSUFFICIENT_FUNDS'
  /** maxFeePerGas below the (fixed) base fee. */
  | 'FEE_TOO_LOW'
  | 'INTRINSIC_GAS_TOO_LOW'
  | 'PRIORITY_FEE_ABOVE_MAX_FEE'
  /** A same-sender same-nonce tx is pending and this one does not raise both fee caps by >= 10%. */
  | 'REPLACEMENT_UNDERPRICED'
  /** The pool holds maxTxs transactions or would exceed maxBytes. */
  | 'MEMPOOL_FULL'
  /** The sender holds maxPerSender transactions or would exceed maxBytesPerSender. */
  | 'SENDER_FULL';

/**
 * Codes of a transaction that can never be valid on this chain, whatever the state: a
 * peer relaying one misbehaves (gossip verdict REJECT, HTTP 400). Every other code
 * depends on the state or on capacity (gossip IGNORE; HTTP 409 / 429 / 503).
 */
const INVALID_CODES: ReadonlySet<MempoolErrorCode> = new Set<MempoolErrorCode>([
  'WRONG_TX_TYPE',
  'MALFORMED_RLP',
  'TRAILING_BYTES',
  'WRONG_FIELD_COUNT',
  'NON_CANONICAL_INTEGER',
  'INTEGER_OVERFLOW',
  'WRONG_CHAIN_ID',
  'CONTRACT_CREATION',
  'BAD_ADDRESS',
  'NON_EMPTY_DATA',
  'ACCESS_LIST',
  'OVERSIZE',
  'BAD_SIGNATURE',
  'HIGH_S',
  // The base fee is fixed at genesis, so these never become valid either.
  'FEE_TOO_LOW',
  'INTRINSIC_GAS_TOO_LOW',
  'PRIORITY_FEE_ABOVE_MAX_FEE',
]);

export class MempoolError extends LedgerError {
  declare readonly code: MempoolErrorCode;
  /** True when the transaction can never be valid on this chain (see INVALID_CODES). */
  readonly invalid: boolean;
  constructor(code: MempoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.invalid = INVALID_CODES.has(code);
  }
}

/** How admission reports each rule of src/state's checkTransfer (NONCE_MISMATCH cannot occur there). */
export const STATE_CODE: Readonly<Record<StateErrorCode, MempoolErrorCode>> = {
  WRONG_CHAIN_ID: 'WRONG_CHAIN_ID',
  NONCE_MISMATCH: 'NONCE_TOO_LOW',
  INTRINSIC_GAS_TOO_LOW: 'INTRINSIC_GAS_TOO_LOW',
  FEE_BELOW_BASE_FEE: 'FEE_TOO_LOW',
  PRIORITY_FEE_ABOVE_MAX_FEE: 'PRIORITY_FEE_ABOVE_MAX_FEE',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
};
