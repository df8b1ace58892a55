/**
 * Authenticated account map (state commitment): a Jellyfish-style sparse Merkle tree over
 * sha256(address), updated incrementally per block. Rules and layout: tree.ts.
 */
export { CommitmentError, type CommitmentErrorCode } from './errors.js';
export type { TreeChange, TreeProof, TreeReader, TreeUpdate } from './interface.js';
export { MemoryTreeStore } from './memory.js';
export { overlayTree } from './overlay.js';
export { decodeProof, encodeProof, MAX_PROOF_SIBLINGS, proveKey, verifyProof } from './proof.js';
export { accountKey, accountKeys, EMPTY_ROOT, rootOf, updateTree } from './tree.js';
