/**
 * What answering peers' sync requests may cost this node, apart from any transport: per-peer
 * budgets of requests and bytes, how many answers run at once, and what was served, cut
 * short or refused (options.ts, SyncServerOptions). The libp2p server (libp2p.ts) and the
 * composed simulator's endpoint both answer through it, so the budgets they enforce are one.
 *
 * A request is first admitted (`admit`): it spends one of its peer's requests, then takes a
 * serve slot, or is refused. The admitted request's answer (`SyncServe.answer`) charges each
 * frame to the peer's byte budget as it is produced and stops before a block once the budget
 * is spent. The slot is held until the transport releases it, so an answer that waits on a
 * slow reader keeps counting against the limits.
 */
import { PeerBudgets } from '../network/index.js';
import { SyncError } from './errors.js';
import type { SyncSource } from './interface.js';
import { DEFAULT_SYNC_SERVER_OPTIONS, type SyncServerOptions } from './options.js';
import { syncResponseFrames } from './serve.js';

/** What the server refused or cut short, for tests and diagnostics. */
export interface SyncServerStats {
  served: number;
  /** Answers that stopped before the count because the peer's byte budget was spent. */
  cutShort: number;
  /** Requests refused: over the peer's request budget, or too many served at once. */
  refused: number;
  /** Requests not received in time. */
  readTimeouts: number;
}

export interface SyncServerComponents {
  /** Monotonic milliseconds: the budgets refill on it (the server never reads a clock). */
  now(): number;
}

/** One admitted request: its answer, and the serve slot it holds until released. */
export interface SyncServe {
  readonly peer: string;
  /**
   * The response frames to `request` from `source` (syncResponseFrames), each charged to
   * the peer's byte budget as it is produced; throws SyncError MALFORMED on a bad request.
   */
  answer(source: SyncSource, request: Uint8Array): Generator<Uint8Array, void, void>;
  /** Whether the answer so far stopped early because the peer's bytes were spent. */
  readonly cutShort: boolean;
  /** The request did not arrive in time: counted, and the slot released. */
  readTimedOut(): void;
  /** The answer went out in full: counted as served, and the slot released. */
  sent(): void;
  /** Gives the slot back (once; later calls do nothing), counting nothing. */
  release(): void;
}

export class SyncServer {
  readonly options: Readonly<SyncServerOptions>;
  private readonly requestBudgets: PeerBudgets;
  private readonly byteBudgets: PeerBudgets;
  private servingCount = 0;
  /** Answers in progress per peer (only peers with at least one: bounded by maxConcurrentServes). */
  private readonly servingByPeer = new Map<string, number>();
  private readonly counts: SyncServerStats = { served: 0, cutShort: 0, refused: 0, readTimeouts: 0 };

  constructor(options: Partial<SyncServerOptions>, components: SyncServerComponents) {
    this.options = { ...DEFAULT_SYNC_SERVER_OPTIONS, ...options };
    const o = this.options;
    this.requestBudgets = new PeerBudgets(
      { ratePerSecond: o.requestsPerSecond, burst: o.requestsBurst },
      components.now,
    );
    this.byteBudgets = new PeerBudgets(
      { ratePerSecond: o.servedBytesPerSecond, burst: o.servedBurstBytes },
      components.now,
    );
  }

  /**
   * A request of `peer` arriving (a stream opened, before its bytes are read): admitted with
   * a serve slot, or refused with SyncError UNAVAILABLE.
   */
  admit(peer: string): SyncServe | SyncError {
    // [budget] requests per second per peer, charged when the request arrives: one that
    // never finishes its request costs its sender as much as one that does
    if (!this.requestBudgets.of(peer).take(1)) {
      this.counts.refused++;
      return new SyncError('UNAVAILABLE', 'too many sync requests');
    }
    // [concurrency] so many answers at once over all peers, and fewer for any one peer, so
    // a peer holding its answers open (never reading) cannot take every slot
    const ofPeer = this.servingByPeer.get(peer) ?? 0;
    if (
      this.servingCount >= this.options.maxConcurrentServes ||
      ofPeer >= this.options.maxConcurrentServesPerPeer
    ) {
      this.counts.refused++;
      return new SyncError('UNAVAILABLE', 'sync server busy');
    }
    this.servingCount++;
    this.servingByPeer.set(peer, ofPeer + 1);
    return this.slot(peer);
  }

  stats(): SyncServerStats {
    return { ...this.counts };
  }

  /** Answers in progress: over all peers, or of one peer. */
  serving(peer?: string): number {
    return peer === undefined ? this.servingCount : (this.servingByPeer.get(peer) ?? 0);
  }

  private slot(peer: string): SyncServe {
    const bytes = this.byteBudgets.of(peer);
    const counts = this.counts;
    let held = true;
    let cutShort = false;
    const release = () => {
      if (!held) return;
      held = false;
      this.servingCount--;
      const left = (this.servingByPeer.get(peer) ?? 1) - 1;
      if (left > 0) this.servingByPeer.set(peer, left);
      else this.servingByPeer.delete(peer);
    };
    // [budget] bytes per second per peer: the answer stops before a block once they are spent
    const mayContinue = () => {
      if (bytes.available() > 0) return true;
      cutShort = true;
      return false;
    };
    return {
      peer,
      *answer(source, request) {
        for (const f of syncResponseFrames(source, request, mayContinue)) {
          bytes.charge(f.length);
          yield f;
        }
      },
      get cutShort() {
        return cutShort;
      },
      readTimedOut() {
        if (held) counts.readTimeouts++;
        release();
      },
      sent() {
        if (held) {
          counts.served++;
          if (cutShort) counts.cutShort++;
        }
        release();
      },
      release,
    };
  }
}
