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
  writeLatin1(scratch, 1, a);
  writeLatin1(scratch, 33, b);
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

/** Writes a latin1 string into `out` at `offset` (a loop beats Buffer#write for short strings). */
export function writeLatin1(out: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
}

/** Latin1 strings as Uint8Array views into one shared buffer (one allocation for all). */
export function packLatin1(texts: ReadonlyArray<string>): Uint8Array[] {
  let total = 0;
  for (const t of texts) total += t.length;
  const slab = new Uint8Array(total);
  const out: Uint8Array[] = new Array(texts.length);
  let offset = 0;
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    writeLatin1(slab, offset, t);
    out[i] = slab.subarray(offset, offset + t.length);
    offset += t.length;
  }
  return out;
}
