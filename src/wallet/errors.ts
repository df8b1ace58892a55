/**
 * Every failure of the wallet has a stable code and its own exit code, so a script can
 * tell "wrong passphrase" from "no node answered" from "a node lied" without reading the
 * message. Errors of the subsystems the wallet calls (keystore, addresses, amounts,
 * genesis, client proofs) are mapped onto these codes in one place, `toWalletError`.
 */
import { ClientError } from '../client/index.js';
import { KeystoreError } from '../crypto/keystore.js';
import { InvalidInputError, LedgerError } from '../errors.js';
import { GenesisError } from '../genesis/index.js';

export type WalletErrorCode =
  /** The keystore's MAC does not match: wrong passphrase (or an altered file). */
  | 'WRONG_PASSPHRASE'
  /** A mixed-case address whose EIP-55 checksum is wrong: a typo caught before sending. */
  | 'BAD_ADDRESS_CHECKSUM'
  /** The verified committed balance does not cover value + gas limit x max fee. */
  | 'INSUFFICIENT_FUNDS'
  /** No node of the list answered usably within the bounded retries. */
  | 'NODE_UNREACHABLE'
  /** A node refused the transaction; `reason` is its typed code (NONCE_TOO_LOW, ...). */
  | 'TX_REJECTED'
  /** Every node that answered served a proof that does not verify; nothing is shown as final. */
  | 'PROOF_INVALID'
  /** The transaction did not commit in time; it may still commit (the message has its hash). */
  | 'COMMIT_TIMEOUT'
  /** Not an address at all (length, characters). */
  | 'INVALID_ADDRESS'
  /** Not an amount, negative, below one wei or above 2^256 - 1 wei. */
  | 'INVALID_AMOUNT'
  /** Not a private key (import), or another malformed value of the command line. */
  | 'INVALID_INPUT'
  /** A command that signs or names "my" address, with no keystore given. */
  | 'NO_KEYSTORE'
  /** A keystore that cannot be read, written or decrypted for another reason than the passphrase. */
  | 'KEYSTORE_ERROR'
  /** The local genesis file is missing or invalid, or not the pinned one. */
  | 'GENESIS_ERROR'
  /** A transaction hash no node knows (neither pending nor committed). */
  | 'TX_UNKNOWN';

/** Exit codes: 2 is the CLI's usage error; the failures the wallet names each have their own. */
export const WALLET_EXIT_CODES: Readonly<Record<WalletErrorCode, number>> = Object.freeze({
  INVALID_ADDRESS: 2,
  INVALID_AMOUNT: 2,
  INVALID_INPUT: 2,
  NO_KEYSTORE: 2,
  WRONG_PASSPHRASE: 10,
  BAD_ADDRESS_CHECKSUM: 11,
  INSUFFICIENT_FUNDS: 12,
  NODE_UNREACHABLE: 13,
  TX_REJECTED: 14,
  PROOF_INVALID: 15,
  COMMIT_TIMEOUT: 16,
  KEYSTORE_ERROR: 17,
  GENESIS_ERROR: 18,
  TX_UNKNOWN: 19,
});

/** A node that served a proof which does not verify, and what was wrong with it. */
export interface NodeLie {
  node: string;
  /** The ClientError code (BAD_ACCOUNT_PROOF, INSUFFICIENT_POWER, ...). */
  code: string;
  message: string;
}

export interface WalletErrorDetails {
  /** TX_REJECTED: the node's typed reason. */
  reason?: string;
  /** The transaction concerned (COMMIT_TIMEOUT, TX_REJECTED, TX_UNKNOWN). */
  hash?: string;
  /** The nodes that lied during this operation. */
  lies?: readonly NodeLie[];
}

export class WalletError extends LedgerError {
  declare readonly code: WalletErrorCode;
  readonly details: WalletErrorDetails;

  constructor(
    code: WalletErrorCode,
    message: string,
    details: WalletErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.details = details;
  }

  /** The process exit code of this failure (read by the `ledger` command line). */
  get exitCode(): number {
    return WALLET_EXIT_CODES[this.code];
  }
}

/**
 * The wallet's view of an error from a subsystem it called; a WalletError passes through,
 * anything unknown is returned unchanged (the CLI reports it as a generic failure).
 */
export function toWalletError(err: unknown): unknown {
  if (err instanceof WalletError || !(err instanceof LedgerError)) return err;
  const wrap = (code: WalletErrorCode) => new WalletError(code, err.message, {}, { cause: err });
  if (err instanceof KeystoreError)
    return wrap(err.code === 'WRONG_PASSPHRASE' ? 'WRONG_PASSPHRASE' : 'KEYSTORE_ERROR');
  if (err instanceof GenesisError) return wrap('GENESIS_ERROR');
  if (err instanceof ClientError && err.code === 'GENESIS_MISMATCH') return wrap('GENESIS_ERROR');
  if (err instanceof InvalidInputError) {
    if (err.code === 'BAD_ADDRESS_CHECKSUM') return wrap('BAD_ADDRESS_CHECKSUM');
    if (err.code === 'INVALID_ADDRESS') return wrap('INVALID_ADDRESS');
    if (['INVALID_AMOUNT', 'NEGATIVE_AMOUNT', 'TOO_MANY_DECIMALS', 'AMOUNT_TOO_LARGE'].includes(err.code))
      return new WalletError('INVALID_AMOUNT', `${err.code}: ${err.message}`, {}, { cause: err });
  }
  return err;
}
