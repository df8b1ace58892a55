import type { ConsensusMessage, Transport, ValidatorSet, Verifier } from '../consensus/index.js';
import type { Genesis } from '../genesis/index.js';
import type { Clock } from '../time/index.js';
import type { SignedTransfer } from '../tx/index.js';
import type { GateErrorCode } from './errors.js';
import type { LedgerLibp2p } from './libp2p.js';
import type { TopicKind } from './topics.js';

/** pino-compatible subset; the default logs nothing. */
export interface NetworkLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What the network needs from the rest of the node. */
export interface NetworkComponents {
  genesis: Genesis;
  /** Consensus's view of the validators (genesis id, chain id, keys). */
  validatorSet: ValidatorSet;
  /** Verifies validator signatures (secp256k1Verifier in production). */
  verifier: Verifier;
  /** The 32-byte secp256k1 secret: the validator's (or observer's) libp2p identity. */
  secretKey: Uint8Array;
  /** Accepted consensus messages; `from` is the signer (gossip) or the sending validator (direct). */
  onConsensusMessage(from: number, message: ConsensusMessage): void;
  /**
   * Structurally valid transaction batches (decoded, senders not recovered), for admission. Returns
   * why the first transaction that can never be valid (e.g. a forged signature) failed,
   * or undefined: such a batch is rejected (not forwarded, the sender scored down), since
   * an honest node gossips only transactions it admitted. Valid ones are admitted anyway.
   */
  onTransactions(txs: SignedTransfer[], fromPeer: string): string | undefined;
  /**
   * The raw bytes of a pending transaction by its keccak hash (the mempool's): gossiped
   * proposals name their transactions by hash. Default: none known (every proposal's
   * block is then fetched from its proposer).
   */
  lookupTx?: (hash: Uint8Array) => Uint8Array | undefined;
  /**
   * The stored (canonical) encoding of a committed block by its id, so block requests are
   * answered without a decode and an encode; default: every request goes to consensus.
   */
  committedBlockBytes?: (blockId: Uint8Array) => Uint8Array | undefined;
  /** The consensus core's current round, for the gate's round window; default: no window. */
  currentRound?: () => number;
  /** The leader of a round as consensus computes it (undefined: unknown); default: no check. */
  leaderOf?: (round: number) => number | undefined;
  /** The committed tip's height and round, bounding proposal heights; default: no bound. */
  committed?: () => { height: number; round: number };
  /** Rounds of consensus's highest QC and TC; default: every piggybacked certificate is verified. */
  highestCertified?: () => { qcRound: number; tcRound: number } | undefined;
  logger?: NetworkLogger;
  /** Every timer and clock read of the network (default: the system clock). */
  clock?: Clock;
}

export interface VerdictCounters {
  accepted: number;
  ignored: number;
  rejected: number;
}

/** Gossip topics, direct message kinds, and 'direct' for direct frames of no known kind. */
export type MessageKind = TopicKind | 'vote' | 'blockRequest' | 'blockResponse' | 'direct';

export interface NetworkMetrics {
  /** Inbound verdicts per message kind (gossip topics and direct messages). */
  verdicts: Record<MessageKind, VerdictCounters>;
  /** Why messages were ignored or rejected. */
  gateErrors: Partial<Record<GateErrorCode, number>>;
  dropped: {
    /** Outbound gossip messages dropped because the topic's queue was full. */
    outbound: Record<TopicKind, number>;
    /** Transactions inside those dropped batches. */
    outboundTxs: number;
    /** Direct messages dropped (queue full, or no stream to the peer). */
    direct: number;
    /** Inbound messages ignored because the validation queue was full. */
    inbound: number;
  };
  published: Record<TopicKind, number>;
  /** Work refused or deferred because a peer was over one of its budgets (budget.ts). */
  throttled: {
    /** Block requests ignored: the peer asked too often or was sent too many bytes. */
    blockRequests: number;
    /** Block requests answered from the stored encoding (no decode, no encode). */
    blocksServedStored: number;
    /** Times a peer's direct stream was paused until its byte or CPU budget recovered. */
    directReadPauses: number;
    /** Direct streams closed because a started frame did not complete in time. */
    slowFrames: number;
  };
  /** Times the outbound queues paused because gossipsub's backlog was over its bound. */
  backpressurePauses: number;
  /** Distinct peers refused by the connection gater, and refusals in total. */
  refusedPeers: number;
  refusedConnections: number;
  redials: number;
  /** Connected peers found without an outbound gossip stream, and a stream opened again (gossip-streams.ts). */
  gossipStreamsReopened: number;
  /** Connections aborted because their peer dialled this node anew (superseded.ts). */
  supersededConnections: number;
}

/** The public face of the network subsystem. */
export interface Network {
  readonly peerId: string;
  /** This node's validator index; undefined for an observer. */
  readonly selfIndex: number | undefined;
  /** The consensus driver's Transport (gossip for proposals/timeouts, direct for the rest). */
  readonly transport: Transport;
  /** The libp2p node (for the composition root and tests); valid after start. */
  readonly libp2p: LedgerLibp2p;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Listening addresses, each ending in /p2p/<peer id>. */
  getMultiaddrs(): string[];
  /** Adds a bootstrap peer at run time (dialled now, redialled when lost). */
  addBootstrap(address: string): void;
  /** Queues transactions for batched gossip. */
  publishTransactions(txs: Uint8Array[]): void;
  connectedPeers(): string[];
  /** Lowers a peer's score for a bad direct-protocol or sync answer (as a rejected direct frame). */
  penalize(peerId: string): void;
  /**
   * gossipsub score a peer earned (includes this node's penalties for bad direct messages).
   * gossipsub itself acts on no less than 0 for a genesis validator (scoring.ts).
   */
  peerScore(peerId: string): number;
  metrics(): NetworkMetrics;
}
