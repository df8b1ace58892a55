import { LedgerError } from '../errors.js';

/**
 * Stable codes for a transaction refused by the decoder or the signature check. Callers
 * (mempool admission, the gossip gate, the HTTP API) map them to verdicts; a peer that
 * sends any of them sent an invalid transaction, not a merely late one.
 */
export type TxErrorCode =
  /** The first byte is not 0x02 (only EIP-1559 transactions exist here). */
  | 'WRONG_TX_TYPE'
  /** The payload after the type byte is not valid RLP, or not a list of byte strings. */
  | 'MALFORMED_RLP'
  /** Bytes follow the RLP list. */
  | 'TRAILING_BYTES'
  /** The list does not have exactly 12 fields. */
  | 'WRONG_FIELD_COUNT'
  /** An integer with leading zero bytes, or any encoding that does not re-encode to itself. */
  | 'NON_CANONICAL_INTEGER'
  /** An integer above 2^256-1, or chainId / nonce / gasLimit above 2^64-1. */
  | 'INTEGER_OVERFLOW'
  | 'WRONG_CHAIN_ID'
  /** `to` is empty: there are no contracts on this ledger. */
  | 'CONTRACT_CREATION'
  /** `to` is not 20 bytes. */
  | 'BAD_ADDRESS'
  /** Transfers carry no calldata. */
  | 'NON_EMPTY_DATA'
  /** The access list must be an empty list. */
  | 'ACCESS_LIST'
  /** Longer than MAX_TX_BYTES; checked before any decoding work. */
  | 'OVERSIZE'
  /** r or s zero or >= n, yParity not 0 or 1, or no public key can be recovered. */
  | 'BAD_SIGNATURE'
  /** s > n/2: the malleable twin of a valid signature (EIP-2). */
  | 'HIGH_S';

export class TxError extends LedgerError {
  declare readonly code: TxErrorCode;
  // Narrows the constructor so a typo in a code is a compile error.
  constructor(code: TxErrorCode, message: string) {
    super(code, message);
  }
}
