/** Public surface of the explorer server. */
export { createExplorerApp, type ExplorerAppOptions, rejectionStatus } from './app.js';
export { HostAllowList } from './hosts.js';
export { ClientLimiter, clientKey } from './limits.js';
export { ApiMetrics } from './metrics.js';
export { type ApiServerOptions, apiServerOptions, DEFAULT_API_SERVER_OPTIONS } from './options.js';
export type {
  ChainReader,
  EvidenceView,
  NodeApi,
  NodeMetrics,
  NodeStatus,
  PeerView,
  RejectionKind,
  SubmitOutcome,
  TxStatus,
  TxSubmitter,
} from './reader.js';
export { createApiServer } from './server.js';
export { HTTP_LIMITS, HttpError, parseHashParam, parseTxSubmission } from './validation.js';
