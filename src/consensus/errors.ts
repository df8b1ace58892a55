import { LedgerError } from '../errors.js';

export type ConsensusErrorCode =
  | 'MALFORMED_MESSAGE'
  | 'NON_CANONICAL_MESSAGE'
  | 'BAD_SIGNATURE'
  | 'BAD_CERTIFICATE'
  | 'INVALID_CONFIG'
  /** [S3] this validator's signature appears where its safety data says it never signed */
  | 'DOUBLE_SIGN_RISK';

export class ConsensusError extends LedgerError {
  declare readonly code: ConsensusErrorCode;
}
