/**
 * The transaction root: the Merkle tree of RFC 6962 (Certificate Transparency, also
 * CometBFT's "simple Merkle tree") over the keccak hashes of a block's transactions.
 *   leaf  = sha256(0x00 || txHash)
 *   node  = sha256(0x01 || left || right), splitting n leaves at the largest power of
 *           two below n, so any count works without padding
 *   empty = sha256("")
 * The 0x00/0x01 prefixes keep a leaf from being passed off as an inner node.
 */

import { hash } from 'node:crypto';
import { equalBytes } from '../crypto/bytes.js';
import { sha256, sha256Parts } from '../crypto/hash.js';

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export const EMPTY_MERKLE_ROOT = sha256(new Uint8Array(0));

function leafHash(item: Uint8Array): Uint8Array {
  return sha256Parts(LEAF, item);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Parts(NODE, left, right);
}

/** Largest power of two strictly below n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function rootOfLeaves(leaves: Uint8Array[], from: number, to: number): Uint8Array {
  const n = to - from;
  if (n === 1) return leaves[from];
  const k = splitPoint(n);
  return nodeHash(rootOfLeaves(leaves, from, from + k), rootOfLeaves(leaves, from + k, to));
}

export function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 0) return EMPTY_MERKLE_ROOT;
  const root = rootOfDigests(items.map(leafDigest), 0, items.length);
  return new Uint8Array(Buffer.from(root, 'latin1'));
}

// merkleRoot runs once per block over every transaction (2n - 1 hashes): one-shot hash()
// over a scratch buffer with 32-character latin1 digests (as src/commitment/hashing.ts
// does) instead of a createHash object per hash, whose native objects the GC must
// finalize. Same sha256 and the same tree as leafHash / nodeHash below (tests compare).
const scratch = Buffer.alloc(65);
const scratchViews: Buffer[] = Array.from({ length: 66 }, (_, n) => scratch.subarray(0, n));

function leafDigest(item: Uint8Array): string {
  if (item.length > 64) return hash('sha256', Buffer.concat([LEAF, item]), 'binary');
  scratch[0] = 0;
  scratch.set(item, 1);
  return hash('sha256', scratchViews[item.length + 1], 'binary');
}

function nodeDigest(left: string, right: string): string {
  scratch[0] = 1;
  for (let i = 0; i < 32; i++) scratch[1 + i] = left.charCodeAt(i);
  for (let i = 0; i < 32; i++) scratch[33 + i] = right.charCodeAt(i);
  return hash('sha256', scratch, 'binary');
}

function rootOfDigests(leaves: string[], from: number, to: number): string {
  const n = to - from;
  if (n === 1) return leaves[from];
  const k = splitPoint(n);
  return nodeDigest(rootOfDigests(leaves, from, from + k), rootOfDigests(leaves, from + k, to));
}

/** Inclusion proof of item `index` among `total`: sibling hashes from the leaf up. */
export interface MerkleProof {
  index: number;
  total: number;
  siblings: Uint8Array[];
}

export function merkleProof(items: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= items.length)
    throw new RangeError('index out of range');
  const leaves = items.map(leafHash);
  const siblings: Uint8Array[] = [];
  const walk = (from: number, to: number, target: number): void => {
    const n = to - from;
    if (n === 1) return;
    const k = splitPoint(n);
    if (target < from + k) {
      walk(from, from + k, target);
      siblings.push(rootOfLeaves(leaves, from + k, to));
    } else {
      walk(from + k, to, target);
      siblings.push(rootOfLeaves(leaves, from, from + k));
    }
  };
  walk(0, items.length, index);
  return { index, total: items.length, siblings };
}

/** RFC 9162 section 2.1.3.2: recomputes the root from the leaf and its audit path. */
export function verifyMerkleProof(root: Uint8Array, item: Uint8Array, proof: MerkleProof): boolean {
  const { index, total, siblings } = proof;
  if (!Number.isInteger(index) || !Number.isInteger(total) || index < 0 || index >= total) return false;
  let fn = index;
  let sn = total - 1;
  let r = leafHash(item);
  for (const p of siblings) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && equalBytes(r, root);
}
