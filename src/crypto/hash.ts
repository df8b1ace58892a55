/**
 * The two hash functions of the ledger.
 * - keccak256: the Ethereum-facing hashes (addresses, transaction signing hash and hash),
 *   from @noble/hashes because Node 20's OpenSSL has no keccak-256.
 * - sha256: every internal commitment (block hash, tx root, state tree), from node:crypto
 *   because it is about 3x faster than a JS hash on small inputs and these run per node
 *   per block on the hot path.
 */
import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

export function sha256(data: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** sha256 over several parts without concatenating them first. */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const digest = h.digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
