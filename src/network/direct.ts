/**
 * The direct protocol: consensus messages for one validator (votes to the next leader,
 * block fetches and their answers). One long-lived outbound stream per destination,
 * opened on first use, carrying length-prefixed frames (encoding.ts). Each destination
 * has a bounded queue (oldest dropped and counted); writes wait for the stream's drain
 * event, so nothing queues without bound inside libp2p either.
 *
 * Inbound frames pass the gate like gossip does. The remote peer id names the validator
 * that speaks (its libp2p key is its validator key), so a vote must be signed by the
 * validator whose connection carries it. Rejected frames add to the sender's penalty,
 * which gossipsub counts into its peer score.
 *
 * What one peer may cost is bounded (budget.ts): bytes read and handling time per second
 * (over budget, its stream is paused and yamux's window holds it back), block requests
 * per second and block bytes sent back per second (over budget, requests are ignored), a
 * started frame must complete in time, and a connection has few direct streams. Committed
 * blocks are answered from their stored encoding, not decoded and encoded again.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { ConsensusMessage } from '../consensus/index.js';
import { type Clock, nextTurn, sleep, type Timer } from '../time/index.js';
import type { BlockServeBudgets, PeerBudgets } from './budget.js';
import { DIRECT_KIND, directKindOf, FrameReader, frame, frameDirect } from './encoding.js';
import { GateError } from './errors.js';
import { type Gate, type GateContext, validateDirect } from './gate.js';
import type { NetworkLogger, NetworkMetrics } from './interface.js';
import type { PeerRegistry } from './peers.js';
import { BoundedQueue } from './queues.js';

export interface DirectDeps {
  libp2p: Libp2p;
  protocol: string;
  registry: PeerRegistry;
  gate: Gate;
  ctx: GateContext;
  maxQueuedPerPeer: number;
  maxQueuedBytesPerPeer: number;
  maxFrameBytes: number;
  /** Direct streams one connection may open to this node at once. */
  maxInboundStreams: number;
  /** A started frame must complete within this time. */
  frameTimeoutMs: number;
  budgets: DirectBudgets;
  /** The stored encoding of a committed block by id (answers without decode + encode). */
  committedBlockBytes?: (blockId: Uint8Array) => Uint8Array | undefined;
  metrics: NetworkMetrics;
  logger: NetworkLogger;
  /** Retries, frame deadlines, throttling pauses and the handling time charged to peers. */
  clock: Clock;
  deliver(from: number, message: ConsensusMessage): void;
  penalize(peerId: string): void;
}

/** Per-peer budgets of the direct protocol (options.ts names the rates). */
export interface DirectBudgets {
  /** Bytes read from the peer's streams. */
  readBytes: PeerBudgets;
  /** Milliseconds spent validating and handling the peer's frames. */
  cpuMs: PeerBudgets;
  /** Block requests served, and the block bytes sent in answer. */
  blocks: BlockServeBudgets;
}

/** A peer's frames are handled for at most this long before the event loop gets a turn. */
const DIRECT_SLICE_MS = 10;
/** Time allowed to open a stream (dial included) before the attempt counts as failed. */
const OPEN_TIMEOUT_MS = 5_000;
/**
 * After a failed open, queued messages wait before the next attempt: RETRY_MS, doubling
 * with each failure in a row up to MAX_RETRY_MS (a crashed validator is not dialled
 * four times a second for as long as it is down); a stream that opens resets it.
 */
const RETRY_MS = 250;
const MAX_RETRY_MS = 4_000;

interface Outbox {
  queue: BoundedQueue<Uint8Array>;
  stream?: Stream;
  busy: boolean;
  retry?: Timer;
  /** Failed opens in a row. */
  failures: number;
}

export class DirectMessenger {
  private readonly outboxes = new Map<string, Outbox>();
  private stopped = true;

  constructor(private readonly deps: DirectDeps) {}

  /** A peer that connects is worth trying at once, whatever its backoff says. */
  private readonly onConnect = (event: CustomEvent<{ toString(): string }>): void => {
    const peer = event.detail.toString();
    const box = this.outboxes.get(peer);
    if (!box || box.retry === undefined) return;
    box.retry.cancel();
    box.retry = undefined;
    box.failures = 0;
    void this.flush(peer, box);
  };

