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
 *     stores, for each child slot P+n that is not empty, the child's hash and whether it is
 *     a leaf. Its hash is the binary Merkle hash of those 16 slots under the rules above
 *     (four logical levels); the node also stores the digests of those levels inside it,
 *     so that an update rehashes only the path above a changed slot and a proof reads its
 *     siblings. A node exists at P exactly when the subtree under P holds two or more
 *     leaves.
 *   - A leaf is stored at the slot where the logical tree puts it: the shortest nibble path
 *     under which it is alone (the root path when the map holds one key), with its keyHash
 *     and value.
 *   - Nodes are addressed by nibble path, so the store holds only the latest version: an
 *     update returns the nodes to put and the paths that became stale, to delete in the
 *     same transaction. The stored nodes are a function of the map alone (not of the
 *     history of updates), so two stores holding the same map are byte-identical.
 *
 * Update: the changes are sorted by keyHash and the tree is walked once from the root,
 * descending only into slots that some change falls under, so each touched node is read
 * once and written once. A new key that lands on a leaf slot pushes the old leaf down to
 * where the two diverge; a delete that leaves a single leaf under a node removes the node
 * and moves the leaf up. A moved leaf is rewritten at its new path (its hash is unchanged).
 */
import { sha256 } from '../crypto/hash.js';
import { CommitmentError } from './errors.js';
import {
  bytesOf,
  type Digest,
  latin1Of,
  leafDigest,
  packLatin1,
  valueDigest,
  ZERO_DIGEST,
} from './hashing.js';
import type { TreeChange, TreeReader, TreeUpdate } from './interface.js';
import {
  childId,
  decodeNode,
  encodeInternal,
  encodeInternalPatch,
  encodeLeaf,
  getNodeById,
  INTERNAL_TAG,
  type InternalNode,
  kindMismatch,
  LEAF_TAG,
  type LeafNode,
  nibbleAt,
  nodeId,
  popcount16,
  positionDigest,
  ROOT_ID,
  readNode,
  type StoredInternalNode,
} from './nodes.js';

/** The root of the empty map: 32 zero bytes. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(32);

/** The tree key of an account: sha256 of its 20-byte address. */
export function accountKey(address: Uint8Array): Uint8Array {
  return sha256(address);
}

/** The root hash of the map held by `reader`. */
export function rootOf(reader: TreeReader): Uint8Array {
  const bytes = getNodeById(reader, ROOT_ID);
  if (bytes === undefined) return new Uint8Array(32);
  return bytesOf(nodeDigest(decodeNode(bytes, ROOT_ID)));
}

/**
 * Applies a batch of changes to the map held by `reader` and returns the new root and the
 * node writes; `reader` is not modified. When a key appears more than once, its last
 * change wins. Reads each touched node once; hashes only what changed.
 */
export function updateTree(reader: TreeReader, changes: ReadonlyArray<TreeChange>): TreeUpdate {
  const { ids, values } = sortChanges(changes);
  if (ids.length === 0) return { root: rootOf(reader), puts: [], deletes: [] };
  const ctx: Context = { reader, ids, values, puts: new Map(), stale: new Set() };

  const rootBytes = getNodeById(reader, ROOT_ID);
  let rootKind: SlotKind = EMPTY;
  let rootHash = ZERO_DIGEST;
  if (rootBytes !== undefined) {
    const node = decodeNode(rootBytes, ROOT_ID);
    rootKind = node.kind === INTERNAL_TAG ? INTERNAL : LEAF;
    // Only a leaf root needs its hash here (it may move down); an internal root is reread.
    if (node.kind !== INTERNAL_TAG) rootHash = nodeDigest(node);
  }
  const result = update(ctx, 0, rootKind, rootHash, 0, ids.length);
  if (result === undefined) return { root: rootOf(reader), puts: [], deletes: [] };
  place(ctx, result, ids[0], 0);

  const putIds = [...ctx.puts.keys()];
  const deleteIds = [...ctx.stale].filter((id) => !ctx.puts.has(id));
  const keys = packLatin1([...putIds, ...deleteIds]);
  const puts: Array<[Uint8Array, Uint8Array]> = putIds.map((id, i) => [keys[i], ctx.puts.get(id)!]);
  return { root: bytesOf(result.hash), puts, deletes: keys.slice(putIds.length) };
}

// --- internals -------------------------------------------------------------------------
// Key hashes, digests and node ids are latin1 strings here (hashing.ts says why).

const EMPTY = 0;
const LEAF = 1;
const INTERNAL = 2;
type SlotKind = typeof EMPTY | typeof LEAF | typeof INTERNAL;

