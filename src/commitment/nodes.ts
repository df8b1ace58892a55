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

/**
 * An internal node, read lazily from its encoding. Decoding a node only reads its masks:
 * the digests of a slot or position are read from `base` when asked for, and an update
 * holds only what it changed (`held`, slots of `dirty`). A block touches about 3,000 nodes
 * and reads a few digests of each, so it allocates a few strings per node instead of all
 * of them (about 40 strings and four arrays per node, most of a block's young-generation
 * garbage, alive until the update ends and so copied by the scavenger).
 */
export interface InternalNode {
  kind: typeof INTERNAL_TAG;
  childMask: number;
  leafMask: number;
  /** The encoding that clean slots and positions are read from (undefined: a new node, all dirty). */
  base: Uint8Array | undefined;
  /** The masks of `base` (they give its layout). */
  baseChildMask: number;
  baseLeafMask: number;
  /**
   * Slots whose entries are in `held`, not in `base` (set by an update or a build). A
   * position is dirty when a dirty slot is under it; its digest is then in `held` once
   * `positionDigest` has recomputed it.
   */
  dirty: number;
  /**
   * Allocated on the first write. [n] the hash of slot n (for a leaf slot, derived on
   * demand and kept, also when the slot is clean), [16 + n] the keyHash and [32 + n] the
   * valueHash of a dirty leaf slot, [48 + pos] the digest of a dirty position (2..15).
   */
  held: Array<Digest | undefined> | undefined;
}

const HELD_KEY = 16;
const HELD_VALUE = 32;
const HELD_INNER = 48;

/** A new internal node with no children (for an update to fill; all of it dirty). */
export function newInternal(): InternalNode {
  return {
    kind: INTERNAL_TAG,
    childMask: 0,
    leafMask: 0,
    base: undefined,
    baseChildMask: 0,
    baseLeafMask: 0,
    dirty: 0xffff,
    held: new Array<Digest | undefined>(64),
  };
}

function heldOf(node: InternalNode): Array<Digest | undefined> {
  if (node.held === undefined) node.held = new Array<Digest | undefined>(64);
  return node.held;
}

/** Sets child slot `n` to a leaf (its hash may be undefined: derived when needed). */
export function setLeafSlot(
  node: InternalNode,
  n: number,
  keyHash: Digest,
  valueHash: Digest,
  hash: Digest | undefined,
): void {
  const bit = 1 << n;
  node.childMask |= bit;
  node.leafMask |= bit;
  node.dirty |= bit;
  const held = heldOf(node);
  held[n] = hash;
  held[HELD_KEY + n] = keyHash;
  held[HELD_VALUE + n] = valueHash;
}

/** Sets child slot `n` to an internal child with hash `hash`. */
export function setInternalSlot(node: InternalNode, n: number, hash: Digest): void {
  const bit = 1 << n;
  node.childMask |= bit;
  node.leafMask &= ~bit;
  node.dirty |= bit;
  const held = heldOf(node);
  held[n] = hash;
  held[HELD_KEY + n] = held[HELD_VALUE + n] = undefined;
}

/** Empties child slot `n`. */
export function clearSlot(node: InternalNode, n: number): void {
  const bit = 1 << n;
  node.childMask &= ~bit;
  node.leafMask &= ~bit;
  node.dirty |= bit;
  const held = heldOf(node);
  held[n] = held[HELD_KEY + n] = held[HELD_VALUE + n] = undefined;
}

// Digests read from node bytes: latin1Slice works on any Uint8Array, not only Buffers.
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

function readDigest(bytes: Uint8Array, offset: number): Digest {
  return latin1Slice.call(bytes, offset, offset + 32);
}

/** Offset in `base` of slot n's entry (a leaf's keyHash || valueHash, or a child's hash). */
function baseSlotOffset(node: InternalNode, n: number): number {
  const below = (1 << n) - 1;
  return (
    INTERNAL_HEADER_BYTES +
    32 * (popcount16(node.baseChildMask & below) + popcount16(node.baseLeafMask & below))
  );
}

