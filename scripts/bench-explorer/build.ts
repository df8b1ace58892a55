/**
 * Builds (or finds already built) the benchmark's store; run in its own process so that the
 * parent does not keep a million transactions' hashes in memory while it measures.
 *   tsx scripts/bench-explorer/build.ts BLOCKS TXS_PER_BLOCK HOT_SHARE
 */
import { createExplorerStore } from '../../test/support/explorer-store.js';
import { builtStoreDir, storeOptions } from './store.js';

const [blocks, txsPerBlock, hotAccountShare] = process.argv.slice(2).map(Number);
const shape = { blocks, txsPerBlock, hotAccountShare };
const started = performance.now();
const chain = await createExplorerStore(storeOptions(shape, builtStoreDir(shape)));
const head = chain.store.head().height;
await chain.close();
console.error(
  `store ${builtStoreDir(shape)}: ${head} blocks ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
