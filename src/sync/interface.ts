import type { Block } from '../chain/types.js';
import type { Clock } from '../time/index.js';
import type { SyncServerStats } from './server.js';
import type { SyncBase, VerifiedBlock } from './verify.js';

/** The local chain as sync sees it: the committed tip, and the one way to extend it. */
export interface SyncChain {
  /** The committed tip (durable or being written) and its state: what the next block extends. */
  tip(): SyncBase;
  /** Commits a verified block on the tip (the store write may complete later, in order). */
  commit(block: VerifiedBlock): void;
}

/** What a server reads to answer requests: the durable committed chain. */
export interface SyncSource {
  headHeight(): number;
  /** The canonical encoding of the committed block at `height`. */
  getBlockBytes(height: number): Uint8Array | undefined;
  /** The encoded QC that certifies the committed block at `height`. */
  getCommitQc(height: number): Uint8Array | undefined;
}

/** The request/response transport (libp2p in the node, in-memory in tests). */
export interface SyncNetwork {
  /** Peers that may serve blocks. */
  peers(): string[];
  /** Sends one request; resolves with the response frames, or rejects (SyncError). */
  request(peer: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array[]>;
  /** Lowers the peer's score (it served data that failed verification). */
  penalize(peer: string): void;
}

/**
 * Both ends of block sync on one node: the requests it makes and the server that answers
 * its peers. The node's consensus lifecycle takes it from the composition root, so that the
 * composed simulator hands the same lifecycle a simulated one (libp2p in the node).
 */
export interface SyncEndpoint extends SyncNetwork {
  /** Starts answering peers from `source`; a request must arrive within `timeoutMs`. */
  start(source: SyncSource, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
  serverStats(): SyncServerStats;
}

/**
 * Injected time, the parts of the node's clock port sync uses: the sync loop never reads
 * the clock itself. Without `defer`, verified blocks are applied at once (tests).
 */
export type SyncClock = Pick<Clock, 'nowMs' | 'setInterval'> & Partial<Pick<Clock, 'defer'>>;

export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export type { Block };
