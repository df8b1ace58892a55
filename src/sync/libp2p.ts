/**
 * Block sync over libp2p: one stream per request on `/bft-ledger/<fork>/sync/1`
 * (codec.ts). Open to every genesis peer, observers included (the connection gater
 * admits only genesis peers); each answer is bounded by the request's count.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { FrameReader, frame } from '../network/index.js';
import { MAX_BLOCKS_PER_REQUEST } from './codec.js';
import { SyncError } from './errors.js';
import type { SyncLogger, SyncNetwork, SyncSource } from './interface.js';
import { serveSyncRequest } from './serve.js';

export interface Libp2pSyncDeps {
  libp2p: Libp2p;
  protocol: string;
  /** The largest frame: a maximal block plus its QC. */
  maxFrameBytes: number;
  /** Peers to ask (connected genesis peers). */
  peers(): string[];
  penalize(peer: string): void;
  maxInboundStreams: number;
  logger: SyncLogger;
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

async function sendAll(stream: Stream, frames: readonly Uint8Array[], signal: AbortSignal): Promise<void> {
  for (const f of frames) {
    if (stream.writableNeedsDrain) await stream.onDrain({ signal });
    stream.send(frame(f));
  }
  await stream.close({ signal });
}

export class Libp2pSyncNetwork implements SyncNetwork {
  constructor(private readonly d: Libp2pSyncDeps) {}

  /** Starts answering requests from `source`. */
  async start(source: SyncSource, timeoutMs: number): Promise<void> {
    await this.d.libp2p.handle(
      this.d.protocol,
      (stream) => {
        void this.serve(stream, source, timeoutMs);
      },
      { maxInboundStreams: this.d.maxInboundStreams },
    );
  }

  async stop(): Promise<void> {
    await this.d.libp2p.unhandle(this.d.protocol).catch(() => {});
  }

  private async serve(stream: Stream, source: SyncSource, timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const [request] = await readFrames(stream, new FrameReader(64), 1);
      if (!request) throw new SyncError('MALFORMED', 'no request');
      await sendAll(stream, serveSyncRequest(source, request), signal);
    } catch (err) {
      this.d.logger.debug({ err: (err as Error).message }, 'sync request not served');
      stream.abort(err as Error);
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
