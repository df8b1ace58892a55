/**
 * The narrow interface the explorer server reads a node through (DESIGN.md: the explorer
 * reads a ChainReader, never the node's internals). Values are JSON-ready: hashes and
 * addresses are 0x-hex strings, big integers decimal strings.
 */
import type { AccountProofJson, TxProofJson } from '../../src/client/index.js';

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
  /**
   * Event-loop delay of the node's process (perf_hooks monitorEventLoopDelay, 1 ms
   * resolution) since the previous read of the metrics: each read starts a new window, so
   * one reader (a benchmark, a scraper) sees its own intervals. Absent where not measured.
   */
  eventLoop?: EventLoopDelay;
}

/** Event-loop delay percentiles over a window, in milliseconds. */
export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
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

// ------------------------------------------------------------------ the explorer's reads
//
// Committed data comes from the store through read-only lmdb transactions; indexes the
// explorer needs (block summaries, per-transaction records, running totals) are written in
// each block's one commit batch (src/store). Addresses and hashes are lowercase 0x-hex here
// (the pages show addresses EIP-55); amounts are decimal strings of wei.

/**
 * A keyset page, newest first. `next` is an opaque cursor to pass back as `cursor`, or null
 * on the last page; a page never repeats or skips an item when blocks are committed between
 * two requests (cursors name positions in immutable orders, never offsets).
 */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface PageRequest {
  /** A `next` from an earlier page of the same list; malformed or foreign: CursorError. */
  cursor?: string;
  /** Items per page, already capped by the caller (1..MAX_PAGE_LIMIT). */
  limit: number;
}

/** The largest `limit` a list accepts. */
export const MAX_PAGE_LIMIT = 100;

/** A cursor that is not one this list handed out (the API answers 400 INVALID_CURSOR). */
export class CursorError extends Error {
  readonly code = 'INVALID_CURSOR';
}

/** A genesis validator as lists show it. */
export interface ValidatorRef {
  index: number;
  name: string;
  address: string;
}

export interface BlockSummary {
  height: number;
  hash: string;
  parentHash: string;
  round: number;
  timestampMs: number;
  proposer: ValidatorRef;
  txCount: number;
  /** Bytes of the block's canonical encoding. */
  sizeBytes: number;
  gasUsed: string;
  /** Fees its transactions paid: the burned base fee plus the proposer's tips. */
  fees: string;
  burned: string;
}

/** One genesis validator in a certificate's row: `signed` false is "not in this QC", never "missed". */
export interface QcMember extends ValidatorRef {
  power: number;
  signed: boolean;
}

export interface QcView {
  round: number;
  blockHash: string;
  /** Voting power a certificate needs (n - f), and what its signers hold. */
  quorum: number;
  votingPower: number;
  /** Every genesis validator, in index order. */
  members: QcMember[];
}

export interface BlockDetail extends BlockSummary {
  chainId: string;
  stateRoot: string;
  txRoot: string;
  /** The certificate in this block's header, certifying its parent; null for genesis. */
  parentQc: QcView | null;
  /** The certificate that certifies this block; null until its child's QC is stored. */
  qc: QcView | null;
}

/** Transfer fields as signed (EIP-1559). */
export interface TransferView {
  hash: string;
  from: string;
  to: string;
  value: string;
  nonce: string;
  gasLimit: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
}

export interface CommittedTx extends TransferView {
  status: 'committed';
  height: number;
  index: number;
  blockHash: string;
  timestampMs: number;
  receipt: { status: 1; gasUsed: string; effectiveGasPrice: string; fee: string };
}

export interface PendingTx extends TransferView {
  status: 'pending';
  /** Behind a nonce gap (see SubmitOutcome). */
  queued?: true;
  /** When this node admitted it (ms since the epoch). */
  receivedAtMs: number;
}

/** `unknown`: neither committed (up to this node's head) nor in its mempool. */
export type TxDetail = CommittedTx | PendingTx | { hash: string; status: 'unknown' };

export interface AccountView {
  address: string;
  balance: string;
  /** Next nonce as committed, and counting the mempool's pending transactions. */
  nonce: string;
  pendingNonce: string;
  /** False for an address the chain has never credited or debited (balance and nonce 0). */
  exists: boolean;
}

