import type { MempoolMetrics } from '../mempool/index.js';
import type { NetworkMetrics } from '../network/index.js';
import type { SyncMetrics, SyncServerStats } from '../sync/index.js';

/**
 * What the metrics read at scrape time, each from the subsystem that counts it. Every
 * reader is called once per scrape; undefined means the subsystem is not running (the
 * network before start, consensus on an observer or while a validator syncs).
 */
export interface MetricSources {
  /** The committed tip's height (committed by consensus or sync, durable or in flight). */
  committedHeight(): number;
  mempool(): MempoolMetrics;
  network(): NetworkMetrics | undefined;
  /** Connected libp2p peers. */
  peers(): number;
  consensus(): ConsensusFigures | undefined;
  sync(): SyncProgress | undefined;
  /** The memory upkeep's passes and malloc trims (src/node/memory-upkeep.ts). */
  memoryUpkeep(): MemoryUpkeepFigures;
}

export interface MemoryUpkeepFigures {
  passes: number;
  longestPassMs: number;
  mallocTrims: number;
  /** While a trim runs, a thread allocating from malloc waits: the event loop among them. */
  longestTrimMs: number;
}

/** Where this validator's consensus core stands (a subset of its CoreStatus). */
export interface ConsensusFigures {
  round: number;
  highQcRound: number;
  highTcRound: number;
  lastVotedRound: number;
}

export interface SyncProgress {
  /** Catching up: a validator has left consensus, an observer is behind. */
  syncing: boolean;
  /** How far sync would fetch now. */
  targetHeight: number;
  /** The highest height some peer has proven committed. */
  provenHeight: number;
  counters: SyncMetrics;
  /** What this node's sync server answered peers (undefined before it starts). */
  server: SyncServerStats | undefined;
}

/** What the consensus core is asked on each step, to see rounds, TCs and leaders change. */
export interface ConsensusView {
  /** Undefined while no core runs (an observer, a validator syncing or not yet started). */
  round(): number | undefined;
  /** Round of the highest timeout certificate the core holds (0: none). */
  highestTcRound(): number;
  leaderOf(round: number): number | undefined;
}

/**
 * One line of the consensus driver's trace (src/consensus TraceRecord), as far as the
 * metrics read it: the driver calls its trace port on every event in and action out.
 */
export interface ConsensusStep {
  dir: 'in' | 'out';
  type: string;
  repeat?: true;
}

/** Where a committed block came from. */
export type CommitSource = 'consensus' | 'sync';

/** Whether a block was executed to build a proposal, or to check one (or a certified block). */
export type ExecutionPhase = 'build' | 'validate';

/**
 * Event-time observations of the node's block application (src/node/application.ts): what
 * cannot be read afterwards from a counter, only timed when it happens.
 */
export interface BlockObserver {
  /** Milliseconds on a monotonic clock: the start of what is timed, and when a block was first seen. */
  nowMs(): number;
  blockExecuted(phase: ExecutionPhase, elapsedMs: number): void;
  /**
   * A block committed (handed to the store). `latencyMs`: from when this node first saw it
   * to now, when it saw it before the commit (not for synced blocks).
   */
  blockCommitted(source: CommitSource, transactions: number, latencyMs: number | undefined): void;
  /** A block's store write became durable `elapsedMs` after it was handed to the store. */
  blockStored(elapsedMs: number): void;
}
