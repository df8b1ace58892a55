/**
 * Block sync over libp2p: one stream per request on `/bft-ledger/<fork>/sync/1`
 * (codec.ts). Open to every genesis peer, observers included (the connection gater
 * admits only genesis peers); each answer is bounded by the request's count, and what one
 * peer's requests cost by SyncServer's budgets (server.ts). This file keeps the stream's
 * side of it: a request must arrive in time, and blocks are read one at a time as the
 * stream drains, from their stored encoding.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { FrameReader, frame } from '../network/index.js';
import { type Clock, systemClock } from '../time/index.js';
import { MAX_BLOCKS_PER_REQUEST } from './codec.js';
import { SyncError } from './errors.js';
import type { SyncEndpoint, SyncLogger, SyncSource } from './interface.js';
import type { SyncServerOptions } from './options.js';
import { SyncServer, type SyncServerStats } from './server.js';

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

export class Libp2pSyncNetwork implements SyncEndpoint {
  private readonly server: SyncServer;
  private readonly clock: Clock;

  constructor(private readonly d: Libp2pSyncDeps) {
    this.clock = d.clock ?? systemClock;
    this.server = new SyncServer(d.server ?? {}, { now: () => this.clock.monotonicMs() });
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
    return this.server.stats();
  }

  async stop(): Promise<void> {
    await this.d.libp2p.unhandle(this.d.protocol).catch(() => {});
  }

  /** One request stream: admitted by the server's budgets, then read, answered and drained. */
  private async serve(stream: Stream, peer: string, source: SyncSource, timeoutMs: number): Promise<void> {
    const admitted = this.server.admit(peer);
    if (admitted instanceof SyncError) {
      stream.abort(admitted);
      return;
    }
    const signal = AbortSignal.timeout(timeoutMs);
    const readTimer = this.clock.setTimeout(() => {
      admitted.readTimedOut();
      stream.abort(new Error('sync request not received in time'));
    }, this.server.options.requestReadTimeoutMs);
    try {
      // [read time] the request (a few bytes) must arrive, and its stream close, in time
      let request: Uint8Array | undefined;
      try {
        [request] = await readFrames(stream, new FrameReader(64), 1);
      } finally {
        readTimer.cancel();
      }
      if (!request) throw new SyncError('MALFORMED', 'no request');
      await sendAll(stream, admitted.answer(source, request), signal);
      admitted.sent();
    } catch (err) {
      this.d.logger.debug({ peer, err: (err as Error).message }, 'sync request not served');
      stream.abort(err as Error);
    } finally {
      admitted.release();
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