/** Offset in `base` of the digest of position `pos` (2..15, hashed under the base masks). */
function baseInnerOffset(node: InternalNode, pos: number): number {
  const c = node.baseChildMask;
  const l = node.baseLeafMask;
  let offset = INTERNAL_HEADER_BYTES + 32 * (popcount16(c) + popcount16(l));
  for (let p = 2; p < pos; p++) if (isHashed(c, l, p)) offset += 32;
  return offset;
}

/** keyHash of leaf slot `n`. */
export function leafKeyHash(node: InternalNode, n: number): Digest {
  if (node.dirty & (1 << n)) return node.held![HELD_KEY + n]!;
  return readDigest(node.base!, baseSlotOffset(node, n));
}

/** valueHash of leaf slot `n`. */
export function leafValueHash(node: InternalNode, n: number): Digest {
  if (node.dirty & (1 << n)) return node.held![HELD_VALUE + n]!;
  return readDigest(node.base!, baseSlotOffset(node, n) + 32);
}

/** The known hash of slot n without deriving a leaf's: undefined for a leaf not hashed yet. */
export function knownSlotHash(node: InternalNode, n: number): Digest | undefined {
  const bit = 1 << n;
  if ((node.childMask & bit) === 0) return undefined;
  const held = node.held?.[n];
  if (held !== undefined || node.dirty & bit || node.leafMask & bit) return held;
  return readDigest(node.base!, baseSlotOffset(node, n));
}

