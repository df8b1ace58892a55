import { LedgerError } from '../errors.js';

export type StoreErrorCode =
  | 'GENESIS_MISMATCH'
  | 'NOT_INITIALISED'
  | 'ALREADY_INITIALISED'
  | 'NOT_NEXT_BLOCK'
  | 'CORRUPT_STORE'
  | 'INVALID_CURSOR'
  | 'STORE_CLOSED'
  | 'UNSUPPORTED_FORMAT'
  | 'PROOF_TOO_LONG'
  | 'NOT_PROVABLE';

export class StoreError extends LedgerError {
  declare readonly code: StoreErrorCode;
}
