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
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { ConsensusMessage } from '../consensus/index.js';
import { type DirectKind, directKindOf, FrameReader, frame } from './encoding.js';
import { GateError } from './errors.js';
import {
  type Gate,
  type GateContext,
  validateBlockRequest,
  validateBlockResponse,
  validateProposal,
  validateTimeout,
  validateVote,
} from './gate.js';
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
  maxFrameBytes: number;
  metrics: NetworkMetrics;
  logger: NetworkLogger;
  deliver(from: number, message: ConsensusMessage): void;
  penalize(peerId: string): void;
}

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
  retry?: NodeJS.Timeout;
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
    clearTimeout(box.retry);
    box.retry = undefined;
    box.failures = 0;
    void this.flush(peer, box);
  };

  async start(): Promise<void> {
    this.stopped = false;
    this.deps.libp2p.addEventListener('peer:connect', this.onConnect);
    await this.deps.libp2p.handle(this.deps.protocol, (stream, connection) =>
      this.receive(stream, connection.remotePeer.toString()),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.libp2p.removeEventListener('peer:connect', this.onConnect);
    for (const box of this.outboxes.values()) {
      clearTimeout(box.retry);
      box.queue.clear();
      box.stream?.abort(new Error('network stopping'));
    }
    this.outboxes.clear();
    await this.deps.libp2p.unhandle(this.deps.protocol).catch(() => {});
  }

  /** Queues `payload` (kind byte || body) for validator `to`. */
  send(to: number, payload: Uint8Array): void {
    if (this.stopped) return;
    const peer = this.deps.registry.peerIdOfValidator(to);
    if (peer === undefined) {
      this.deps.metrics.dropped.direct++;
      return;
    }
    let box = this.outboxes.get(peer);
    if (!box) {
      box = {
        queue: new BoundedQueue<Uint8Array>(
          this.deps.maxQueuedPerPeer,
          64 * this.deps.maxFrameBytes,
          (f) => f.length,
        ),
        busy: false,
        failures: 0,
      };
      this.outboxes.set(peer, box);
    }
    this.deps.metrics.dropped.direct += box.queue.push(frame(payload)).length;
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
          box.retry = setTimeout(() => {
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
    const { gate, registry } = this.deps;
    const sender = registry.validatorIndexOf(peer);
    if (sender === undefined) {
      // [direct] only validators send consensus messages to one validator
      gate.count('direct', 'ignore', 'NOT_A_VALIDATOR');
      stream.abort(new Error('not a validator'));
      return;
    }
    const reader = new FrameReader(this.deps.maxFrameBytes);
    try {
      for await (const chunk of stream) {
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
        for (const payload of reader.push(bytes)) this.onFrame(peer, sender, payload);
      }
    } catch (err) {
      if (err instanceof GateError) {
        // [size] a frame larger than any message: the stream is unusable from here on
        gate.count('direct', err.action, err.code);
        if (err.action === 'reject') this.deps.penalize(peer);
        stream.abort(err);
      }
      // other errors: the stream was reset or the connection closed
    }
  }

  private onFrame(peer: string, sender: number, payload: Uint8Array): void {
    const kind = directKindOf(payload);
    if (kind === undefined) {
      // [decode] unknown kind byte
      this.deps.gate.count('direct', 'reject', 'MALFORMED');
      this.deps.penalize(peer);
      return;
    }
    const body = payload.subarray(1);
    const result = this.deps.gate.run(kind, peer, () => this.validate(kind, body, sender));
    if (result.verdict === 'accept') this.deps.deliver(result.value.from, result.value.message);
    else if (result.verdict === 'reject') this.deps.penalize(peer);
  }

  private validate(
    kind: DirectKind,
    body: Uint8Array,
    sender: number,
  ): { from: number; message: ConsensusMessage } {
    const { ctx } = this.deps;
    switch (kind) {
      case 'vote':
        return { from: sender, message: { kind: 'vote', vote: validateVote(ctx, body, sender).message } };
      case 'blockRequest':
        return { from: sender, message: { kind: 'blockRequest', blockId: validateBlockRequest(body) } };
      case 'blockResponse':
        return { from: sender, message: { kind: 'blockResponse', block: validateBlockResponse(ctx, body) } };
      case 'proposal': {
        const p = validateProposal(ctx, body);
        return { from: p.from, message: { kind: 'proposal', proposal: p.message } };
      }
      case 'timeout': {
        const t = validateTimeout(ctx, body);
        return { from: t.from, message: { kind: 'timeout', timeout: t.message } };
      }
    }
  }
}
