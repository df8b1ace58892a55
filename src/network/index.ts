/** Public surface of the network subsystem (libp2p, topics, the gossip gate, the Transport). */
import './polyfill.js';

export { type BudgetRate, PeerBudgets, TokenBucket } from './budget.js';
export {
  type CompactProposal,
  decodeCompactProposal,
  encodeCompactProposal,
  encodeTxBatch,
  FrameReader,
  frame,
} from './encoding.js';
export { GateError, type GateErrorCode, NetworkError, type NetworkErrorCode } from './errors.js';
export {
  type GateContext,
  type MessageLimits,
  messageLimits,
  validateBlockResponse,
  validateCompactProposal,
  validateProposal,
  validateTimeout,
  validateTxBatch,
  validateVote,
} from './gate.js';
export type {
  MessageKind,
  Network,
  NetworkComponents,
  NetworkLogger,
  NetworkMetrics,
  VerdictCounters,
} from './interface.js';
export type { LedgerLibp2p } from './libp2p.js';
export { createNetwork, parsePeerAddress } from './network.js';
export { DEFAULT_NETWORK_OPTIONS, type NetworkOptions } from './options.js';
export { directProtocolFor, syncProtocolFor, TOPIC_KINDS, type TopicKind, topicsFor } from './topics.js';
export { cachingVerifier } from './verifier-cache.js';