  async start(): Promise<void> {
    this.stopped = false;
    this.deps.libp2p.addEventListener('peer:connect', this.onConnect);
    await this.deps.libp2p.handle(
      this.deps.protocol,
      (stream, connection) => this.receive(stream, connection.remotePeer.toString()),
      // one stream per sender is all the protocol uses; a few spare for a reopened one
      { maxInboundStreams: this.deps.maxInboundStreams },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.libp2p.removeEventListener('peer:connect', this.onConnect);
    for (const box of this.outboxes.values()) {
      box.retry?.cancel();
      box.retry = undefined;
      box.queue.clear();
      box.stream?.abort(new Error('network stopping'));
    }
    this.outboxes.clear();
    await this.deps.libp2p.unhandle(this.deps.protocol).catch(() => {});
  }

  /** Queues `payload` (kind byte || body) for validator `to`. */
  send(to: number, payload: Uint8Array): void {
    this.enqueue(to, frame(payload));
  }

  /** Queues an already framed message (frameDirect) for validator `to`. */
  private enqueue(to: number, framed: Uint8Array): void {
    if (this.stopped) return;
    const peer = this.deps.registry.peerIdOfValidator(to);
    if (peer === undefined) {
      this.deps.metrics.dropped.direct++;
      return;
    }
    // [budget] block bytes sent to a peer count against what it may request next
    if (framed[4] === DIRECT_KIND.blockResponse) this.deps.budgets.blocks.charge(peer, framed.length);
    let box = this.outboxes.get(peer);
    if (!box) {
      box = {
        queue: new BoundedQueue<Uint8Array>(
          this.deps.maxQueuedPerPeer,
          // never less than two of the largest frame, so one block answer always fits
          Math.max(this.deps.maxQueuedBytesPerPeer, 2 * this.deps.maxFrameBytes),
          (f) => f.length,
        ),
        busy: false,
        failures: 0,
      };
      this.outboxes.set(peer, box);
    }
    this.deps.metrics.dropped.direct += box.queue.push(framed).length;
    void this.flush(peer, box);
  }

  private async flush(peer: string, box: Outbox): Promise<void> {
    if (box.busy || box.retry !== undefined) return;
    box.busy = true;
    try {
      while (box.queue.length > 0 && !this.stopped) {
        const stream = box.stream ?? (await this.open(peer, box));
        if (!stream) {
          if (this.stopped) return;
          const delay = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** box.failures);
          box.failures++;
          box.retry = this.deps.clock.setTimeout(() => {
            box.retry = undefined;
            void this.flush(peer, box);
          }, delay);
          return;
        }
        box.failures = 0;
        if (stream.writableNeedsDrain) await stream.onDrain({ signal: AbortSignal.timeout(OPEN_TIMEOUT_MS) });
        const next = box.queue.shift()!;
        stream.send(next);
      }
    } catch (err) {
      // The stream died under us: drop it; the next message opens a new one.
      this.deps.logger.debug({ peer, err: (err as Error).message }, 'direct stream failed');
      box.stream?.abort(err as Error);
      box.stream = undefined;
    } finally {
      box.busy = false;
    }
    if (box.queue.length > 0 && !this.stopped && box.retry === undefined) void this.flush(peer, box);
  }

  private async open(peer: string, box: Outbox): Promise<Stream | undefined> {
    try {
      const stream = await this.deps.libp2p.dialProtocol(peerIdFromString(peer), this.deps.protocol, {
        signal: AbortSignal.timeout(OPEN_TIMEOUT_MS),
      });
      stream.addEventListener('close', () => {
        if (box.stream === stream) box.stream = undefined;
      });
      box.stream = stream;
      return stream;
    } catch (err) {
      this.deps.logger.debug({ peer, err: (err as Error).message }, 'cannot open a direct stream');
      return undefined;
    }
  }

