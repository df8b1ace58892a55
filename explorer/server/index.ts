/** Public surface of the explorer server. */
export { createExplorerApp, type ExplorerAppOptions, rejectionStatus } from './app.js';
export { corsAllows } from './cors.js';
export { type EventStreamCounters, type EventStreamOptions, EventStreams } from './events.js';
export { HostAllowList } from './hosts.js';
export { ClientLimiter, clientKey } from './limits.js';
export { ApiMetrics } from './metrics.js';
export { openApiDocument } from './openapi.js';
export { type ApiServerOptions, apiServerOptions, DEFAULT_API_SERVER_OPTIONS } from './options.js';
export type {
  AccountView,
  BlockDetail,
  BlockSummary,
  ChainReader,
  CommittedTx,
  EvidenceView,
  ExplorerListener,
  ExplorerReader,
  NodeApi,
  NodeMetrics,
  NodeStatus,
  Page,
  PageRequest,
  PeerView,
  PendingTx,
  ProofRefusal,
  QcMember,
  QcView,
  RejectionKind,
  StatsView,
  StatsWindow,
  SubmitOutcome,
  TransferView,
  TxDetail,
  TxStatus,
  TxSubmitter,
  ValidatorActivity,
  ValidatorRef,
  ValidatorsView,
} from './reader.js';
export { CursorError, MAX_PAGE_LIMIT } from './reader.js';
export { API_PREFIX, ROUTES, type RouteSpec } from './routes.js';
export {
  addressText,
  blockIdText,
  cursorText,
  DEFAULT_PAGE_LIMIT,
  hashText,
  heightText,
  MAX_SEARCH_CHARS,
  type SearchTarget,
  searchText,
} from './schemas.js';
export { createApiServer } from './server.js';
export { HTTP_LIMITS, HttpError, parseHashParam, parseTxSubmission } from './validation.js';
