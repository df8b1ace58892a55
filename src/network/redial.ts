/**
 * Keeps this node connected to its bootstrap peers: dials them at start and, when a
 * connection is lost or a dial fails, dials again after a backoff that doubles from
 * redialMinDelayMs to redialMaxDelayMs, with jitter so restarted nodes do not dial in
 * lockstep. The backoff resets only once a connection has stayed up for STABLE_MS: a
 * peer that accepts the dial and then drops it (e.g. its gater refuses us) keeps backing off.
 */
import type { Libp2p } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Clock, Timer } from '../time/index.js';
import type { NetworkLogger, NetworkMetrics } from './interface.js';

const STABLE_MS = 10_000;

interface Watched {
  address: Multiaddr;
  attempts: number;
  timer?: Timer;
  connectedAtMs?: number;
}

export interface RedialerOptions {
  /** Delay before the first redial; doubles with each failure in a row. */
  minDelayMs: number;
  maxDelayMs: number;
}

export interface RedialerComponents {
  libp2p: Libp2p;
  metrics: NetworkMetrics;
  logger: NetworkLogger;
  clock: Clock;
  /** Jitter in [0, 1) (default Math.random). */
  random?: () => number;
}

export class Redialer {
  private readonly peers = new Map<string, Watched>();
  private stopped = true;
  private readonly onConnect = (e: CustomEvent<{ toString(): string }>) => {
    const w = this.peers.get(e.detail.toString());
    if (!w) return;
    w.timer?.cancel();
    w.timer = undefined;
    w.connectedAtMs = this.c.clock.monotonicMs();
  };
  private readonly onDisconnect = (e: CustomEvent<{ toString(): string }>) => {
    const id = e.detail.toString();
    const w = this.peers.get(id);
    if (!w || this.stopped) return;
    if (w.connectedAtMs !== undefined && this.c.clock.monotonicMs() - w.connectedAtMs >= STABLE_MS)
      w.attempts = 0;
    w.connectedAtMs = undefined;
    this.c.logger.info({ peer: id }, 'lost connection to a bootstrap peer; redialling');
    this.schedule(id, w);
  };

  private readonly random: () => number;

  constructor(
    private readonly o: RedialerOptions,
    private readonly c: RedialerComponents,
  ) {
    this.random = c.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    this.c.libp2p.addEventListener('peer:connect', this.onConnect);
    this.c.libp2p.addEventListener('peer:disconnect', this.onDisconnect);
    for (const [id, w] of this.peers) this.dial(id, w);
  }

  stop(): void {
    this.stopped = true;
    this.c.libp2p.removeEventListener('peer:connect', this.onConnect);
    this.c.libp2p.removeEventListener('peer:disconnect', this.onDisconnect);
    for (const w of this.peers.values()) {
      w.timer?.cancel();
      w.timer = undefined;
    }
  }

  /** Watches `peerId` at `address`; dials it now when started. */
  add(peerId: string, address: Multiaddr): void {
    const existing = this.peers.get(peerId);
    if (existing) {
      existing.address = address;
      return;
    }
    const w: Watched = { address, attempts: 0 };
    this.peers.set(peerId, w);
    if (!this.stopped) this.dial(peerId, w);
  }

  /** Delay before attempt k (k >= 1): min * 2^(k-1), capped, times a jitter in [0.5, 1). */
  delayMs(attempt: number): number {
    const base = Math.min(this.o.maxDelayMs, this.o.minDelayMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(base * (0.5 + this.random() / 2));
  }

  private schedule(id: string, w: Watched): void {
    if (this.stopped || w.timer !== undefined) return;
    w.attempts++;
    w.timer = this.c.clock.setTimeout(() => {
      w.timer = undefined;
      this.c.metrics.redials++;
      this.dial(id, w);
    }, this.delayMs(w.attempts));
  }

  private dial(id: string, w: Watched): void {
    if (this.stopped) return;
    if (this.c.libp2p.getConnections().some((c) => c.remotePeer.toString() === id)) return;
    this.c.libp2p.dial(w.address).catch((err: Error) => {
      this.c.logger.debug({ peer: id, err: err.message }, 'dial failed');
      this.schedule(id, w);
    });
  }
}
