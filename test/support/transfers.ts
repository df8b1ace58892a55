/**
 * Test helpers: transfers for the pure state machine, which never looks at signatures,
 * so these carry a synthetic hash and raw bytes instead of a real signature.
 */
import { bigintToFixed } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/hash.js';
import type { VerifiedTransfer } from '../../src/tx/types.js';

export const TEST_CHAIN_ID = 1337n;
export const GWEI = 1_000_000_000n;

/** A deterministic address from a small integer. */
export function testAddress(i: number): Uint8Array {
  return keccak256(bigintToFixed(BigInt(i), 8)).subarray(12);
}

export function unsignedTransfer(fields: {
  from: Uint8Array;
  to: Uint8Array;
  nonce: bigint;
  value: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gasLimit?: bigint;
  chainId?: bigint;
}): VerifiedTransfer {
  const raw = new Uint8Array([...fields.from, ...fields.to, ...bigintToFixed(fields.nonce, 8)]);
  return {
    chainId: fields.chainId ?? TEST_CHAIN_ID,
    nonce: fields.nonce,
    maxPriorityFeePerGas: fields.maxPriorityFeePerGas ?? GWEI,
    maxFeePerGas: fields.maxFeePerGas ?? 3n * GWEI,
    gasLimit: fields.gasLimit ?? 21_000n,
    to: fields.to,
    value: fields.value,
    yParity: 0,
    r: 1n,
    s: 1n,
    raw,
    hash: keccak256(raw),
    signingHash: keccak256(raw),
    from: fields.from,
  };
}
