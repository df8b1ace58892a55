export { MempoolError, type MempoolErrorCode } from './errors.js';
export type {
  AddResult,
  CommitOutcome,
  CommittedTx,
  MempoolBlockLimits,
  MempoolComponents,
  MempoolMetrics,
  SelectOptions,
} from './interface.js';
export { BLOCK_FRAMING_BYTES, Mempool, outbids, REPLACEMENT_BUMP_PERCENT } from './mempool.js';
export { DEFAULT_MEMPOOL_OPTIONS, type MempoolOptions } from './options.js';
