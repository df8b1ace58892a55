/**
 * Inclusion and absence proofs for the account tree (logical rules in tree.ts).
 *
 * A proof is the path of keyHash from the root down to where the logical tree ends it:
 *   - at a leaf: the key's own leaf (inclusion), or another key's leaf that is alone in
 *     the subtree the key would belong to (absence);
 *   - at an empty subtree (absence).
 * `siblings[i]` is the hash of the sibling at binary depth i (root side first). The
 * verifier folds them from the bottom with the bits of keyHash. A leaf found for an
 * absent key must share the first siblings.length bits with it, else it is not on the path
 * (against a real root the hashes already imply it; checked anyway, as Diem does).
 *
 * Proof bytes (compact; about 0.6 KB at 100k accounts):
 *   flags (u8: 0x00 = ends at an empty subtree, 0x01 = ends at a leaf)
 *   [leaf keyHash (32) || leaf valueHash (32)]        when flags = 0x01
 *   sibling count (u16 BE, 0..256)
 *   bitmap, ceil(count / 8) bytes: bit i (most significant bit of byte 0 first) is set
 *     when siblings[i] is not empty; unused trailing bits are 0
 *   the 32-byte non-empty siblings, root side first
 * Decoding is strict (one encoding per proof): anything else throws INVALID_PROOF_ENCODING.
 */
import { equalBytes } from '../crypto/bytes.js';
import { CommitmentError } from './errors.js';
import {
  bytesOf,
  type Digest,
  internalDigest,
  latin1Of,
  leafDigest,
  valueDigest,
  ZERO_DIGEST,
} from './hashing.js';
import type { TreeProof, TreeReader } from './interface.js';
import {
  getDecoded,
  INTERNAL_TAG,
  leafKeyHash,
  leafValueHash,
  nibbleAt,
  nodeId,
  positionDigest,
  positionRange,
  ROOT_ID,
  readInternal,
} from './nodes.js';

const ZERO_BYTES = new Uint8Array(32);

/** The most siblings a path can have: one per level of the 256-level tree. */
export const MAX_PROOF_SIBLINGS = 256;

/** The proof for `keyHash` (inclusion if present, absence otherwise) in the map held by `reader`. */
export function proveKey(reader: TreeReader, keyHash: Uint8Array): TreeProof {
  if (!isBytes(keyHash, 32))
    throw new CommitmentError('INVALID_KEY_HASH', 'a tree key hash must be 32 bytes');
  const key = latin1Of(keyHash);
  const siblings: Digest[] = [];
  const done = (leafKey: Digest | undefined, leafValue: Digest | undefined): TreeProof => ({
    leaf:
      leafKey === undefined || leafValue === undefined
        ? null
        : { keyHash: bytesOf(leafKey), valueHash: bytesOf(leafValue) },
    siblings: siblings.map(bytesOf),
  });
  const root = getDecoded(reader, ROOT_ID);
  if (root === undefined) return done(undefined, undefined);
  let node = root;
  if (node.kind !== INTERNAL_TAG) return done(node.keyHash, node.valueHash);
  for (let depth = 0; ; depth++) {
    // Walk the four binary levels inside the node towards slot n (positions: nodes.ts).
    const n = nibbleAt(key, depth);
    for (let pos = 1; ; ) {
      const present = node.childMask & positionRange(pos);
      if (present === 0) return done(undefined, undefined);
      if ((present & (present - 1)) === 0 && (node.leafMask & present) !== 0) {
        // A single leaf, collapsed up to here; the node holds its hashes.
        const m = 31 - Math.clz32(present);
        return done(leafKeyHash(node, m), leafValueHash(node, m));
      }
      if (pos >= 16) break; // an internal child at slot n: descend
      const right = 2 * pos + 1;
      const goRight = (positionRange(right) & (1 << n)) !== 0;
      siblings.push(positionDigest(node, goRight ? 2 * pos : right, 0));
      pos = goRight ? right : 2 * pos;
    }
    node = readInternal(reader, nodeId(key, depth + 1));
  }
}

/**
 * Checks `proof` against `root`: that `keyHash` maps to `value`, or is absent when
 * `value` is null. Pure; returns false (never throws) for any malformed input.
 */
export function verifyProof(
  root: Uint8Array,
  keyHash: Uint8Array,
  value: Uint8Array | null,
  proof: TreeProof,
): boolean {
  if (!isBytes(root, 32) || !isBytes(keyHash, 32) || (value !== null && !(value instanceof Uint8Array))) {
    return false;
  }
  if (typeof proof !== 'object' || proof === null) return false;
  const { leaf, siblings } = proof;
  if (!Array.isArray(siblings) || siblings.length > MAX_PROOF_SIBLINGS) return false;
  const key = latin1Of(keyHash);
  let current: Digest;
  if (leaf) {
    if (!isBytes(leaf.keyHash, 32) || !isBytes(leaf.valueHash, 32)) return false;
    const leafKey = latin1Of(leaf.keyHash);
    const leafValue = latin1Of(leaf.valueHash);
    // The leaf must sit on the path of `key`, else it says nothing about `key`.
    if (!sharesBits(leafKey, key, siblings.length)) return false;
    if (value === null ? leafKey === key : leafKey !== key || leafValue !== valueDigest(value)) return false;
    current = leafDigest(leafKey, leafValue);
  } else {
    if (value !== null) return false;
    current = ZERO_DIGEST;
  }
  for (let depth = siblings.length - 1; depth >= 0; depth--) {
    const sibling = siblings[depth];
    if (!isBytes(sibling, 32)) return false;
    const s = latin1Of(sibling);
    current = bitAt(key, depth) ? internalDigest(s, current) : internalDigest(current, s);
  }
  return current === latin1Of(root);
}

