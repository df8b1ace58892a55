/**
 * Signing (wallets, tests, the devnet) and sender recovery (admission). Recovery is the
 * expensive step of admitting a transaction, so it runs once per node, on the fastest
 * backend available, and its result travels with the transaction as `from`.
 */
import { keccak256 } from '../crypto/hash.js';
import { type Address, signDigest } from '../crypto/keys.js';
import { defaultBackend, type SignatureBackend } from '../crypto/verifier.js';
import { decodeTransfer, encodeTransfer, signingHashOf } from './codec.js';
import { TxError } from './errors.js';
import type { SignedTransfer, TransferFields, VerifiedTransfer } from './types.js';

/**
 * Signs with noble (RFC 6979, low-s) and returns the transfer as the network will see it.
 * The result goes through decodeTransfer, so invalid fields (a 19-byte `to`, a nonce above
 * 2^64-1...) throw the same TxError a node would, instead of producing a doomed tx.
 */
export function signTransfer(fields: TransferFields, secret: Uint8Array): SignedTransfer {
  const sig = signDigest(signingHashOf(fields), secret);
  return decodeTransfer(encodeTransfer(fields, sig), fields.chainId);
}

/** Recovers the sender; throws TxError BAD_SIGNATURE when no public key can be recovered. */
export function recoverSender(
  tx: SignedTransfer,
  backend: SignatureBackend = defaultBackend(),
): VerifiedTransfer {
  const publicKey = backend.recoverPublicKey(tx.signingHash, tx);
  if (publicKey === null) throw new TxError('BAD_SIGNATURE', 'no sender can be recovered from the signature');
  // Address = last 20 bytes of keccak(x || y); the key is already uncompressed.
  return withSender(tx, keccak256(publicKey.subarray(1)).subarray(12));
}

/**
 * `tx` with its recovered sender, as a fixed-shape literal (not a spread: it runs for every
 * transaction on every node). Only for a sender recovered from this very transaction.
 */
export function withSender(tx: SignedTransfer, from: Address): VerifiedTransfer {
  return {
    chainId: tx.chainId,
    nonce: tx.nonce,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    maxFeePerGas: tx.maxFeePerGas,
    gasLimit: tx.gasLimit,
    to: tx.to,
    value: tx.value,
    yParity: tx.yParity,
    r: tx.r,
    s: tx.s,
    raw: tx.raw,
    hash: tx.hash,
    signingHash: tx.signingHash,
    from,
  };
}
