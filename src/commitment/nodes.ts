/**
 * Byte encoding of the stored nodes of the account tree (the layout is described in
 * tree.ts). Pure functions; every decode checks the shape and throws CORRUPT_TREE_NODE.
 *
 * Node key (the nibble path of the node), 1..33 bytes:
 *   packed nibbles, high nibble first, an odd last nibble padded with 0 || nibble count (u8, 0..64)
 *   The root is [0x00]. The count goes last so that byte order is pre-order (a node sorts
 *   right before its subtree), which keeps a subtree contiguous in an ordered store.
 *
 * Node value:
 *   leaf      0x00 || keyHash (32) || valueHash (32)                          65 bytes
 *             only at the root key, when the map holds exactly one key
 *   internal  0x01 || childMask (u16 BE) || leafMask (u16 BE)
 *             || for each child, by nibble: keyHash (32) || valueHash (32) for a leaf,
 *                the child's 32-byte hash for an internal child
 *             || the 32-byte inner digests of the node, by position
 *             bit i of childMask: child i exists; bit i of leafMask: child i is a leaf
 *             (leafMask is a subset of childMask). An internal node covers two or more leaves:
 *             two or more children, or a single child that is internal.
 *   valueHash is sha256(value). A leaf child's hash, sha256(0x00 || keyHash || valueHash),
 *   is not stored: it is derived when needed (one hash, and only for the leaves next to a
 *   changed slot or a proof's path: about 2,700 per 2,000 updates at 100k accounts, ~1 ms,
 *   where storing it would add 32 bytes per leaf child to every written node). The value
 *   bytes are not in the tree at all: the caller keeps them (the store's `accounts`
 *   bucket), and the tree needs only their hash.
 *
 * Positions inside an internal node number its four logical binary levels like a heap:
 * 1 is the node itself, 2..3 its halves (8 slots each), 4..7 quarters, 8..15 pairs of
 * slots, 16 + n the child slot n. The inner digests are those of positions 2..15 that are
 * real internal hashes (two or more leaves below: not empty, not one collapsed leaf, not
 * one slot); the masks tell which, so they need no index. Position 1 is not stored: it is
 * the hash the parent records. Storing them lets an update rehash only the positions
 * above changed slots (4 hashes per changed slot instead of up to 15 per node: 18k instead
 * of 34k hashes for 2,000 updates at 100k accounts) and a proof read its siblings without
 * hashing.
 *
 * Inside this folder keys, key hashes and digests are latin1 strings (`Digest`, hashing.ts);
 * a node id is the node key as such a string.
 */
import { CommitmentError } from './errors.js';
import { type Digest, internalDigest, leafDigest, writeLatin1, ZERO_DIGEST } from './hashing.js';
import type { TreeReader } from './interface.js';

export const LEAF_TAG = 0x00;
export const INTERNAL_TAG = 0x01;
const LEAF_BYTES = 65;
const INTERNAL_HEADER_BYTES = 5;

/** The stored leaf: only at the root, when the map holds exactly one key. */
export interface LeafNode {
  kind: typeof LEAF_TAG;
  keyHash: Digest;
  valueHash: Digest;
}

/** The arrays are indexed by nibble (16 slots); entries of empty slots are undefined. */
export interface InternalNode {
  kind: typeof INTERNAL_TAG;
  childMask: number;
  leafMask: number;
  /**
   * The child's hash. For a leaf child it is derived on demand and may be undefined
   * (`slotDigest` fills it in).
   */
  hashes: Array<Digest | undefined>;
  /** keyHash and valueHash of each leaf child. */
  keyHashes: Array<Digest | undefined>;
  valueHashes: Array<Digest | undefined>;
  /** Inner digests by position (2..15); only those that `isHashed` are meaningful. */
  inner: Array<Digest | undefined>;
}

/** An internal node as decoded, with the bytes and masks it was decoded from. */
export interface StoredInternalNode extends InternalNode {
  encoded: Uint8Array;
  /**
   * Held by a reader that hands the same object to every caller (an overlay, overlay.ts):
   * an update copies its arrays before changing them. A node only this caller holds
   * (just decoded from bytes) is updated in place.
   */
  shared: boolean;
}

