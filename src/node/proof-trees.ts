/**
 * The two Merkle trees of a committed block (txRoot over its transactions' hashes,
 * receiptsRoot over its receipts' bytes), kept built for the proof routes. Built anew for
 * each request, a block of many transactions costs every leaf and inner hash of both
 * trees for one path of each, and the routes are open to any client at the API's rate:
 * with the trees kept, a proof is a walk up their levels. Committed blocks never change,
 * so a block's trees are valid for as long as they are kept; the cache is bounded in
 * bytes and forgets the least recently used block first.
 *
 * The trees are RFC 6962's (src/chain/merkle.ts), built bottom-up: pairing each level from
 * the left and lifting an unpaired last node to the next level unchanged gives the same
 * tree as splitting at the largest power of two below the leaf count, and the same audit
 * paths (test/unit/node/proof-trees.test.ts checks both against src/chain). A built tree
 * is also checked against the committed header's root before any path is read from it.
 */
import { hash } from 'node:crypto';
import { encodeReceipt, type MerkleProof } from '../chain/index.js';
import { equalBytes } from '../crypto/bytes.js';
import type { Receipt } from '../state/index.js';

const HASH_BYTES = 32;

/** The levels of one tree, leaves first; level k holds its node hashes back to back. */
export class MerkleLevels {
  private constructor(private readonly levels: readonly Buffer[]) {}

  /** sha256(0x00 || item) per leaf, then sha256(0x01 || left || right) up to the root. */
  static build(items: readonly Uint8Array[]): MerkleLevels {
    if (items.length === 0) return new MerkleLevels([]);
    let level = Buffer.allocUnsafe(items.length * HASH_BYTES);
    for (const [i, item] of items.entries()) {
      const leaf = Buffer.allocUnsafe(1 + item.length);
      leaf[0] = 0;
      leaf.set(item, 1);
      level.set(hash('sha256', leaf, 'buffer'), i * HASH_BYTES);
    }
    const levels = [level];
    const pair = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
    pair[0] = 1;
    for (let count = items.length; count > 1; count = Math.ceil(count / 2)) {
      const next = Buffer.allocUnsafe(Math.ceil(count / 2) * HASH_BYTES);
      for (let j = 0; 2 * j + 1 < count; j++) {
        level.copy(pair, 1, 2 * j * HASH_BYTES, (2 * j + 2) * HASH_BYTES);
        next.set(hash('sha256', pair, 'buffer'), j * HASH_BYTES);
      }
      // an unpaired last node is lifted unchanged
      if (count % 2 === 1)
        level.copy(next, (next.length / HASH_BYTES - 1) * HASH_BYTES, (count - 1) * HASH_BYTES);
      levels.push(next);
      level = next;
    }
    return new MerkleLevels(levels);
  }

  get leafCount(): number {
    return this.levels.length === 0 ? 0 : this.levels[0].length / HASH_BYTES;
  }

  /** Bytes held (the cache's measure). */
  get bytes(): number {
    let total = 0;
    for (const level of this.levels) total += level.length;
    return total;
  }

  /** The root; undefined for a tree without leaves (its root is EMPTY_MERKLE_ROOT). */
  root(): Uint8Array | undefined {
    const top = this.levels.at(-1);
    return top ? new Uint8Array(top) : undefined;
  }

  /** The audit path of leaf `index`, siblings from the leaf up (RFC 9162 section 2.1.3.1). */
  proof(index: number): MerkleProof {
    const total = this.leafCount;
    if (!Number.isInteger(index) || index < 0 || index >= total) throw new RangeError('index out of range');
    const siblings: Uint8Array[] = [];
    let at = index;
    for (const level of this.levels) {
      const count = level.length / HASH_BYTES;
      if (count === 1) break;
      const sibling = at % 2 === 1 ? at - 1 : at + 1;
      // the last node of an odd level has no sibling: it is lifted, and adds nothing to the path
      if (sibling < count)
        siblings.push(new Uint8Array(level.subarray(sibling * HASH_BYTES, (sibling + 1) * HASH_BYTES)));
      at = Math.floor(at / 2);
    }
    return { index, total, siblings };
  }
}

/** A committed block's tx tree and receipts tree. */
export interface BlockTrees {
  txs: MerkleLevels;
  receipts: MerkleLevels;
}

/** Builds both trees of a block from its transactions' hashes and receipts, in block order. */
export function buildBlockTrees(txHashes: readonly Uint8Array[], receipts: readonly Receipt[]): BlockTrees {
  return { txs: MerkleLevels.build(txHashes), receipts: MerkleLevels.build(receipts.map(encodeReceipt)) };
}

/** True when `trees` are the ones whose roots the committed header states. */
export function treesMatchHeader(
  trees: BlockTrees,
  header: { txRoot: Uint8Array; receiptsRoot: Uint8Array },
): boolean {
  const txRoot = trees.txs.root();
  const receiptsRoot = trees.receipts.root();
  return (
    txRoot !== undefined &&
    receiptsRoot !== undefined &&
    equalBytes(txRoot, header.txRoot) &&
    equalBytes(receiptsRoot, header.receiptsRoot)
  );
}

/** Committed blocks' trees by height, bounded in bytes, least recently used forgotten first. */
export class BlockTreeCache {
  private readonly entries = new Map<number, BlockTrees>();
  private held = 0;

  constructor(private readonly maxBytes: number) {}

  get(height: number): BlockTrees | undefined {
    const trees = this.entries.get(height);
    if (!trees) return undefined;
    // re-inserted: the map's order is the order of last use
    this.entries.delete(height);
    this.entries.set(height, trees);
    return trees;
  }

  set(height: number, trees: BlockTrees): void {
    this.delete(height);
    const bytes = sizeOf(trees);
    if (bytes > this.maxBytes) return;
    while (this.held + bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
    this.entries.set(height, trees);
    this.held += bytes;
  }

  delete(height: number): void {
    const trees = this.entries.get(height);
    if (!trees) return;
    this.entries.delete(height);
    this.held -= sizeOf(trees);
  }

  /** Blocks and bytes held (for tests). */
  size(): { blocks: number; bytes: number } {
    return { blocks: this.entries.size, bytes: this.held };
  }
}

function sizeOf(trees: BlockTrees): number {
  return trees.txs.bytes + trees.receipts.bytes;
}
