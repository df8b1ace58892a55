import { LedgerError } from '../errors.js';

export type GenesisErrorCode =
  /** Not JSON, not an object, or an entry of the wrong JSON type. */
  | 'MALFORMED_GENESIS'
  | 'GENESIS_NOT_FOUND'
  | 'GENESIS_IO'
  | 'MISSING_FIELD'
  /** A field this format does not define (usually a typo). */
  | 'UNKNOWN_FIELD'
  | 'INVALID_CHAIN_ID'
  | 'INVALID_GENESIS_TIME'
  | 'NO_VALIDATORS'
  | 'TOO_MANY_VALIDATORS'
  | 'TOO_MANY_OBSERVERS'
  | 'INVALID_NAME'
  | 'DUPLICATE_NAME'
  | 'INVALID_ADDRESS'
  /** A validator's address is not the address of its public key. */
  | 'ADDRESS_MISMATCH'
  | 'DUPLICATE_ADDRESS'
  | 'INVALID_PUBLIC_KEY'
  | 'DUPLICATE_PUBLIC_KEY'
  | 'INVALID_PEER_ID'
  /** A validator's peer id is not the libp2p peer id of its public key. */
  | 'PEER_ID_MISMATCH'
  | 'DUPLICATE_PEER_ID'
  | 'INVALID_POWER'
  | 'INVALID_ALLOC'
  | 'INVALID_BALANCE'
  | 'DUPLICATE_ALLOC'
  | 'INVALID_PARAM'
  /** A validators file (public-parts.ts) that is not JSON or text of the expected shape. */
  | 'MALFORMED_VALIDATORS_FILE'
  | 'VALIDATORS_FILE_TOO_LARGE';

/**
 * A genesis file that fails validation. `path` locates the offending value in the JSON
 * (`validators[2].peerId`, `alloc["0xAb.."]`, `params.maxBlockTxs`; empty for the root);
 * the message starts with it.
 */
export class GenesisError extends LedgerError {
  declare readonly code: GenesisErrorCode;
  readonly path: string;
  constructor(code: GenesisErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(code, path ? `${path} ${message}` : message, options);
    this.path = path;
  }
}
