/**
 * The narrow interface the explorer server reads a node through (DESIGN.md: the explorer
 * reads a ChainReader, never the node's internals). Values are JSON-ready: hashes and
 * addresses are 0x-hex strings, big integers decimal strings.
 */

export interface NodeStatus {
  chainId: string;
  /** Height and hash of the last committed block. */
  height: number;
  headHash: string;
  /** The consensus round this node is in (0 for an observer). */
  round: number;
  /** The leader of `round`, when this node runs consensus. */
  leader: { index: number; name: string; address: string } | null;
  syncing: boolean;
  /** Connected libp2p peers. */
  peers: number;
  mempoolSize: number;
  role: 'validator' | 'observer';
  /** This node's validator index (validators only). */
  validator?: number;
  peerId: string;
  /** True before the genesis time: consensus starts at `startsAtMs` (ms since the epoch). */
  waitingForGenesis?: boolean;
  startsAtMs?: number;
}

/** Why a transaction was refused: never valid, not valid now, or no room. */
export type RejectionKind = 'invalid' | 'state' | 'capacity';

/**
 * One outcome per submitted transaction. Admitted (HTTP 202): journaled, so it survives a
 * crash of this node; `queued` when its nonce leaves a gap after the sender's next
 * executable nonce: it waits for the missing ones and is dropped if they do not come in
 * time (the mempool's lifetime) or when a better-paying transaction needs its room.
 */
export type SubmitOutcome =
  | { hash: string; queued?: true }
  | { error: string; message: string; kind: RejectionKind; hash?: string };

export type TxStatus =
  /** `queued`: behind a nonce gap (see SubmitOutcome). */
  | { hash: string; status: 'pending'; queued?: true }
  | { hash: string; status: 'committed'; height: number; index: number }
  | { hash: string; status: 'unknown' };

/** A connected libp2p peer, as this node sees it. */
export interface PeerView {
  peerId: string;
  /** What genesis says the peer is; 'unknown' only for a connection the gater is closing. */
  role: 'validator' | 'observer' | 'unknown';
  /** Validator index (validators only). */
  validator?: number;
  name?: string;
  /** This node's gossipsub score of the peer: below 0 after invalid messages. */
  score: number;
}

/**
 * Equivocation evidence this node holds: the two signed statements, 0x-hex, in their compact
 * encodings (src/node/safety-store.ts): a proposal as rlp([header encoding, signature]), a
 * vote as rlp([round, blockId, signer, signature]). Each checks against the validator's key.
 */
export interface EvidenceView {
  kind: 'proposal' | 'vote';
  round: number;
  validator: number;
  name: string;
  first: string;
  second: string;
  recordedAtMs: number;
}

/** Counters for operators: what was admitted, rejected and dropped (JSON numbers). */
export interface NodeMetrics {
  /** Admissions, rejections by code, recoveries, size (src/mempool MempoolMetrics). */
  mempool: object;
  /** Gate verdicts per message kind, rejections by code, drops under overload, redials
   * (src/network NetworkMetrics); null before the network has started. */
  network: object | null;
  /** A validator's round, highest QC/TC rounds, last voted and timeout rounds, blocks in
   * its tree (src/consensus CoreStatus); null on an observer. */
  consensus: object | null;
}

export interface ChainReader {
  status(): NodeStatus;
  metrics(): NodeMetrics;
  peers(): PeerView[];
  evidence(): EvidenceView[];
  /** The status of a transaction by its 32-byte hash. */
  transactionStatus(hash: Uint8Array): TxStatus;
}

export interface TxSubmitter {
  /**
   * Admits raw signed transactions, in order; one outcome each. Resolves once the admitted
   * ones are durable; a large batch is admitted in slices that yield to the event loop.
   */
  submitTransactions(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]>;
}

/** Everything the HTTP API needs from a node. */
export type NodeApi = ChainReader & TxSubmitter;
