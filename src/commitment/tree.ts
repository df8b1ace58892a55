/**
 * The account tree: an authenticated map from 32-byte key hashes to opaque values, a
 * sparse Merkle tree in the style of the Jellyfish Merkle tree (Diem/Aptos), updated
 * incrementally per block. Accounts are keyed by keyHash = sha256(address) (accountKey).
 *
 * Logical tree (what the root commits to; proofs are checked against it)
 *   - A binary tree of 256 levels; the path of a key is the bits of keyHash, most
 *     significant bit of byte 0 first, 0 = left, 1 = right.
 *   - The hash of an empty subtree is 32 zero bytes; so is the root of the empty map
 *     (EMPTY_ROOT).
 *   - leaf hash     = sha256(0x00 || keyHash || sha256(value))
 *   - internal hash = sha256(0x01 || left || right)
 *   - A subtree that holds exactly one leaf is represented by that leaf's hash at the
 *     subtree's root (the leaf is collapsed upward), so the depth is about log2(n) and a
 *     leaf's hash does not depend on where it sits. A subtree with two or more leaves is
 *     always an internal hash, even when one side is empty.
 *
 * Physical layout (what the store holds; encodings in nodes.ts)
 *   - Internal nodes sit at nibble boundaries and are 16-ary: the node at nibble path P
 *     stores, for each child slot P+n that is not empty, either the leaf that sits there
 *     (its keyHash and valueHash) or the hash of the internal child. Its hash is the
 *     binary Merkle hash of those 16 slots under the rules above (four logical levels);
 *     the node also stores the digests of those levels inside it, so that an update
 *     rehashes only the path above a changed slot and a proof reads its siblings. A node
 *     exists at P exactly when the subtree under P holds two or more leaves.
 *   - Leaves are not stored on their own: a leaf lives in its parent, at the slot where the
 *     logical tree puts it (the shortest nibble path under which it is alone). The one
 *     exception is the map of exactly one key, whose leaf (keyHash, valueHash) is stored
 *     at the root path. The values themselves are not stored: the tree needs only their
 *     sha256, and the caller keeps the values (the store's `accounts` bucket).
 *   - Nodes are addressed by nibble path, so the store holds only the latest version: an
 *     update returns the nodes to put and the paths that became stale, to delete in the
 *     same transaction. The stored nodes are a function of the map alone (not of the
 *     history of updates), so two stores holding the same map are byte-identical.
 *
 * Update: the changes are sorted by keyHash and the tree is walked once from the root,
 * descending only into slots that some change falls under, so each touched internal node
 * is read once and written once, and a block writes one node per touched internal node
 * (not one more per changed leaf). A new key that lands on a leaf slot pushes the old leaf
 * down to where the two diverge; a delete that leaves a single leaf under a node removes
 * the node and moves the leaf up. Either way the moved leaf is its keyHash and valueHash,
 * taken from the node that held it: an update never needs the value of a leaf it does not
 * change.
 */
import { hash } from 'node:crypto';
import { CommitmentError } from './errors.js';
import {
  bytesOf,
  type Digest,
  latin1Of,
  leafDigest,
  packLatin1,
  valueDigest,
  writeLatin1,
  ZERO_DIGEST,
} from './hashing.js';
import type { TreeChange, TreeReader, TreeUpdate } from './interface.js';
import {
  childId,
  clearSlot,
  encodeInternalInto,
  encodeLeaf,
  getDecoded,
  INTERNAL_TAG,
  type InternalNode,
  internalSize,
  knownSlotHash,
  leafKeyHash,
  leafValueHash,
  newInternal,
  nibbleAt,
  nodeId,
  popcount16,
  positionDigest,
  ROOT_ID,
  readInternal,
  setInternalSlot,
  setLeafSlot,
  type TreeNode,
} from './nodes.js';
import { attachNodes } from './overlay.js';

