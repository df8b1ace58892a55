/**
 * The native transaction: an EIP-1559 (type 0x02) value transfer.
 * raw = 0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to,
 *                    value, data (empty), accessList (empty), yParity, r, s])
 * signingHash = keccak256(0x02 || rlp(first nine fields)); hash = keccak256(raw).
 */
import type { Address } from '../crypto/keys.js';

/** The fields a wallet chooses before signing. */
export interface TransferFields {
  chainId: bigint;
  nonce: bigint;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gasLimit: bigint;
  to: Address;
  value: bigint;
}

/** A decoded, structurally valid, signed transfer whose sender is not yet known. */
export interface SignedTransfer extends TransferFields {
  yParity: 0 | 1;
  r: bigint;
  s: bigint;
  /** The exact bytes received; its keccak is `hash`. */
  raw: Uint8Array;
  hash: Uint8Array;
  signingHash: Uint8Array;
}

/** A transfer whose signature has been checked once and whose sender is recovered. */
export interface VerifiedTransfer extends SignedTransfer {
  from: Address;
}