  private async receive(stream: Stream, peer: string): Promise<void> {
    const { gate, registry, budgets, metrics } = this.deps;
    const sender = registry.validatorIndexOf(peer);
    if (sender === undefined) {
      // [direct] only validators send consensus messages to one validator
      gate.count('direct', 'ignore', 'NOT_A_VALIDATOR');
      stream.abort(new Error('not a validator'));
      return;
    }
    const reader = new FrameReader(this.deps.maxFrameBytes);
    const readBytes = budgets.readBytes.of(peer);
    const cpuMs = budgets.cpuMs.of(peer);
    // [frame time] a started frame must complete by this time (pauses this node imposes
    // are added to it): no peer holds a frame open by dripping it a byte at a time
    let frameDeadline: number | undefined;
    let frameTimer: Timer | undefined;
    const { clock } = this.deps;
    const checkFrameDeadline = () => {
      frameTimer = undefined;
      if (frameDeadline === undefined) return;
      const leftMs = frameDeadline - clock.monotonicMs();
      if (leftMs > 0) {
        frameTimer = clock.setTimeout(checkFrameDeadline, leftMs);
        return;
      }
      metrics.throttled.slowFrames++;
      stream.abort(new Error('direct frame not completed in time'));
    };
    try {
      // [budget] a peer over its byte or CPU budget is not read until it is back under:
      // paused, the stream sends no window updates and yamux holds the sender back
      const throttle = async (waitMs: number) => {
        metrics.throttled.directReadPauses++;
        if (frameDeadline !== undefined) frameDeadline += waitMs;
        pauseStream(stream);
        await sleep(clock, waitMs);
        resumeStream(stream);
      };
      for await (const chunk of stream) {
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
        readBytes.charge(bytes.length);
        const frames = reader.push(bytes);
        if (!reader.partial) frameDeadline = undefined;
        else if (frameDeadline === undefined || frames.length > 0)
          frameDeadline = clock.monotonicMs() + this.deps.frameTimeoutMs;
        let sliceStartedMs = clock.monotonicMs();
        for (const payload of frames) {
          // the peer is charged for its message's validation, not for the consensus step an
          // accepted message sets off (a vote that completes a QC makes the leader build a
          // block: that is the leader's work, and charging it would pause honest validators)
          cpuMs.charge(this.onFrame(peer, sender, payload));
          const doneMs = clock.monotonicMs();
          // [slice] one chunk may hold hundreds of frames: they are handled in slices that
          // yield to the event loop, and no further than the peer's CPU budget allows
          const waitMs = cpuMs.waitMs();
          if (waitMs > 0) await throttle(waitMs);
          else if (doneMs - sliceStartedMs >= DIRECT_SLICE_MS) await nextTurn(clock);
          else continue;
          if (this.stopped) return;
          sliceStartedMs = clock.monotonicMs();
        }
        const waitMs = readBytes.waitMs();
        if (waitMs > 0) await throttle(waitMs);
        if (this.stopped) return;
        if (frameDeadline !== undefined && frameTimer === undefined) checkFrameDeadline();
      }
    } catch (err) {
      if (err instanceof GateError) {
        // [size] a frame larger than any message: the stream is unusable from here on
        gate.count('direct', err.action, err.code);
        if (err.action === 'reject') this.deps.penalize(peer);
        stream.abort(err);
      }
      // other errors: the stream was reset or the connection closed
    } finally {
      frameDeadline = undefined;
      frameTimer?.cancel();
    }
  }

  /** Validates and delivers one frame; returns the milliseconds its validation took. */
  private onFrame(peer: string, sender: number, payload: Uint8Array): number {
    const { clock } = this.deps;
    const startedMs = clock.monotonicMs();
    const kind = directKindOf(payload);
    if (kind === undefined) {
      // [decode] unknown kind byte
      this.deps.gate.count('direct', 'reject', 'MALFORMED');
      this.deps.penalize(peer);
      return clock.monotonicMs() - startedMs;
    }
    const body = payload.subarray(1);
    const result = this.deps.gate.run(kind, peer, () => validateDirect(this.deps.ctx, kind, body, sender));
    const validationMs = clock.monotonicMs() - startedMs;
    if (result.verdict === 'reject') this.deps.penalize(peer);
    if (result.verdict !== 'accept') return validationMs;
    const { from, message } = result.value;
    if (message.kind === 'blockRequest') this.serveBlock(peer, from, message.blockId);
    else this.deps.deliver(from, message);
    return validationMs;
  }

  /**
   * A block request within the peer's budgets: answered here from the stored encoding
   * when the block is committed, else by consensus (a block not yet committed).
   */
  private serveBlock(peer: string, from: number, blockId: Uint8Array): void {
    const { budgets, metrics } = this.deps;
    // [budget] requests per second, and block bytes already sent: over either, ignored
    // (the requester's fetch times out and asks another validator)
    if (!budgets.blocks.admit(peer)) {
      metrics.throttled.blockRequests++;
      return;
    }
    const stored = this.deps.committedBlockBytes?.(blockId);
    if (stored) {
      metrics.throttled.blocksServedStored++;
      this.enqueue(from, frameDirect('blockResponse', stored));
      return;
    }
    this.deps.deliver(from, { kind: 'blockRequest', blockId });
  }
}

function pauseStream(stream: Stream): void {
  try {
    stream.pause();
  } catch {
    // closing already: nothing more will be read
  }
}

function resumeStream(stream: Stream): void {
  try {
    stream.resume();
  } catch {
    // closed while paused
  }
}