/** A subtree after the update: empty, an internal node (already written), or a leaf. */
type Sub = { kind: typeof EMPTY; hash: Digest } | { kind: typeof INTERNAL; hash: Digest } | Leaf;

/**
 * A leaf to place. `bytes` is its encoded node when new or changed (undefined when
 * unchanged); `loc` is the id where its previous version is stored (undefined when new).
 */
interface Leaf {
  kind: typeof LEAF;
  hash: Digest;
  /** Known for leaves that a change touched; an untouched leaf that moves up has none. */
  keyHash: Digest | undefined;
  bytes: Uint8Array | undefined;
  loc: string | undefined;
}

const EMPTY_SUB: Sub = { kind: EMPTY, hash: ZERO_DIGEST };

interface Context {
  reader: TreeReader;
  /** Sorted, distinct key hashes (latin1) and their new values (null = delete). */
  ids: Digest[];
  values: Array<Uint8Array | null>;
  /** Node id -> new node bytes. */
  puts: Map<string, Uint8Array>;
  /** Ids of nodes that were removed or moved; those also in `puts` are not deleted. */
  stale: Set<string>;
}

function nodeDigest(node: LeafNode | InternalNode): Digest {
  return node.kind === INTERNAL_TAG
    ? positionDigest(node, 1, 0)
    : leafDigest(node.keyHash, valueDigest(node.value));
}

/** Validates, keeps the last change per key, sorts by key (latin1 strings sort like bytes). */
function sortChanges(changes: ReadonlyArray<TreeChange>): {
  ids: Digest[];
  values: Array<Uint8Array | null>;
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
  const values = ids.map((id) => byId.get(id)!);
  return { ids, values };
}

function newLeaf(keyHash: Digest, value: Uint8Array, loc: string | undefined): Leaf {
  return {
    kind: LEAF,
    hash: leafDigest(keyHash, valueDigest(value)),
    keyHash,
    bytes: encodeLeaf(keyHash, value),
    loc,
  };
}

/**
 * Stores the result of a subtree at its final slot, the nibble path of `groupKey` cut at
 * `depth`. Internal nodes and deletions are written by `update`/`build` themselves; a leaf
 * is written here because only its parent knows where it ends up.
 */
function place(ctx: Context, sub: Sub, groupKey: Digest, depth: number): void {
  if (sub.kind !== LEAF) return;
  const id = nodeId(groupKey, depth);
  if (id === sub.loc) {
    if (sub.bytes !== undefined) ctx.puts.set(id, sub.bytes);
    return;
  }
  // A moved, unchanged leaf: its bytes are position-independent; copy them out of the reader.
  ctx.puts.set(id, sub.bytes ?? readNode(ctx.reader, sub.loc!).slice());
  if (sub.loc !== undefined) ctx.stale.add(sub.loc);
}

/**
 * Applies changes [lo, hi) (which all share their first `depth` nibbles, the path P of
 * this subtree) to the subtree at P, whose current content is `kind` with hash `hash`.
 * Returns undefined when nothing changed. Writes the internal node at P, if any; the
 * caller places a returned leaf.
 */
function update(
  ctx: Context,
  depth: number,
  kind: SlotKind,
  hash: Digest,
  lo: number,
  hi: number,
): Sub | undefined {
  if (kind === EMPTY) {
    const items: Leaf[] = [];
    for (let i = lo; i < hi; i++) {
      const value = ctx.values[i];
      if (value !== null) items.push(newLeaf(ctx.ids[i], value, undefined));
    }
    return items.length === 0 ? undefined : build(ctx, depth, items, 0, items.length);
  }
  const id = nodeId(ctx.ids[lo], depth);
  const node = decodeNode(readNode(ctx.reader, id), id);
  if (kind === LEAF) {
    if (node.kind !== LEAF_TAG) throw kindMismatch(id);
    return updateLeaf(ctx, depth, node, hash, id, lo, hi);
  }
  if (node.kind !== INTERNAL_TAG) throw kindMismatch(id);
  return updateInternal(ctx, depth, node, id, lo, hi);
}

