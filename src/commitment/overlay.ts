/**
 * Overlays: a TreeReader that sees one `updateTree` result applied over another reader,
 * without writing anything (speculative execution on uncommitted blocks, and the blocks
 * whose commits are in flight).
 *
 * An overlay hands back the decoded nodes that the update produced (they are exactly what
 * its bytes decode to), so the next block's update does not decode again the upper levels
 * that every block rewrites. Lookups go by string id, so a chain of overlays converts a
 * node key once.
 */
import type { TreeReader, TreeUpdate } from './interface.js';
import {
  type DecodingReader,
  decodeNode,
  getDecoded,
  INTERNAL_TAG,
  READ_DECODED,
  type TreeNode,
} from './nodes.js';

/**
 * Whether an overlay keeps the decoded form of the node at `id`: only for the top three
 * nibble levels (ids of at most 2 bytes, 273 nodes), which every block of 1,000 transfers
 * rewrites and the next block reads again. Keeping the deeper ones too would hold about
 * 2 KB of strings per node for the blocks in flight, and the young-generation GC copies
 * whatever stays alive; those are decoded again if read.
 */
export function keepsDecoded(id: string): boolean {
  return id.length <= 2;
}

/** A node the update wrote (its decoded form, if kept), or null: deleted. */
export type OverlayEntry = { bytes: Uint8Array; node: TreeNode | undefined } | null;

// The nodes of an update by id, kept on the update object (not enumerable: not part of its value).
const NODES: unique symbol = Symbol('overlayNodes');
type WithNodes = TreeUpdate & { [NODES]?: Map<string, OverlayEntry> };

/** Records the nodes of `update` by id (updateTree, which has them at hand). */
export function attachNodes(update: TreeUpdate, nodes: Map<string, OverlayEntry>): void {
  Object.defineProperty(update, NODES, { value: nodes, enumerable: false });
}

function nodesOf(update: TreeUpdate): Map<string, OverlayEntry> {
  const known = (update as WithNodes)[NODES];
  if (known !== undefined) return known;
  // An update not made here (built by hand, or a copy): index it once.
  const nodes = new Map<string, OverlayEntry>();
  for (const key of update.deletes) nodes.set(latin1(key), null);
  for (const [key, bytes] of update.puts) nodes.set(latin1(key), { bytes, node: undefined });
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
    if (own !== undefined) return own === null ? undefined : own.bytes;
    if (base.getNodeById !== undefined) return base.getNodeById(id);
    const length = keyScratch.write(id, 0, 'latin1');
    return base.getNode(keyScratch.subarray(0, length));
  };
  const reader: DecodingReader = {
    getNodeById,
    getNode: (key: Uint8Array): Uint8Array | undefined => getNodeById(latin1(key)),
    [READ_DECODED]: (id: string): TreeNode | undefined => {
      const own = nodes.get(id);
      if (own === undefined) return getDecoded(base, id);
      if (own === null) return undefined;
      if (own.node !== undefined) return own.node;
      const node = decodeNode(own.bytes, id);
      if (keepsDecoded(id)) {
        if (node.kind === INTERNAL_TAG) node.shared = true;
        own.node = node;
      }
      return node;
    },
  };
  return reader;
}