export interface ValidatorActivity extends ValidatorRef {
  peerId: string;
  power: number;
  /** Over the window: blocks it proposed that committed, and rounds it led that committed nothing. */
  proposals: { made: number; missed: number };
  /** Share (0..1) of the window's certificates it signed: a healthy validator is often not in a QC. */
  qcShare: number;
  /**
   * Share (0..1) of the chances to act that this node saw it take (a proposal in a round it
   * led, a vote when this node collected votes, a timeout in a round that timed out); null
   * when this node had no such chance to watch it.
   */
  uptime: number | null;
  /** Equivocation evidence this node holds against it. */
  evidence: number;
}

export interface ValidatorsView {
  /** The window of committed blocks the figures cover. */
  window: { fromHeight: number; toHeight: number; blocks: number };
  quorum: number;
  validators: ValidatorActivity[];
}

export interface StatsWindow {
  /** Blocks the window covers (the newest ones) and the seconds between its first and last. */
  blocks: number;
  seconds: number;
  txPerSecond: number;
  meanBlockTimeMs: number;
  roundsPerBlock: number;
}

export interface StatsView {
  height: number;
  totalTxs: number;
  totalAccounts: number;
  /** Recent windows, shortest first (e.g. the last 10 and 100 blocks). */
  windows: StatsWindow[];
  /** The newest blocks, oldest first, for charts. */
  recent: Array<{ height: number; timestampMs: number; txCount: number; round: number }>;
}

/** What a live stream hears: the committed head moved, or a transaction entered the mempool. */
export interface ExplorerListener {
  onHead(height: number): void;
  onPendingTx(tx: PendingTx): void;
}

/**
 * The explorer's reads (src/node/explorer-reader.ts implements them over the store, the
 * mempool and the node's view of consensus). Each call is a short synchronous read.
 */
/**
 * Why a proof route has no proof to serve: nothing committed by that name on this node
 * (NOT_FOUND; a pending transaction is NOT_COMMITTED), or not provable here (NOT_PROVABLE: an
 * account at a height outside the provable window, or a block whose proof of commit is not
 * stored yet).
 */
export interface ProofRefusal {
  refused: 'NOT_FOUND' | 'NOT_COMMITTED' | 'NOT_PROVABLE';
  message: string;
}

export interface ExplorerReader {
  /** The committed head. */
  head(): { height: number; hash: string };
  /** Committed blocks, newest first, from `before - 1` down when given (else the head). */
  blocks(req: PageRequest & { before?: number }): Page<BlockSummary>;
  block(id: { height: number } | { hash: Uint8Array }): BlockDetail | undefined;
  /** A committed block's transactions, in block order; undefined for an unknown height. */
  blockTxs(height: number, req: PageRequest): Page<CommittedTx> | undefined;
  /** A transaction by hash: committed, pending or unknown. */
  tx(hash: Uint8Array): TxDetail;
  account(address: Uint8Array): AccountView;
  /** Transactions that sent from or paid to `address`, newest first. */
  accountTxs(address: Uint8Array, req: PageRequest): Page<CommittedTx>;
  validators(): ValidatorsView;
  /** Transactions waiting in the mempool, newest admitted first. */
  mempool(req: PageRequest): Page<PendingTx>;
  /**
   * A committed transaction's proof (docs/FORMATS.md "Client proofs"): the proof of commit of
   * its block, its inclusion under the tx root and its receipt under the receipts root.
   */
  txProof(hash: Uint8Array): TxProofJson | ProofRefusal;
  /**
   * An account's balance and nonce, or its absence, with its proof under the state root of
   * the committed block at `height` (default: the head) and that block's proof of commit.
   */
  accountProof(address: Uint8Array, height?: number): AccountProofJson | ProofRefusal;
  stats(): StatsView;
  /** Live updates; returns the unsubscribe. Listeners must not throw or block. */
  subscribe(listener: ExplorerListener): () => void;
}

/** Everything the HTTP API needs from a node. */
export type NodeApi = ChainReader & TxSubmitter & { explorer: ExplorerReader };
