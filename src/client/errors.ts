import { LedgerError } from '../errors.js';

/**
 * Stable codes for an answer a client refuses. Each names what was wrong with what the
 * node served, so a wallet can say which node lied and how, and a test can tell a forged
 * certificate from a forged link or a forged proof.
 */
export type ClientErrorCode =
  /** A proof object (or its JSON form) that does not have the documented shape. */
  | 'MALFORMED_PROOF'
  /**
   * QC bytes that are not the one encoding of a QC. The encoding lists signers in
   * increasing order, so a repeated signer in bytes is refused here.
   */
  | 'MALFORMED_QC'
  /** A decoded QC that names one validator twice. */
  | 'DUPLICATE_SIGNER'
  /** A signer index outside the genesis validator set. */
  | 'UNKNOWN_SIGNER'
  /** Fewer distinct signers than the quorum of the genesis set (quorumSize, n - f). */
  | 'INSUFFICIENT_POWER'
  /**
   * A signature that does not verify over the vote digest of this chain: a forged one, a
   * signer's key that is not the validator's, or a QC of another chain (the chain id is
   * part of what validators sign).
   */
  | 'BAD_SIGNATURE'
  /** A QC that certifies another block than the one it is presented for. */
  | 'QC_WRONG_BLOCK'
  /** A QC for the block's id, but in another round than the block's. */
  | 'QC_WRONG_ROUND'
  /** Two headers presented as parent and child that are not: height or parent hash. */
  | 'BROKEN_LINK'
  /** A certified block presented as committed without a certified child one round later. */
  | 'NOT_COMMITTED'
  /** A proof of commit with more headers than the client accepts to check. */
  | 'CHAIN_TOO_LONG'
  /** An inclusion proof of another transaction than the one asked about. */
  | 'WRONG_TX'
  /** An inclusion proof that does not lead to the committed block's tx root. */
  | 'BAD_TX_PROOF'
  /**
   * A receipt that is not the transaction's own under the committed receipts root: another
   * transaction's, altered, or proven at another index than the transaction's.
   */
  | 'BAD_RECEIPT_PROOF'
  /** An account proof of another address than the one asked about. */
  | 'WRONG_ADDRESS'
  /** An account proof that does not lead to the committed block's state root. */
  | 'BAD_ACCOUNT_PROOF'
  /** A valid proof at another committed height than the one asked for. */
  | 'WRONG_HEIGHT'
  /** A genesis document whose genesis block hash is not the pinned one. */
  | 'GENESIS_MISMATCH';

export class ClientError extends LedgerError {
  declare readonly code: ClientErrorCode;
}

/**
 * Text a node chose (a field name, a refusal's message), made safe to put in front of a
 * person: control characters (which move a terminal's cursor, clear lines or recolour
 * them, so a node could print its own "final" line) and bidirectional overrides become
 * U+FFFD, and the text is cut at `maxChars`.
 */
export function printable(text: string, maxChars = 200): string {
  const cut = text.length > maxChars ? `${text.slice(0, maxChars)}... (${text.length} characters)` : text;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
}
