/**
 * Overlays: a TreeReader that sees one `updateTree` result applied over another reader,
 * without writing anything (speculative execution on uncommitted blocks, and the blocks
 * whose commits are in flight).
 *
 * An overlay holds only the bytes the update wrote (nodes decode lazily, nodes.ts, so
 * decoding again is cheap), keyed by string id so that a chain of overlays converts a
 * node key once. Nothing but those buffers and ids stays alive while a block is in flight.
 */
import type { TreeReader, TreeUpdate } from './interface.js';

/** The nodes an update wrote by id: their bytes, or null when deleted. */
export type OverlayNodes = Map<string, Uint8Array | null>;

// The nodes of an update by id, kept on the update object (not enumerable: not part of its value).
const NODES: unique symbol = Symbol('overlayNodes');
type WithNodes = TreeUpdate & { [NODES]?: OverlayNodes };

/** Records the nodes of `update` by id (updateTree, which has them at hand). */
export function attachNodes(update: TreeUpdate, nodes: OverlayNodes): void {
  Object.defineProperty(update, NODES, { value: nodes, enumerable: false });
}

function nodesOf(update: TreeUpdate): OverlayNodes {
  const known = (update as WithNodes)[NODES];
  if (known !== undefined) return known;
  // An update not made here (built by hand, or a copy): index it once.
  const nodes: OverlayNodes = new Map();
  for (const key of update.deletes) nodes.set(latin1(key), null);
  for (const [key, bytes] of update.puts) nodes.set(latin1(key), bytes);
  attachNodes(update, nodes);
  return nodes;
}

function latin1(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

// Node keys handed to a base reader without a string fast path; read during the call only.
const keyScratch = Buffer.alloc(64);

/** A TreeReader that sees `update` applied over `base`. */
export function overlayTree(base: TreeReader, update: TreeUpdate): TreeReader {
  const nodes = nodesOf(update);
  const getNodeById = (id: string): Uint8Array | undefined => {
    const own = nodes.get(id);
    if (own !== undefined) return own === null ? undefined : own;
    if (base.getNodeById !== undefined) return base.getNodeById(id);
    const length = keyScratch.write(id, 0, 'latin1');
    return base.getNode(keyScratch.subarray(0, length));
  };
  return {
    getNodeById,
    getNode: (key: Uint8Array): Uint8Array | undefined => getNodeById(latin1(key)),
  };
}
