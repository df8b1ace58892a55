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
  | 'NOT_PROVABLE'
  /** A write failed on a file system that is full (or said ENOSPC): free space, then restart. */
  | 'DISK_FULL'
  /** A write failed for another reason (an I/O error of the disk). */
  | 'WRITE_FAILED';

export class StoreError extends LedgerError {
  declare readonly code: StoreErrorCode;
}
