/** Public surface of the node: the composition root and its ports' real implementations. */
export {
  ActivityTracker,
  type ActivityTrackerOptions,
  DEFAULT_ACTIVITY_OPTIONS,
  type RoundActivity,
  tallyUptime,
  type UptimeTally,
} from './activity.js';
export { TransactionAdmission } from './admission.js';
export { NodeApiFacade, type NodeApiFacadeComponents } from './api-facade.js';
export { type ApplicationComponents, LedgerApplication } from './application.js';
export { type DriverClock, driverClock } from './clock.js';
export {
  ConsensusLifecycle,
  type ConsensusLifecycleComponents,
  type ConsensusLifecycleOptions,
  type ConsensusReadout,
  withUndurableBlocks,
} from './consensus-lifecycle.js';
export { NodeError, type NodeErrorCode } from './errors.js';
export {
  DEFAULT_EXPLORER_READER_OPTIONS,
  type ExplorerReaderComponents,
  type ExplorerReaderOptions,
  StoreExplorerReader,
} from './explorer-reader.js';
export { ApiListeners, type ApiListenersComponents, type ApiListenersOptions } from './listeners.js';
export { childLogger, type NodeLogger, silentLogger } from './logger.js';
export { LedgerNode, type LedgerNodeComponents } from './node.js';
export {
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS,
  DEFAULT_LISTEN,
  DEFAULT_MALLOC_TRIM_MS,
  DEFAULT_MEMORY_UPKEEP_MS,
  DEFAULT_TX_REBROADCAST_MAX_TXS,
  DEFAULT_TX_REBROADCAST_MS,
  MAX_CLOCK_SKEW_MS,
  type NodeOptions,
} from './options.js';
export { genesisBlockOf, type NodeRole, roleOf } from './role.js';
export { LmdbSafetyStore } from './safety-store.js';
export { type JournalTx, TxJournal } from './tx-journal.js';
