/**
 * The three hashes of the account tree (rules in tree.ts), over digests held as 32-character
 * latin1 strings (one character per byte, `Digest`).
 *
 * Why strings: node:crypto's one-shot `hash()` returning a latin1 string allocates no
 * ArrayBuffer, and tree updates are bound by hash count. Measured on Node 20.20 (2 cores,
 * shared machine) for sha256 over 65 bytes: about 2.2M/s chaining string digests, 0.9M/s
 * with Buffer digests, 0.5-0.7M/s with createHash().update().digest() (the sha256Parts of
 * ../crypto/hash.ts). The digests are the same sha256; the tests check them against
 * `sha256Parts`. Public functions of this folder take and return Uint8Array.
 */
import { hash } from 'node:crypto';

/** A 32-byte sha256 digest as a 32-character latin1 string. */
export type Digest = string;

/** The digest of an empty subtree, and the root of an empty tree. */
export const ZERO_DIGEST: Digest = '\0'.repeat(32);

const LEAF_PREFIX = 0x00;
const INTERNAL_PREFIX = 0x01;

// Filled and hashed synchronously inside one call, so sharing it is safe.
const scratch = Buffer.alloc(65);
// 'binary' is Node's alias of 'latin1' (the only spelling the typings accept for hash()).

/** sha256(value). */
export function valueDigest(value: Uint8Array): Digest {
  return hash('sha256', value, 'binary');
}

/** sha256(0x00 || keyHash || valueHash). */
export function leafDigest(keyHash: Digest, valueHash: Digest): Digest {
  scratch[0] = LEAF_PREFIX;
  return hashPair(keyHash, valueHash);
}

/** sha256(0x01 || left || right). */
export function internalDigest(left: Digest, right: Digest): Digest {
  scratch[0] = INTERNAL_PREFIX;
  return hashPair(left, right);
}

function hashPair(a: Digest, b: Digest): Digest {
  // A plain loop beats two Buffer#write calls for 32 characters.
  for (let i = 0; i < 32; i++) {
    scratch[1 + i] = a.charCodeAt(i);
    scratch[33 + i] = b.charCodeAt(i);
  }
  return hash('sha256', scratch, 'binary');
}

/** Bytes as a latin1 string (the form of digests and node ids inside this folder). */
export function latin1Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A latin1 string as a fresh Uint8Array of its own (for values kept by callers: roots, proofs). */
export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  Buffer.from(out.buffer, 0, out.length).write(text, 0, 'latin1');
  return out;
}

/**
 * A short latin1 string as a Uint8Array view into Node's shared Buffer pool: no ArrayBuffer
 * of its own, so cheap for node keys (read, or handed to the store, which copies them).
 */
export function pooledBytesOf(text: string): Uint8Array {
  const buf = Buffer.from(text, 'latin1');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
