/** An in-memory node store for tests, genesis and the simulator. */
import type { TreeReader, TreeUpdate } from './interface.js';

/** A node key (at most 33 bytes) as a latin1 string. */
function idOf(key: Uint8Array): string {
  return String.fromCharCode.apply(null, key as unknown as number[]);
}

export class MemoryTreeStore implements TreeReader {
  private readonly nodes = new Map<string, Uint8Array>();

  getNode(nodeKey: Uint8Array): Uint8Array | undefined {
    return this.nodes.get(idOf(nodeKey));
  }

  /** Applies the writes of one `updateTree` result. */
  apply(update: TreeUpdate): void {
    for (const key of update.deletes) this.nodes.delete(idOf(key));
    for (const [key, value] of update.puts) this.nodes.set(idOf(key), value);
  }

  /** Number of stored nodes. */
  get size(): number {
    return this.nodes.size;
  }

  /** The stored [nodeKey, nodeValue] pairs, in byte order of the keys. */
  entries(): Array<[Uint8Array, Uint8Array]> {
    return [...this.nodes.keys()]
      .sort()
      .map((id) => [new Uint8Array(Buffer.from(id, 'latin1')), this.nodes.get(id)!]);
  }
}