/** The mask of the child slots under each position 1..15. */
const POS_RANGE: number[] = [0];
for (let pos = 1; pos < 16; pos++) {
  const level = 31 - Math.clz32(pos);
  const width = 16 >> level;
  POS_RANGE[pos] = ((1 << width) - 1) << ((pos - (1 << level)) * width);
}

/** Whether position `pos` (1..15) is a real internal hash under these masks. */
function isHashed(childMask: number, leafMask: number, pos: number): boolean {
  const present = childMask & POS_RANGE[pos];
  if (present === 0) return false;
  return (present & (present - 1)) !== 0 || (leafMask & present) === 0;
}

function hashedPositions(childMask: number, leafMask: number): number {
  let count = 0;
  for (let pos = 2; pos < 16; pos++) if (isHashed(childMask, leafMask, pos)) count++;
  return count;
}

export type TreeNode = LeafNode | StoredInternalNode;

/** The nibble of a key hash at nibble depth `depth` (0..63). */
export function nibbleAt(keyHash: Digest, depth: number): number {
  const byte = keyHash.charCodeAt(depth >> 1);
  return depth & 1 ? byte & 0x0f : byte >> 4;
}

/** The id of the node at the first `nibbles` nibbles of `keyHash`. */
export function nodeId(keyHash: Digest, nibbles: number): string {
  const packed = (nibbles + 1) >> 1;
  if (nibbles & 1) {
    const last = String.fromCharCode(keyHash.charCodeAt(packed - 1) & 0xf0);
    return keyHash.slice(0, packed - 1) + last + String.fromCharCode(nibbles);
  }
  return keyHash.slice(0, packed) + String.fromCharCode(nibbles);
}

/** The id of child `nibble` of the node at the first `depth` nibbles of `keyHash`. */
export function childId(keyHash: Digest, depth: number, nibble: number): string {
  const i = depth >> 1;
  const byte = depth & 1 ? (keyHash.charCodeAt(i) & 0xf0) | nibble : nibble << 4;
  return keyHash.slice(0, i) + String.fromCharCode(byte, depth + 1);
}

export const ROOT_ID: string = nodeId(ZERO_DIGEST, 0);

// Node keys handed to TreeReader.getNode: one buffer, one prebuilt view per key length
// (1..33), so a read allocates nothing. The reader must not keep the key (interface.ts).
const keyScratch = new Uint8Array(33);
const keyViews: Uint8Array[] = Array.from({ length: 34 }, (_, n) => keyScratch.subarray(0, n));

/** Reads the node with id `id`, if stored (through the reader's string fast path if it has one). */
export function getNodeById(reader: TreeReader, id: string): Uint8Array | undefined {
  if (reader.getNodeById !== undefined) return reader.getNodeById(id);
  writeLatin1(keyScratch, 0, id);
  return reader.getNode(keyViews[id.length]);
}

/** The method of a reader that hands back decoded nodes (the overlays of overlay.ts). */
export const READ_DECODED: unique symbol = Symbol('readDecoded');

export interface DecodingReader extends TreeReader {
  /** The decoded node at `id`, or undefined when there is none. */
  [READ_DECODED](id: string): TreeNode | undefined;
}

/** The decoded node at `id`, or undefined: from a decoding reader as is, else read and decoded. */
export function getDecoded(reader: TreeReader, id: string): TreeNode | undefined {
  if (READ_DECODED in reader) return (reader as DecodingReader)[READ_DECODED](id);
  const bytes = getNodeById(reader, id);
  return bytes === undefined ? undefined : decodeNode(bytes, id);
}

/** Reads the internal node at `id` (not the root: only the root may be a leaf). */
export function readInternal(reader: TreeReader, id: string): StoredInternalNode {
  const node = getDecoded(reader, id);
  if (node === undefined) throw missingNode(id);
  if (node.kind !== INTERNAL_TAG) throw kindMismatch(id);
  return node;
}

function missingNode(id: string): CommitmentError {
  return new CommitmentError('MISSING_TREE_NODE', `tree node ${hexOf(id)} is missing`);
}