/** The digest of dirty-free position `pos` (2..15), or of a dirty one already recomputed. */
function innerDigest(node: InternalNode, pos: number): Digest {
  if (node.dirty & POS_RANGE[pos]) return node.held![HELD_INNER + pos]!;
  return readDigest(node.base!, baseInnerOffset(node, pos));
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

export type TreeNode = LeafNode | InternalNode;

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

/** The node at `id`, decoded, or undefined when there is none. */
export function getDecoded(reader: TreeReader, id: string): TreeNode | undefined {
  const bytes = getNodeById(reader, id);
  return bytes === undefined ? undefined : decodeNode(bytes, id);
}

/** Reads the internal node at `id` (not the root: only the root may be a leaf). */
export function readInternal(reader: TreeReader, id: string): InternalNode {
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

/** Encodes an internal node; every dirty position must have been recomputed (positionDigest). */
export function encodeInternal(node: InternalNode): Uint8Array {
  const out = new Uint8Array(internalSize(node.childMask, node.leafMask));
  encodeInternalInto(out, node);
  return out;
}

function copyBytes(out: Uint8Array, at: number, from: Uint8Array, start: number, length: number): void {
  for (let i = 0; i < length; i++) out[at + i] = from[start + i];
}

/**
 * Encodes an internal node into `out`, which has exactly `internalSize` bytes. Clean
 * entries are copied from `base` (all of it at once when the layout is unchanged), dirty
 * ones written from `held`. Every dirty position must have been recomputed (positionDigest).
 */
export function encodeInternalInto(out: Uint8Array, node: InternalNode): void {
  const { childMask, leafMask, base, dirty } = node;
  const held = node.held;
  if (base !== undefined && childMask === node.baseChildMask && leafMask === node.baseLeafMask) {
    // Same layout: a copy of the old bytes with the dirty entries overwritten.
    out.set(base);
    if (dirty === 0) return;
    let offset = INTERNAL_HEADER_BYTES;
    for (let n = 0; n < 16; n++) {
      const bit = 1 << n;
      if (leafMask & bit) {
        if (dirty & bit) {
          writeLatin1(out, offset, held![HELD_KEY + n]!);
          writeLatin1(out, offset + 32, held![HELD_VALUE + n]!);
        }
        offset += 64;
      } else if (childMask & bit) {
        if (dirty & bit) writeLatin1(out, offset, held![n]!);
        offset += 32;
      }
    }
    for (let pos = 2; pos < 16; pos++) {
      if (isHashed(childMask, leafMask, pos)) {
        if (dirty & POS_RANGE[pos]) writeLatin1(out, offset, held![HELD_INNER + pos]!);
        offset += 32;
      }
    }
    return;
  }
  out[0] = INTERNAL_TAG;
  out[1] = childMask >> 8;
  out[2] = childMask & 0xff;
  out[3] = leafMask >> 8;
  out[4] = leafMask & 0xff;
  let offset = INTERNAL_HEADER_BYTES;
  for (let n = 0; n < 16; n++) {
    const bit = 1 << n;
    if ((childMask & bit) === 0) continue;
    const width = leafMask & bit ? 64 : 32;
    if ((dirty & bit) === 0) {
      copyBytes(out, offset, base!, baseSlotOffset(node, n), width);
    } else if (width === 64) {
      writeLatin1(out, offset, held![HELD_KEY + n]!);
      writeLatin1(out, offset + 32, held![HELD_VALUE + n]!);
    } else {
      writeLatin1(out, offset, held![n]!);
    }
    offset += width;
  }
  // A clean position has the same slots under it as in `base`, so it is stored there too.
  for (let pos = 2; pos < 16; pos++) {
    if (!isHashed(childMask, leafMask, pos)) continue;
    if (dirty & POS_RANGE[pos]) writeLatin1(out, offset, held![HELD_INNER + pos]!);
    else copyBytes(out, offset, base!, baseInnerOffset(node, pos), 32);
    offset += 32;
  }
}

/** Decodes a stored node (an internal node lazily: masks only); `id` only names the node in the error. */
export function decodeNode(bytes: Uint8Array, id: string): TreeNode {
  if (bytes.length === LEAF_BYTES && bytes[0] === LEAF_TAG) {
    return { kind: LEAF_TAG, keyHash: readDigest(bytes, 1), valueHash: readDigest(bytes, 33) };
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
      return {
        kind: INTERNAL_TAG,
        childMask,
        leafMask,
        base: bytes,
        baseChildMask: childMask,
        baseLeafMask: leafMask,
        dirty: 0,
        held: undefined,
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
export function slotDigest(node: InternalNode, n: number): Digest {
  const known = knownSlotHash(node, n);
  if (known !== undefined) return known;
  if ((node.leafMask & (1 << n)) === 0) return ZERO_DIGEST;
  const digest = leafDigest(leafKeyHash(node, n), leafValueHash(node, n));
  heldOf(node)[n] = digest;
  return digest;
}

/**
 * The digest of position `pos` of an internal node (1 = the node's own hash), under the
 * logical rules: empty -> ZERO_DIGEST; a single leaf -> that leaf's hash (collapsed); a
 * single slot -> its child's hash; otherwise sha256(0x01 || left || right). Positions
 * that no slot of `changed` falls under are read from the node; the others are
 * recomputed and kept in `held`, ready for `encodeInternal`. `changed` must include every
 * dirty slot of the node.
 */
export function positionDigest(node: InternalNode, pos: number, changed: number): Digest {
  if (pos >= 16) return slotDigest(node, pos - 16);
  const range = POS_RANGE[pos];
  const present = node.childMask & range;
  if (present === 0) return ZERO_DIGEST;
  if ((present & (present - 1)) === 0 && (node.leafMask & present) !== 0) {
    return slotDigest(node, 31 - Math.clz32(present));
  }
  if (pos > 1 && (changed & range) === 0) return innerDigest(node, pos);
  const digest = internalDigest(
    positionDigest(node, 2 * pos, changed),
    positionDigest(node, 2 * pos + 1, changed),
  );
  heldOf(node)[HELD_INNER + pos] = digest;
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
