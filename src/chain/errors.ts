import { LedgerError } from '../errors.js';

export type ChainErrorCode =
  | 'MALFORMED_BLOCK'
  | 'NON_CANONICAL_BLOCK'
  | 'WRONG_CHAIN_ID'
  | 'WRONG_HEIGHT'
  | 'WRONG_PARENT'
  | 'TIMESTAMP_BEFORE_PARENT'
  | 'ROUND_NOT_INCREASING'
  | 'TOO_MANY_TXS'
  | 'BLOCK_TOO_LARGE'
  | 'DUPLICATE_TX'
  | 'BAD_TX_ROOT'
  | 'BAD_STATE_ROOT'
  | 'BAD_RECEIPTS_ROOT'
  | 'INVALID_TX'
  | 'INVALID_PROOF';

export class ChainError extends LedgerError {
  declare readonly code: ChainErrorCode;
}