export function encodeLeaf(keyHash: Digest, valueHash: Digest): Uint8Array {
  const out = new Uint8Array(LEAF_BYTES);
  out[0] = LEAF_TAG;
  writeLatin1(out, 1, keyHash);
  writeLatin1(out, 33, valueHash);
  return out;
}

/** The encoded size of an internal node with these masks. */
export function internalSize(childMask: number, leafMask: number): number {
  return (
    INTERNAL_HEADER_BYTES +
    32 * (popcount16(childMask) + popcount16(leafMask) + hashedPositions(childMask, leafMask))
  );
}

/** Encodes an internal node; `inner` must hold the current digest of every hashed position. */
export function encodeInternal(node: Omit<InternalNode, 'kind'>): Uint8Array {
  const out = new Uint8Array(internalSize(node.childMask, node.leafMask));
  encodeInternalInto(out, node);
  return out;
}

/** Encodes an internal node into `out`, which has exactly `internalSize` bytes. */
export function encodeInternalInto(out: Uint8Array, node: Omit<InternalNode, 'kind'>): void {
  const { childMask, leafMask, hashes, keyHashes, valueHashes, inner } = node;
  out[0] = INTERNAL_TAG;
  out[1] = childMask >> 8;
  out[2] = childMask & 0xff;
  out[3] = leafMask >> 8;
  out[4] = leafMask & 0xff;
  let offset = INTERNAL_HEADER_BYTES;
  for (let n = 0; n < 16; n++) {
    const bit = 1 << n;
    if (leafMask & bit) {
      writeLatin1(out, offset, keyHashes[n]!);
      writeLatin1(out, offset + 32, valueHashes[n]!);
      offset += 64;
    } else if (childMask & bit) {
      writeLatin1(out, offset, hashes[n]!);
      offset += 32;
    }
  }
  for (let pos = 2; pos < 16; pos++) {
    if (isHashed(childMask, leafMask, pos)) {
      writeLatin1(out, offset, inner[pos]!);
      offset += 32;
    }
  }
}

/**
 * Encodes `node` into `out` when only the children in `changed` changed since `base` (its
 * old bytes) and none appeared, disappeared or changed kind (same masks, so the same
 * layout): a copy of `base` with the changed children and the inner digests above them
 * overwritten. `node` must hold the new children and digests (positionDigest writes them).
 */
export function encodeInternalPatchInto(
  out: Uint8Array,
  base: Uint8Array,
  node: Omit<InternalNode, 'kind'>,
  changed: number,
): void {
  const { childMask, leafMask, hashes, keyHashes, valueHashes, inner } = node;
  out.set(base);
  let offset = INTERNAL_HEADER_BYTES;
  for (let n = 0; n < 16; n++) {
    const bit = 1 << n;
    if (leafMask & bit) {
      if (changed & bit) {
        writeLatin1(out, offset, keyHashes[n]!);
        writeLatin1(out, offset + 32, valueHashes[n]!);
      }
      offset += 64;
    } else if (childMask & bit) {
      if (changed & bit) writeLatin1(out, offset, hashes[n]!);
      offset += 32;
    }
  }
  for (let pos = 2; pos < 16; pos++) {
    if (isHashed(childMask, leafMask, pos)) {
      if (changed & POS_RANGE[pos]) writeLatin1(out, offset, inner[pos]!);
      offset += 32;
    }
  }
}

