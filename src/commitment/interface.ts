/** The types of the account tree's public surface (rules and layout in tree.ts). */

/** Read access to the stored nodes: synchronous (an lmdb `getBinary`, a Map). */
export interface TreeReader {
  /**
   * The stored value of `nodeKey`, or undefined. `nodeKey` is only valid during the call
   * (the tree reuses its buffer): copy it to keep it. The result is only read, never kept
   * past the `updateTree`/`proveKey`/`rootOf` call that asked for it, but it must stay
   * unchanged until that call returns (nodes decode lazily, nodes.ts): never a buffer the
   * reader reuses for its next read.
   */
  getNode(nodeKey: Uint8Array): Uint8Array | undefined;
  /**
   * Optional fast path, same answer as `getNode`: `id` is the node key as a latin1 string
   * (one character per byte), the form the tree works with, so a reader that keys nodes by
   * string (an overlay) needs no conversion. Implement it only when it is cheaper.
   */
  getNodeById?(id: string): Uint8Array | undefined;
}

/** One change to the map; `value: null` deletes the key (a no-op when it is absent). */
export interface TreeChange {
  keyHash: Uint8Array;
  value: Uint8Array | null;
}

/** The result of a batch: the new root, and the node writes that produce it. */
export interface TreeUpdate {
  root: Uint8Array;
  /** [nodeKey, nodeValue]; each key at most once. The keys share one buffer. */
  puts: Array<[Uint8Array, Uint8Array]>;
  /** Keys of stored nodes that no longer exist; disjoint from the keys of `puts`. */
  deletes: Uint8Array[];
}

/** A proof of inclusion or absence of one key (proof.ts). */
export interface TreeProof {
  /** The leaf where the path ends, if it ends at a leaf (the key's own, or another key's). */
  leaf: { keyHash: Uint8Array; valueHash: Uint8Array } | null;
  /** Sibling hashes from the root downward; siblings[i] is at binary depth i. */
  siblings: Uint8Array[];
}