/** The root of the empty map: 32 zero bytes. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(32);

/** The tree key of an account: sha256 of its 20-byte address. */
export function accountKey(address: Uint8Array): Uint8Array {
  const digest = hash('sha256', address, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** accountKey of each address, as views into one shared buffer. */
export function accountKeys(addresses: ReadonlyArray<Uint8Array>): Uint8Array[] {
  const slab = new Uint8Array(32 * addresses.length);
  return addresses.map((address, i) => {
    const at = 32 * i;
    writeLatin1(slab, at, valueDigest(address)); // sha256(address)
    return slab.subarray(at, at + 32);
  });
}

/** The root hash of the map held by `reader`. */
export function rootOf(reader: TreeReader): Uint8Array {
  const node = getDecoded(reader, ROOT_ID);
  if (node === undefined) return new Uint8Array(32);
  return bytesOf(nodeDigest(node));
}

/**
 * Applies a batch of changes to the map held by `reader` and returns the new root and the
 * node writes; `reader` is not modified. When a key appears more than once, its last
 * change wins. Reads each touched internal node once; hashes only what changed.
 */
export function updateTree(reader: TreeReader, changes: ReadonlyArray<TreeChange>): TreeUpdate {
  const { ids, valueHashes } = sortChanges(changes);
  if (ids.length === 0) return { root: rootOf(reader), puts: [], deletes: [] };
  const ctx: Context = { reader, ids, valueHashes, puts: new Map(), stale: new Set() };

  const node = getDecoded(reader, ROOT_ID);
  let result: Sub | undefined;
  if (node === undefined) {
    result = insert(ctx, 0, 0, ids.length);
  } else {
    result =
      node.kind === INTERNAL_TAG
        ? updateInternal(ctx, 0, node, ROOT_ID, 0, ids.length)
        : updateLeaf(ctx, 0, storedLeaf(node.keyHash, node.valueHash, undefined), 0, ids.length);
  }
  if (result === undefined) return { root: rootOf(reader), puts: [], deletes: [] };
  // Internal roots are written by updateInternal/build; a leaf is stored only here.
  let rootLeaf: Uint8Array | undefined;
  if (result.kind === LEAF) rootLeaf = encodeLeaf(result.keyHash, result.valueHash);
  else if (result.kind === EMPTY) ctx.stale.add(ROOT_ID);

  const putIds = [...ctx.puts.keys()];
  if (rootLeaf !== undefined) putIds.push(ROOT_ID);
  const deleteIds = [...ctx.stale].filter(
    (id) => !ctx.puts.has(id) && (rootLeaf === undefined || id !== ROOT_ID),
  );
  const keys = packLatin1([...putIds, ...deleteIds]);
  // All node values in one buffer: one allocation per update instead of one per node.
  const sizes: number[] = [];
  let total = 0;
  for (const node of ctx.puts.values()) {
    const size = internalSize(node.childMask, node.leafMask);
    sizes.push(size);
    total += size;
  }
  const slab = new Uint8Array(total);
  const puts: Array<[Uint8Array, Uint8Array]> = [];
  // The same nodes by id, for overlays of this update (overlay.ts).
  const nodes = new Map<string, Uint8Array | null>();
  let offset = 0;
  let i = 0;
  for (const [id, node] of ctx.puts) {
    const out = slab.subarray(offset, offset + sizes[i]);
    encodeInternalInto(out, node);
    nodes.set(id, out);
    offset += sizes[i];
    puts.push([keys[i++], out]);
  }
  if (rootLeaf !== undefined) {
    nodes.set(ROOT_ID, rootLeaf);
    puts.push([keys[i++], rootLeaf]);
  }
  const deletes = keys.slice(putIds.length);
  for (const id of deleteIds) nodes.set(id, null);
  const update: TreeUpdate = { root: bytesOf(subDigest(result)), puts, deletes };
  attachNodes(update, nodes);
  return update;
}

// --- internals -------------------------------------------------------------------------
// Key hashes, digests and node ids are latin1 strings here (hashing.ts says why).

const EMPTY = 0;
const LEAF = 1;
const INTERNAL = 2;

/** A subtree after the update: empty, an internal node (already written), or a leaf. */
type Sub = { kind: typeof EMPTY } | { kind: typeof INTERNAL; hash: Digest } | Leaf;

/** A leaf, by its hashes; `hash` (its leaf hash) is derived when first needed. */
interface Leaf {
  kind: typeof LEAF;
  keyHash: Digest;
  valueHash: Digest;
  hash: Digest | undefined;
}

const EMPTY_SUB: Sub = { kind: EMPTY };

interface Context {
  reader: TreeReader;
  /** Sorted, distinct key hashes (latin1) and the sha256 of their new values (null = delete). */
  ids: Digest[];
  valueHashes: Array<Digest | null>;
  /** Node id -> the new internal node (its dirty positions recomputed), encoded once the update is done. */
  puts: Map<string, InternalNode>;
  /** Ids of internal nodes that were removed (or a root leaf); those also in `puts` are not deleted. */
  stale: Set<string>;
}

function nodeDigest(node: TreeNode): Digest {
  return node.kind === INTERNAL_TAG ? positionDigest(node, 1, 0) : leafDigest(node.keyHash, node.valueHash);
}

function storedLeaf(keyHash: Digest, valueHash: Digest, hash: Digest | undefined): Leaf {
  return { kind: LEAF, keyHash, valueHash, hash };
}

function subDigest(sub: Sub): Digest {
  if (sub.kind === EMPTY) return ZERO_DIGEST;
  if (sub.kind === INTERNAL) return sub.hash;
  if (sub.hash === undefined) sub.hash = leafDigest(sub.keyHash, sub.valueHash);
  return sub.hash;
}

/**
 * Validates, keeps the last change per key, sorts by key (latin1 strings sort like bytes)
 * and hashes each new value: from here on a value is its sha256.
 */
function sortChanges(changes: ReadonlyArray<TreeChange>): {
  ids: Digest[];
  valueHashes: Array<Digest | null>;
} {
  const byId = new Map<string, Uint8Array | null>();
  for (const { keyHash, value } of changes) {
    if (!(keyHash instanceof Uint8Array) || keyHash.length !== 32) {
      throw new CommitmentError('INVALID_KEY_HASH', 'a tree key hash must be 32 bytes');
    }
    if (value !== null && !(value instanceof Uint8Array)) {
      throw new CommitmentError('INVALID_TREE_VALUE', 'a tree value must be bytes or null');
    }
    byId.set(latin1Of(keyHash), value); // the last change wins
  }
  const ids = [...byId.keys()].sort();
  const valueHashes = ids.map((id) => {
    const value = byId.get(id)!;
    return value === null ? null : valueDigest(value);
  });
  return { ids, valueHashes };
}

/** Changes [lo, hi) into an empty subtree at nibble depth `depth`: the inserts among them. */
function insert(ctx: Context, depth: number, lo: number, hi: number): Sub | undefined {
  const items: Leaf[] = [];
  for (let i = lo; i < hi; i++) {
    const valueHash = ctx.valueHashes[i];
    if (valueHash !== null) items.push(storedLeaf(ctx.ids[i], valueHash, undefined));
  }
  return items.length === 0 ? undefined : build(ctx, depth, items, 0, items.length);
}

/**
 * Changes [lo, hi) (which all share their first `depth` nibbles) into the subtree that is
 * the single leaf `existing`: merges them with it. Returns undefined when nothing changed.
 */
function updateLeaf(ctx: Context, depth: number, existing: Leaf, lo: number, hi: number): Sub | undefined {
  const items: Leaf[] = [];
  let changed = false;
  let pending = true; // the existing leaf is neither in `items` nor replaced yet
  for (let i = lo; i < hi; i++) {
    const key = ctx.ids[i];
    const valueHash = ctx.valueHashes[i];
    if (pending && key >= existing.keyHash) {
      pending = false;
      if (key === existing.keyHash) {
        if (valueHash === existing.valueHash) {
          items.push(existing); // set to the value it has: no change
        } else {
          changed = true;
          if (valueHash !== null) items.push(storedLeaf(key, valueHash, undefined));
        }
        continue;
      }
      items.push(existing);
    }
    if (valueHash !== null) {
      items.push(storedLeaf(key, valueHash, undefined));
      changed = true;
    }
  }
  if (pending) items.push(existing);
  if (!changed) return undefined;
  return items.length === 0 ? EMPTY_SUB : build(ctx, depth, items, 0, items.length);
}

/**
 * Changes [lo, hi) (which all share their first `depth` nibbles) into the internal node
 * `node` stored at `id`: updates the slots that changes fall under, then writes the node,
 * or removes it when fewer than two leaves remain under it (returning the one leaf left,
 * for the caller to hold). Returns undefined when nothing changed.
 */
function updateInternal(
  ctx: Context,
  depth: number,
  node: InternalNode,
  id: string,
  lo: number,
  hi: number,
): Sub | undefined {
  // `node` was just decoded for this update (overlays hand out bytes): changed in place.
  let i = lo;
  while (i < hi) {
    const n = nibbleAt(ctx.ids[i], depth);
    let j = i + 1;
    while (j < hi && nibbleAt(ctx.ids[j], depth) === n) j++;
    const bit = 1 << n;
    let sub: Sub | undefined;
    if ((node.childMask & bit) === 0) {
      sub = insert(ctx, depth + 1, i, j);
    } else if (node.leafMask & bit) {
      const existing = storedLeaf(leafKeyHash(node, n), leafValueHash(node, n), knownSlotHash(node, n));
      sub = updateLeaf(ctx, depth + 1, existing, i, j);
    } else {
      const childNodeId = childId(ctx.ids[i], depth, n);
      sub = updateInternal(ctx, depth + 1, readInternal(ctx.reader, childNodeId), childNodeId, i, j);
    }
    if (sub !== undefined) {
      if (sub.kind === EMPTY) clearSlot(node, n);
      else if (sub.kind === LEAF) setLeafSlot(node, n, sub.keyHash, sub.valueHash, sub.hash);
      else setInternalSlot(node, n, sub.hash);
    }
    i = j;
  }
  const { childMask, leafMask, dirty } = node;
  if (dirty === 0) return undefined;
  if (childMask === 0) {
    ctx.stale.add(id);
    return EMPTY_SUB;
  }
  if (leafMask !== 0 && popcount16(childMask) === 1) {
    // One leaf left: this node disappears and the leaf moves up into the caller's node.
    ctx.stale.add(id);
    const n = 31 - Math.clz32(childMask);
    return storedLeaf(leafKeyHash(node, n), leafValueHash(node, n), knownSlotHash(node, n));
  }
  const hash = positionDigest(node, 1, dirty); // rehashes only above changed slots
  ctx.puts.set(id, node);
  return { kind: INTERNAL, hash };
}

/** Builds the subtree of `items` [lo, hi) (sorted, distinct, sharing `depth` nibbles). */
function build(ctx: Context, depth: number, items: Leaf[], lo: number, hi: number): Sub {
  if (hi - lo === 1) return items[lo];
  const node = newInternal();
  let i = lo;
  while (i < hi) {
    const n = nibbleAt(items[i].keyHash, depth);
    let j = i + 1;
    while (j < hi && nibbleAt(items[j].keyHash, depth) === n) j++;
    const child = build(ctx, depth + 1, items, i, j);
    if (child.kind === LEAF) setLeafSlot(node, n, child.keyHash, child.valueHash, child.hash);
    else setInternalSlot(node, n, subDigest(child));
    i = j;
  }
  const hash = positionDigest(node, 1, 0xffff);
  ctx.puts.set(nodeId(items[lo].keyHash, depth), node);
  return { kind: INTERNAL, hash };
}