/** Decodes a stored node; `id` only names the node in the error. */
export function decodeNode(bytes: Uint8Array, id: string): TreeNode {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length === LEAF_BYTES && bytes[0] === LEAF_TAG) {
    return {
      kind: LEAF_TAG,
      keyHash: view.toString('latin1', 1, 33),
      valueHash: view.toString('latin1', 33, LEAF_BYTES),
    };
  }
  if (bytes.length >= INTERNAL_HEADER_BYTES && bytes[0] === INTERNAL_TAG) {
    const childMask = (bytes[1] << 8) | bytes[2];
    const leafMask = (bytes[3] << 8) | bytes[4];
    const count = popcount16(childMask);
    const valid =
      (leafMask & ~childMask) === 0 &&
      (count >= 2 || (count === 1 && leafMask === 0)) &&
      bytes.length ===
        INTERNAL_HEADER_BYTES + 32 * (count + popcount16(leafMask) + hashedPositions(childMask, leafMask));
    if (valid) {
      // One string for all the digests, sliced: much cheaper than a toString each.
      const all = view.toString('latin1', INTERNAL_HEADER_BYTES);
      const hashes = new Array<Digest | undefined>(16);
      const keyHashes = new Array<Digest | undefined>(16);
      const valueHashes = new Array<Digest | undefined>(16);
      const inner = new Array<Digest | undefined>(16);
      let offset = 0;
      for (let n = 0; n < 16; n++) {
        const bit = 1 << n;
        if (leafMask & bit) {
          keyHashes[n] = all.slice(offset, offset + 32);
          valueHashes[n] = all.slice(offset + 32, offset + 64);
          offset += 64;
        } else if (childMask & bit) {
          hashes[n] = all.slice(offset, offset + 32);
          offset += 32;
        }
      }
      for (let pos = 2; pos < 16; pos++) {
        if (isHashed(childMask, leafMask, pos)) {
          inner[pos] = all.slice(offset, offset + 32);
          offset += 32;
        }
      }
      return {
        kind: INTERNAL_TAG,
        childMask,
        leafMask,
        hashes,
        keyHashes,
        valueHashes,
        inner,
        encoded: bytes,
        shared: false,
      };
    }
  }
  throw new CommitmentError('CORRUPT_TREE_NODE', `tree node ${hexOf(id)} does not decode`);
}

/** The error for a node whose kind is not the one its parent records. */
export function kindMismatch(id: string): CommitmentError {
  return new CommitmentError(
    'CORRUPT_TREE_NODE',
    `tree node ${hexOf(id)} is not of the kind its parent says`,
  );
}

/** The hash of child slot `n`: ZERO_DIGEST when empty; a leaf's is derived once and kept. */
export function slotDigest(node: Omit<InternalNode, 'kind'>, n: number): Digest {
  const known = node.hashes[n];
  if (known !== undefined) return known;
  if ((node.leafMask & (1 << n)) === 0) return ZERO_DIGEST;
  const digest = leafDigest(node.keyHashes[n]!, node.valueHashes[n]!);
  node.hashes[n] = digest;
  return digest;
}

/**
 * The digest of position `pos` of an internal node (1 = the node's own hash), under the
 * logical rules: empty -> ZERO_DIGEST; a single leaf -> that leaf's hash (collapsed); a
 * single slot -> its child's hash; otherwise sha256(0x01 || left || right). Positions
 * that no slot of `changed` falls under are read from `node.inner`; the others are
 * recomputed and written back to `node.inner`, ready for `encodeInternal`.
 */
export function positionDigest(node: Omit<InternalNode, 'kind'>, pos: number, changed: number): Digest {
  if (pos >= 16) return slotDigest(node, pos - 16);
  const range = POS_RANGE[pos];
  const present = node.childMask & range;
  if (present === 0) return ZERO_DIGEST;
  if ((present & (present - 1)) === 0 && (node.leafMask & present) !== 0) {
    return slotDigest(node, 31 - Math.clz32(present));
  }
  if (pos > 1 && (changed & range) === 0) return node.inner[pos]!;
  const digest = internalDigest(
    positionDigest(node, 2 * pos, changed),
    positionDigest(node, 2 * pos + 1, changed),
  );
  node.inner[pos] = digest;
  return digest;
}

/** The mask of the child slots under position `pos` (1..31). */
export function positionRange(pos: number): number {
  return pos < 16 ? POS_RANGE[pos] : 1 << (pos - 16);
}

export function popcount16(mask: number): number {
  let m = mask - ((mask >> 1) & 0x5555);
  m = (m & 0x3333) + ((m >> 2) & 0x3333);
  m = (m + (m >> 4)) & 0x0f0f;
  return (m + (m >> 8)) & 0x1f;
}

function hexOf(id: string): string {
  return `0x${Buffer.from(id, 'latin1').toString('hex')}`;
}
