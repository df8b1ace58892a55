import { LedgerError } from '../errors.js';

export type StateErrorCode =
  | 'WRONG_CHAIN_ID'
  | 'NONCE_MISMATCH'
  | 'INTRINSIC_GAS_TOO_LOW'
  | 'FEE_BELOW_BASE_FEE'
  | 'PRIORITY_FEE_ABOVE_MAX_FEE'
  | 'INSUFFICIENT_FUNDS';

/** A transaction that the account-state machine refuses; `txIndex` locates it in its block. */
export class StateTransitionError extends LedgerError {
  declare readonly code: StateErrorCode;
  readonly txIndex: number;
  constructor(code: StateErrorCode, message: string, txIndex = -1) {
    super(code, txIndex >= 0 ? `tx ${txIndex}: ${message}` : message);
    this.txIndex = txIndex;
  }
}
