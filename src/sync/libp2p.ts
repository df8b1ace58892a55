/**
 * Block sync over libp2p: one stream per request on `/bft-ledger/<fork>/sync/1`
 * (codec.ts). Open to every genesis peer, observers included (the connection gater
 * admits only genesis peers); each answer is bounded by the request's count, and what one
 * peer's requests cost by its budgets (options.ts, SyncServerOptions): a request must arrive
 * in time, few are served at once, and blocks are read one at a time as the stream drains,
 * from their stored encoding.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { FrameReader, frame, PeerBudgets } from '../network/index.js';
import { type Clock, systemClock } from '../time/index.js';
import { MAX_BLOCKS_PER_REQUEST } from './codec.js';
import { SyncError } from './errors.js';
import type { SyncLogger, SyncNetwork, SyncSource } from './interface.js';
import { DEFAULT_SYNC_SERVER_OPTIONS, type SyncServerOptions } from './options.js';
import { syncResponseFrames } from './serve.js';

export interface Libp2pSyncDeps {
  libp2p: Libp2p;
  protocol: string;
  /** The largest frame: a maximal block plus its QC. */
  maxFrameBytes: number;
  /** Peers to ask (connected genesis peers). */
  peers(): string[];
  penalize(peer: string): void;
  maxInboundStreams: number;
  /** Bounds on what serving costs (defaults: DEFAULT_SYNC_SERVER_OPTIONS). */
  server?: Partial<SyncServerOptions>;
  logger: SyncLogger;
  /** The request read deadline and the budgets' refill (default: the system clock). */
  clock?: Clock;
}

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

/** Frames until the remote closes its end; more than `max` frames is a fault. */
async function readFrames(stream: Stream, reader: FrameReader, max: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const chunk of stream) {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
    for (const f of reader.push(bytes)) {
      frames.push(f);
      if (frames.length > max) throw new SyncError('WRONG_RANGE', 'more frames than asked for');
    }
  }
  return frames;
}

async function sendAll(stream: Stream, frames: Iterable<Uint8Array>, signal: AbortSignal): Promise<void> {
  for (const f of frames) {
    if (stream.writableNeedsDrain) await stream.onDrain({ signal });
    stream.send(frame(f));
  }
  await stream.close({ signal });
}

export class Libp2pSyncNetwork implements SyncNetwork {
  private readonly server: SyncServerOptions;
  private readonly requestBudgets: PeerBudgets;
  private readonly byteBudgets: PeerBudgets;
  private serving = 0;
  /** Answers in progress per peer (only peers with at least one: bounded by maxConcurrentServes). */
  private readonly servingByPeer = new Map<string, number>();
  private readonly stats: SyncServerStats = { served: 0, cutShort: 0, refused: 0, readTimeouts: 0 };
  private readonly clock: Clock;

  constructor(private readonly d: Libp2pSyncDeps) {
    this.server = { ...DEFAULT_SYNC_SERVER_OPTIONS, ...d.server };
    this.clock = d.clock ?? systemClock;
    const now = () => this.clock.monotonicMs();
    this.requestBudgets = new PeerBudgets(
      { ratePerSecond: this.server.requestsPerSecond, burst: this.server.requestsBurst },
      now,
    );
    this.byteBudgets = new PeerBudgets(
      { ratePerSecond: this.server.servedBytesPerSecond, burst: this.server.servedBurstBytes },
      now,
    );
  }

  /** Starts answering requests from `source`. */
  async start(source: SyncSource, timeoutMs: number): Promise<void> {
    await this.d.libp2p.handle(
      this.d.protocol,
      (stream, connection) => {
        void this.serve(stream, connection.remotePeer.toString(), source, timeoutMs);
      },
      { maxInboundStreams: this.d.maxInboundStreams },
    );
  }

  serverStats(): SyncServerStats {
    return { ...this.stats };
  }

  async stop(): Promise<void> {
    await this.d.libp2p.unhandle(this.d.protocol).catch(() => {});
  }

  private async serve(stream: Stream, peer: string, source: SyncSource, timeoutMs: number): Promise<void> {
    // [budget] requests per second per peer, charged when the stream opens: a stream that
    // never finishes its request costs its sender as much as one that does
    if (!this.requestBudgets.of(peer).take(1)) {
      this.stats.refused++;
      stream.abort(new SyncError('UNAVAILABLE', 'too many sync requests'));
      return;
    }
    // [concurrency] so many answers at once over all peers, and fewer for any one peer, so
    // a peer holding its streams open (never reading) cannot take every slot: more are
    // refused at once
    const ofPeer = this.servingByPeer.get(peer) ?? 0;
    if (this.serving >= this.server.maxConcurrentServes || ofPeer >= this.server.maxConcurrentServesPerPeer) {
      this.stats.refused++;
      stream.abort(new Error('sync server busy'));
      return;
    }
    this.serving++;
    this.servingByPeer.set(peer, ofPeer + 1);
    const signal = AbortSignal.timeout(timeoutMs);
    const readTimer = this.clock.setTimeout(() => {
      this.stats.readTimeouts++;
      stream.abort(new Error('sync request not received in time'));
    }, this.server.requestReadTimeoutMs);
    try {
      // [read time] the request (a few bytes) must arrive, and its stream close, in time
      let request: Uint8Array | undefined;
      try {
        [request] = await readFrames(stream, new FrameReader(64), 1);
      } finally {
        readTimer.cancel();
      }
      if (!request) throw new SyncError('MALFORMED', 'no request');
      // [budget] bytes per second per peer: the answer stops early once they are spent
      const bytes = this.byteBudgets.of(peer);
      let cutShort = false;
      const mayContinue = () => {
        if (bytes.available() > 0) return true;
        cutShort = true;
        return false;
      };
      const frames = syncResponseFrames(source, request, mayContinue);
      const charged = (function* () {
        for (const f of frames) {
          bytes.charge(f.length);
          yield f;
        }
      })();
      await sendAll(stream, charged, signal);
      this.stats.served++;
      if (cutShort) this.stats.cutShort++;
    } catch (err) {
      this.d.logger.debug({ peer, err: (err as Error).message }, 'sync request not served');
      stream.abort(err as Error);
    } finally {
      this.serving--;
      const left = (this.servingByPeer.get(peer) ?? 1) - 1;
      if (left > 0) this.servingByPeer.set(peer, left);
      else this.servingByPeer.delete(peer);
    }
  }

  peers(): string[] {
    return this.d.peers();
  }

  penalize(peer: string): void {
    this.d.penalize(peer);
  }

  async request(peer: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array[]> {
    const signal = AbortSignal.timeout(timeoutMs);
    let stream: Stream;
    try {
      stream = await this.d.libp2p.dialProtocol(peerIdFromString(peer), this.d.protocol, { signal });
    } catch (err) {
      throw new SyncError('UNAVAILABLE', `cannot open a sync stream: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const onAbort = () => stream.abort(new Error('sync request timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await sendAll(stream, [request], signal);
      return await readFrames(stream, new FrameReader(this.d.maxFrameBytes), 1 + MAX_BLOCKS_PER_REQUEST);
    } catch (err) {
      if (err instanceof SyncError) throw err;
      if (signal.aborted) throw new SyncError('TIMEOUT', `no answer within ${timeoutMs} ms`);
      // [size] a frame larger than any block: the stream is unusable
      if ((err as { code?: string }).code === 'OVERSIZE')
        throw new SyncError('MALFORMED', 'a frame larger than any block', { cause: err });
      throw new SyncError('UNAVAILABLE', `sync stream failed: ${(err as Error).message}`, { cause: err });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}