/** The subtree at `id` is the single leaf `node`: merge the changes with it. */
function updateLeaf(
  ctx: Context,
  depth: number,
  node: LeafNode,
  hash: Digest,
  id: string,
  lo: number,
  hi: number,
): Sub | undefined {
  const existing: Leaf = { kind: LEAF, hash, keyHash: node.keyHash, bytes: undefined, loc: id };
  const items: Leaf[] = [];
  let changed = false;
  let pending = true; // the existing leaf is neither in `items` nor replaced yet
  for (let i = lo; i < hi; i++) {
    const key = ctx.ids[i];
    const value = ctx.values[i];
    if (pending && key >= node.keyHash) {
      pending = false;
      if (key === node.keyHash) {
        if (value !== null && Buffer.compare(value, node.value) === 0) {
          items.push(existing); // set to the value it has: no change
        } else if (value === null) {
          ctx.stale.add(id);
          changed = true;
        } else {
          items.push(newLeaf(key, value, id));
          changed = true;
        }
        continue;
      }
      items.push(existing);
    }
    if (value !== null) {
      items.push(newLeaf(key, value, undefined));
      changed = true;
    }
  }
  if (pending) items.push(existing);
  if (!changed) return undefined;
  return items.length === 0 ? EMPTY_SUB : build(ctx, depth, items, 0, items.length);
}

/** The subtree at `id` is the internal node `node`: update the slots that changes fall under. */
function updateInternal(
  ctx: Context,
  depth: number,
  node: StoredInternalNode,
  id: string,
  lo: number,
  hi: number,
): Sub | undefined {
  let { childMask, leafMask } = node;
  const { hashes, inner } = node;
  const changed: Array<Sub | undefined> = new Array(16);
  const groupStart: number[] = new Array(16);
  let changedMask = 0;
  let i = lo;
  while (i < hi) {
    const n = nibbleAt(ctx.ids[i], depth);
    let j = i + 1;
    while (j < hi && nibbleAt(ctx.ids[j], depth) === n) j++;
    const bit = 1 << n;
    const slot: SlotKind = childMask & bit ? (leafMask & bit ? LEAF : INTERNAL) : EMPTY;
    const sub = update(ctx, depth + 1, slot, hashes[n] ?? ZERO_DIGEST, i, j);
    if (sub !== undefined) {
      changedMask |= bit;
      changed[n] = sub;
      groupStart[n] = i;
      if (sub.kind === EMPTY) {
        childMask &= ~bit;
        leafMask &= ~bit;
        hashes[n] = undefined;
      } else {
        childMask |= bit;
        leafMask = sub.kind === LEAF ? leafMask | bit : leafMask & ~bit;
        hashes[n] = sub.hash;
      }
    }
    i = j;
  }
  if (changedMask === 0) return undefined;
  if (childMask === 0) {
    ctx.stale.add(id);
    return EMPTY_SUB;
  }
  if (leafMask !== 0 && popcount16(childMask) === 1) {
    // One leaf left: this node disappears and the leaf moves up to where the caller puts it.
    ctx.stale.add(id);
    const n = 31 - Math.clz32(childMask);
    const sub = changed[n];
    if (sub !== undefined) return sub;
    return {
      kind: LEAF,
      hash: hashes[n]!,
      keyHash: undefined,
      bytes: undefined,
      loc: childId(ctx.ids[lo], depth, n),
    };
  }
  for (let n = 0; n < 16; n++) {
    const sub = changed[n];
    if (sub !== undefined) place(ctx, sub, ctx.ids[groupStart[n]], depth + 1);
  }
  const next = { childMask, leafMask, hashes, inner };
  const hash = positionDigest(next, 1, changedMask); // rehashes only above changed slots
  const sameLayout = childMask === node.childMask && leafMask === node.leafMask;
  ctx.puts.set(id, sameLayout ? encodeInternalPatch(node, changedMask) : encodeInternal(next));
  return { kind: INTERNAL, hash };
}

/** Builds the subtree of `items` [lo, hi) (sorted, distinct, sharing `depth` nibbles). */
function build(ctx: Context, depth: number, items: Leaf[], lo: number, hi: number): Sub {
  if (hi - lo === 1) return items[lo];
  const hashes = new Array<Digest | undefined>(16);
  let childMask = 0;
  let leafMask = 0;
  let i = lo;
  while (i < hi) {
    const n = nibbleAt(items[i].keyHash!, depth);
    let j = i + 1;
    while (j < hi && nibbleAt(items[j].keyHash!, depth) === n) j++;
    const child = build(ctx, depth + 1, items, i, j);
    place(ctx, child, items[i].keyHash!, depth + 1);
    childMask |= 1 << n;
    if (child.kind === LEAF) leafMask |= 1 << n;
    hashes[n] = child.hash;
    i = j;
  }
  const node = { childMask, leafMask, hashes, inner: new Array<Digest | undefined>(16) };
  const hash = positionDigest(node, 1, 0xffff);
  ctx.puts.set(nodeId(items[lo].keyHash!, depth), encodeInternal(node));
  return { kind: INTERNAL, hash };
}