/** Encodes a proof as bytes (format above); throws INVALID_PROOF_ENCODING for a malformed one. */
export function encodeProof(proof: TreeProof): Uint8Array {
  const { leaf, siblings } = proof;
  const wellFormed =
    siblings.length <= MAX_PROOF_SIBLINGS &&
    siblings.every((s) => isBytes(s, 32)) &&
    (leaf === null || (isBytes(leaf.keyHash, 32) && isBytes(leaf.valueHash, 32)));
  if (!wellFormed) {
    throw new CommitmentError(
      'INVALID_PROOF_ENCODING',
      `a proof has at most ${MAX_PROOF_SIBLINGS} siblings and only 32-byte hashes`,
    );
  }
  const bitmapBytes = (siblings.length + 7) >> 3;
  let present = 0;
  for (const s of siblings) if (!equalBytes(s, ZERO_BYTES)) present++;
  const out = new Uint8Array(1 + (leaf ? 64 : 0) + 2 + bitmapBytes + 32 * present);
  let offset = 0;
  out[offset++] = leaf ? 1 : 0;
  if (leaf) {
    out.set(leaf.keyHash, offset);
    out.set(leaf.valueHash, offset + 32);
    offset += 64;
  }
  out[offset++] = siblings.length >> 8;
  out[offset++] = siblings.length & 0xff;
  const bitmapAt = offset;
  offset += bitmapBytes;
  siblings.forEach((s, i) => {
    if (equalBytes(s, ZERO_BYTES)) return;
    out[bitmapAt + (i >> 3)] |= 0x80 >> (i & 7);
    out.set(s, offset);
    offset += 32;
  });
  return out;
}

/** Decodes proof bytes; throws CommitmentError INVALID_PROOF_ENCODING on anything malformed. */
export function decodeProof(bytes: Uint8Array): TreeProof {
  const fail = (why: string): never => {
    throw new CommitmentError('INVALID_PROOF_ENCODING', `proof does not decode: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('not bytes');
  let offset = 0;
  const need = (n: number) => {
    if (bytes.length - offset < n) fail('truncated');
  };
  need(1);
  const flags = bytes[offset++];
  if (flags > 1) fail('unknown flags');
  let leaf: TreeProof['leaf'] = null;
  if (flags === 1) {
    need(64);
    leaf = { keyHash: copyOut(bytes, offset, 32), valueHash: copyOut(bytes, offset + 32, 32) };
    offset += 64;
  }
  need(2);
  const count = (bytes[offset] << 8) | bytes[offset + 1];
  offset += 2;
  if (count > MAX_PROOF_SIBLINGS) fail('too many siblings');
  const bitmapBytes = (count + 7) >> 3;
  need(bitmapBytes);
  const bitmapAt = offset;
  offset += bitmapBytes;
  if (count & 7 && (bytes[bitmapAt + bitmapBytes - 1] & (0xff >> (count & 7))) !== 0) {
    fail('nonzero padding bits');
  }
  const siblings: Uint8Array[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (bytes[bitmapAt + (i >> 3)] & (0x80 >> (i & 7))) {
      need(32);
      const sibling = copyOut(bytes, offset, 32);
      if (equalBytes(sibling, ZERO_BYTES)) fail('an empty sibling marked as present');
      siblings[i] = sibling;
      offset += 32;
    } else {
      siblings[i] = new Uint8Array(32);
    }
  }
  if (offset !== bytes.length) fail('trailing bytes');
  return { leaf, siblings };
}

/** A plain Uint8Array copy of `length` bytes at `offset` (also when `bytes` is a Buffer). */
function copyOut(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  return new Uint8Array(bytes.subarray(offset, offset + length));
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

/** The bit of a key hash at binary depth `depth` (0..255), most significant first. */
function bitAt(key: Digest, depth: number): number {
  return (key.charCodeAt(depth >> 3) >> (7 - (depth & 7))) & 1;
}

/** Whether a and b agree on their first `bits` bits. */
function sharesBits(a: Digest, b: Digest, bits: number): boolean {
  const whole = bits >> 3;
  if (a.slice(0, whole) !== b.slice(0, whole)) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a.charCodeAt(whole) & mask) === (b.charCodeAt(whole) & mask);
}
