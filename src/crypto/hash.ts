/**
 * The two hash functions of the ledger.
 * - keccak256: the Ethereum-facing hashes (addresses, transaction signing hash and hash),
 *   which Node 20's OpenSSL lacks. hash-wasm's WebAssembly keccak takes 0.75 µs for a
 *   110-byte transaction where @noble/hashes takes 5.6 µs (and native `keccak` 3.4 µs,
 *   its stream API costing more than the hash); every node hashes each transaction about
 *   four times, so it was 9% of a node's CPU at saturation (BENCHMARKS.md). The WASM
 *   instance is created once at load (top-level await); noble stays as the fallback
 *   where WebAssembly cannot be instantiated, and a test holds the two to the same output.
 * - sha256: every internal commitment (block hash, tx root, state tree), from node:crypto
 *   because it is about 3x faster than a JS hash on small inputs and these run per node
 *   per block on the hot path.
 */
import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createKeccak } from 'hash-wasm';

/** The reference implementation (tests compare the fast one with it). */
export const keccak256Noble = (data: Uint8Array): Uint8Array => keccak_256(data);

const wasmKeccak = await createKeccak(256).catch(() => undefined);

/** Which keccak implementation this process uses. */
export const keccakBackend: 'wasm' | 'noble' = wasmKeccak ? 'wasm' : 'noble';

export const keccak256: (data: Uint8Array) => Uint8Array = wasmKeccak
  ? (data) => {
      // synchronous init / update / digest on the one instance: no interleaving possible
      wasmKeccak.init();
      wasmKeccak.update(data);
      return wasmKeccak.digest('binary');
    }
  : keccak256Noble;

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
