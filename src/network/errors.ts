import { LedgerError } from '../errors.js';

/** Misconfiguration and lifecycle errors of the network subsystem. */
export type NetworkErrorCode =
  | 'INVALID_KEY'
  | 'NOT_IN_GENESIS'
  | 'INVALID_ADDRESS'
  | 'PEER_NOT_ALLOWED'
  | 'NOT_STARTED'
  | 'INVALID_OPTIONS';

export class NetworkError extends LedgerError {
  declare readonly code: NetworkErrorCode;
}

/**
 * What the gate does with a message that fails a check (the gossipsub verdicts):
 * - `ignore`: drop it, do not forward, no penalty (stale, duplicate, overload: an honest
 *   peer can send it);
 * - `reject`: drop it, do not forward, and lower the sender's score (no honest node ever
 *   sends it).
 */
export type GateAction = 'ignore' | 'reject';

export type GateErrorCode =
  /** larger than any honest message of its kind */
  | 'OVERSIZE'
  /** not the canonical encoding of its kind */
  | 'MALFORMED'
  /** built for another network */
  | 'WRONG_CHAIN'
  /** names a signer/proposer that is not a genesis validator */
  | 'UNKNOWN_SIGNER'
  /** sent on the direct protocol by someone other than the message's signer */
  | 'NOT_FROM_SIGNER'
  /** direct message from a peer that is not a validator */
  | 'NOT_A_VALIDATOR'
  /** a signature that does not verify */
  | 'BAD_SIGNATURE'
  /** a QC or TC that does not verify, or does not justify the message's round */
  | 'BAD_CERTIFICATE'
  /** a round no honest node sends (round 0, not above its own QC) */
  | 'BAD_ROUND'
  /** too far below this node's round to matter */
  | 'STALE_ROUND'
  /** too far above this node's round and not justified by the message's certificates */
  | 'FUTURE_ROUND'
  /** a proposal from a validator that does not lead its round (as this node computes it) */
  | 'NOT_LEADER'
  /** a proposal height no block at its round can have (below 1, or above committed + rounds) */
  | 'BAD_HEIGHT'
  /** a block whose transactions do not hash to its header's txRoot (the header is what is signed) */
  | 'BAD_TX_ROOT'
  /** an empty transaction batch or one with more transactions than a batch may hold */
  | 'BAD_BATCH'
  /** a batched transaction that can never be valid (forged signature, ...): mempool admission */
  | 'INVALID_TX'
  /** a signer's timeout for a round beyond the distinct ones already accepted (timeout-sightings.ts) */
  | 'TIMEOUT_FLOOD'
  /** the bounded inbound queue is full (overload) */
  | 'QUEUE_FULL'
  /** a bug or unexpected error in validation: ignored, never penalised */
  | 'INTERNAL';

/** Thrown by the gate's validation functions only; `runGate` turns it into a verdict. */
export class GateError extends LedgerError {
  declare readonly code: GateErrorCode;
  constructor(
    readonly action: GateAction,
    code: GateErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export const ignore = (code: GateErrorCode, message: string): GateError =>
  new GateError('ignore', code, message);
export const reject = (code: GateErrorCode, message: string): GateError =>
  new GateError('reject', code, message);
