/**
 * The benchmark's store: 1,000 blocks of 1,000 transfers (1,000,000 committed transactions)
 * in which account 0, the hot account, takes part in a tenth (100,000), built once through
 * the real pipeline (signing, execution, the store's commit with its explorer indexes) by
 * test/support/explorer-store.ts and kept under data/ (git-ignored) for later runs.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExplorerStoreOptions } from '../../test/support/explorer-store.js';

export const BUILT_STORE_DIR = join(import.meta.dirname, '..', '..', 'data', 'bench-explorer');

export interface BenchStoreShape {
  blocks: number;
  txsPerBlock: number;
  hotAccountShare: number;
}

export const DEFAULT_STORE_SHAPE: BenchStoreShape = { blocks: 1000, txsPerBlock: 1000, hotAccountShare: 0.1 };

/** The fixture's options for a store of this shape, in `dir`. */
export function storeOptions(shape: BenchStoreShape, dir: string): ExplorerStoreOptions {
  return {
    dir,
    blocks: shape.blocks,
    txsPerBlock: shape.txsPerBlock,
    hotAccountShare: shape.hotAccountShare,
    accounts: 64,
    validators: 4,
    seed: 'bench-explorer',
  };
}

/** Where the built store of this shape is kept (one directory per shape). */
export function builtStoreDir(shape: BenchStoreShape): string {
  return join(BUILT_STORE_DIR, `${shape.blocks}x${shape.txsPerBlock}-hot${shape.hotAccountShare}`);
}

/**
 * A throwaway copy of the built store beside it: the live phase commits blocks, and a
 * store with blocks past its build is rebuilt by the fixture, so the built one is never served.
 */
export async function copyOfBuiltStore(
  shape: BenchStoreShape,
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(BUILT_STORE_DIR, 'run-'));
  await cp(builtStoreDir(shape), dir, { recursive: true });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
