import { LedgerError } from '../errors.js';

export type ConsensusErrorCode =
  | 'MALFORMED_MESSAGE'
  | 'NON_CANONICAL_MESSAGE'
  | 'BAD_SIGNATURE'
  | 'BAD_CERTIFICATE'
  | 'INVALID_CONFIG';

export class ConsensusError extends LedgerError {
  declare readonly code: ConsensusErrorCode;
}
