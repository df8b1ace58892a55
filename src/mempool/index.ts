export { MempoolError, type MempoolErrorCode } from './errors.js';
export type {
  AddOptions,
  AddResult,
  AdmissionListener,
  CommitOutcome,
  CommittedTx,
  MempoolBlockLimits,
  MempoolComponents,
  MempoolMetrics,
  PoolTx,
  SelectOptions,
} from './interface.js';
export { BLOCK_FRAMING_BYTES, Mempool, outbids, REPLACEMENT_BUMP_PERCENT } from './mempool.js';
export { DEFAULT_MEMPOOL_OPTIONS, type MempoolOptions } from './options.js';
