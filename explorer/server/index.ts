/** Public surface of the explorer server. */
export { createExplorerApp, type ExplorerAppOptions, rejectionStatus } from './app.js';
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
export { HTTP_LIMITS, HttpError, parseHashParam, parseTxSubmission } from './validation.js';
