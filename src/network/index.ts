/** Public surface of the network subsystem (libp2p, topics, the gossip gate, the Transport). */
import './polyfill.js';

export { ProposalAssembler } from './assembly.js';
export {
  BlockServeBudgets,
  type BudgetRate,
  blockServeBudgets,
  PeerBudgets,
  TokenBucket,
} from './budget.js';
export {
  type CompactProposal,
  type DirectKind,
  decodeCompactProposal,
  directKindOf,
  encodeCompactProposal,
  encodeDirect,
  encodeTxBatch,
  FrameReader,
  frame,
} from './encoding.js';
export { GateError, type GateErrorCode, NetworkError, type NetworkErrorCode } from './errors.js';
export {
  Gate,
  type GateContext,
  type MessageLimits,
  messageLimits,
  type Verdict,
  validateBlockRequest,
  validateBlockResponse,
  validateCompactProposal,
  validateDirect,
  validateGossipTimeout,
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
export { createNetwork, emptyMetrics, parsePeerAddress } from './network.js';
export { DEFAULT_NETWORK_OPTIONS, type NetworkOptions } from './options.js';
export { directProtocolFor, syncProtocolFor, TOPIC_KINDS, type TopicKind, topicsFor } from './topics.js';
export { cachingVerifier, certificateVerdicts, signatureCacheEntries } from './verifier-cache.js';
