/** Public surface of block sync (docs/PROTOCOL.md, "Block sync"). */
export {
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncItem,
  encodeSyncRequest,
  encodeSyncStatus,
  MAX_BLOCKS_PER_REQUEST,
  type SyncItem,
  type SyncRequest,
  type SyncResponse,
} from './codec.js';
export { SyncError, type SyncErrorCode } from './errors.js';
export type {
  SyncChain,
  SyncClock,
  SyncEndpoint,
  SyncLogger,
  SyncNetwork,
  SyncSource,
} from './interface.js';
export { type Libp2pSyncDeps, Libp2pSyncNetwork } from './libp2p.js';
export {
  DEFAULT_SYNC_OPTIONS,
  DEFAULT_SYNC_SERVER_OPTIONS,
  type SyncOptions,
  type SyncServerOptions,
} from './options.js';
export { type PlannedRequest, SyncPolicy } from './policy.js';
export { serveSyncRequest, syncResponseFrames } from './serve.js';
export {
  type SyncServe,
  SyncServer,
  type SyncServerComponents,
  type SyncServerStats,
} from './server.js';
export { BlockSync, type BlockSyncComponents, type SyncMetrics, type SyncMode } from './service.js';
export {
  lastCommittedIndex,
  type SyncBase,
  type VerifiedBlock,
  type VerifyContext,
  verifyCertifiedChain,
  verifyItemQc,
  verifyRange,
  verifyResponseItems,
} from './verify.js';
