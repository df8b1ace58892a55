/**
 * GET /api/v1/events: live updates as Server-Sent Events (the WHATWG HTML "server-sent
 * events" format: `event:`, `id:`, `data:` lines, a blank line ends an event, a line
 * starting with `:` is a comment, `retry:` sets the client's reconnection delay).
 *
 * Invariants each stream keeps:
 * - Blocks go out in height order, each exactly once: a stream remembers the last height it
 *   sent and, whenever the head moves (or its socket drains), sends every block after it up
 *   to the head. The event id is the height, so a client that reconnects with
 *   Last-Event-ID: H (or ?since=H) gets every block after H first, up to
 *   maxEventBacklogBlocks of them; further behind, or ahead of this node's head, it gets a
 *   `reset` event telling it to reload, and follows from the head.
 * - Bounded memory per client: a stream stops writing when its response reports a full
 *   buffer (write() returns false) and resumes on 'drain'; the blocks it owes meanwhile are
 *   a height, not bytes. Pending-transaction events are dropped for a stream that owes
 *   blocks or is waiting to drain (they are a preview; blocks are the record). A stream that
 *   has not drained for stalledStreamTimeoutMs is disconnected: its client can resume.
 * - Bounded streams: at most maxEventStreams in all and maxEventStreamsPerClient from one
 *   client (429 beyond). A stream holds no request slot of the per-client limiter once it
 *   is open (app.ts releases it), so long-lived streams never lock a client out of the
 *   rest of the API; the stream caps bound them instead.
 * - One subscription to the reader while any stream is open, none when none is; each
 *   block's event bytes are built once for every stream (a small cache by height).
 * - Nothing is written on the path that announced a change: the reader calls onHead inside
 *   the store's commit and onPendingTx inside a mempool admission, where a node runs
 *   consensus. A new head schedules one fan-out in the next turn (a burst of commits costs
 *   one); pending transactions are gathered for eventTxFlushMs and sent in one write per
 *   stream, at most maxEventTxsPerFlush of them (the rest of a burst is dropped: a
 *   preview). So N streams cost N writes per flush, not N per admitted transaction.
 */
import type { Request, Response } from 'express';
import type { ApiServerOptions } from './options.js';
import type { BlockSummary, CommittedTx, ExplorerReader, PendingTx } from './reader.js';
import { HttpError } from './validation.js';

/** The client's reconnection delay the stream asks for (the `retry:` field). */
const RETRY_MS = 2000;

export type EventStreamOptions = Pick<
  ApiServerOptions,
  | 'eventKeepAliveMs'
  | 'maxEventStreams'
  | 'maxEventStreamsPerClient'
  | 'maxEventBacklogBlocks'
  | 'stalledStreamTimeoutMs'
  | 'eventBlockTxs'
  | 'eventTxFlushMs'
  | 'maxEventTxsPerFlush'
>;

/** Counters of the streams (tests and metrics). */
export interface EventStreamCounters {
  open: number;
  refused: number;
  /** Streams disconnected for not draining. */
  stalled: number;
  /** Pending-transaction events not sent to a stream that was behind. */
  txEventsDropped: number;
  resets: number;
}

class EventStream {
  /** The last block height sent on this stream. */
  lastSent: number;
  private waitingForDrain = false;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hub: EventStreams,
    readonly res: Response,
    readonly clientKey: string,
    lastSent: number,
  ) {
    this.lastSent = lastSent;
  }

  /** Sends every block after lastSent up to the head, until the socket asks to wait. */
  pump(): void {
    if (this.waitingForDrain || this.res.writableEnded) return;
    const head = this.hub.headHeight();
    while (this.lastSent < head) {
      const text = this.hub.blockEventText(this.lastSent + 1);
      if (text === undefined) return;
      this.lastSent++;
      if (!this.res.write(text)) {
        this.waitForDrain();
        return;
      }
    }
  }

  /** Pending-transaction events, unless this stream is behind (then they are dropped). */
  offer(text: Buffer): boolean {
    if (this.waitingForDrain || this.lastSent < this.hub.headHeight() || this.res.writableEnded) return false;
    if (!this.res.write(text)) this.waitForDrain();
    return true;
  }

  keepAlive(): void {
    if (this.waitingForDrain || this.res.writableEnded) return;
    if (!this.res.write(': keep-alive\n\n')) this.waitForDrain();
  }

  stop(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private waitForDrain(): void {
    this.waitingForDrain = true;
    this.stallTimer = setTimeout(
      () => this.hub.disconnectStalled(this),
      this.hub.options.stalledStreamTimeoutMs,
    );
    this.res.once('drain', () => {
      this.stop();
      this.waitingForDrain = false;
      this.pump();
    });
  }
}

export class EventStreams {
  private readonly streams = new Set<EventStream>();
  private readonly perClient = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  /** The head as the reader last announced it. */
  private head = 0;
  /**
   * Block events by height, in the order they were built, at most maxEventBacklogBlocks of
   * them: bytes, so that each stream's write sends them as they are (no encoding per stream).
   */
  private readonly cache = new Map<number, Buffer>();
  /** The fan-out of a new head, scheduled for the next turn. */
  private fanOut: NodeJS.Immediate | undefined;
  /** Pending-transaction events gathered for the next flush, and its timer. */
  private txBatch: string[] = [];
  private txFlushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly counters: EventStreamCounters = { open: 0, refused: 0, stalled: 0, txEventsDropped: 0, resets: 0 };

  constructor(
    private readonly reader: ExplorerReader,
    readonly options: EventStreamOptions,
  ) {}

  /**
   * Opens a stream on `res` for a client that last saw block `since` (undefined: a new
   * client, which gets blocks from the next one on). Refuses with a 429 HttpError, before
   * anything is written, when a cap is reached.
   */
  open(req: Request, res: Response, clientKey: string, since: number | undefined): void {
    if (this.closed) throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down');
    const fromClient = this.perClient.get(clientKey) ?? 0;
    if (
      this.streams.size >= this.options.maxEventStreams ||
      fromClient >= this.options.maxEventStreamsPerClient
    ) {
      this.counters.refused++;
      res.setHeader('Retry-After', String(Math.ceil(RETRY_MS / 1000)));
      throw new HttpError(
        429,
        'TOO_MANY_STREAMS',
        this.streams.size >= this.options.maxEventStreams
          ? `this node serves at most ${this.options.maxEventStreams} event streams`
          : `at most ${this.options.maxEventStreamsPerClient} event streams from one client`,
      );
    }
    this.subscribeOnce();
    const head = this.headHeight();
    let lastSent = since ?? head;
    let reset: string | undefined;
    if (since !== undefined && since > head) reset = 'ahead-of-head';
    else if (since !== undefined && head - since > this.options.maxEventBacklogBlocks)
      reset = 'too-far-behind';
    if (reset) lastSent = head;

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    // proxies that buffer (nginx) would hold events back
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);
    res.write(`retry: ${RETRY_MS}\n\n`);
    if (reset) {
      this.counters.resets++;
      res.write(`event: reset\ndata: ${JSON.stringify({ head, reason: reset })}\n\n`);
    }

    const stream = new EventStream(this, res, clientKey, lastSent);
    this.streams.add(stream);
    this.perClient.set(clientKey, fromClient + 1);
    this.counters.open = this.streams.size;
    this.startKeepAlive();
    res.once('close', () => this.remove(stream));
    stream.pump();
  }

  /** Ends every stream (server shutdown): each client sees its response end, not a reset. */
  closeAll(): void {
    this.closed = true;
    for (const stream of [...this.streams]) {
      stream.res.end();
      this.remove(stream);
    }
  }

  /** Streams open now. */
  size(): number {
    return this.streams.size;
  }

  headHeight(): number {
    return this.head;
  }

  /** The `block` event of a committed block, built once for all streams. */
  blockEventText(height: number): Buffer | undefined {
    const known = this.cache.get(height);
    if (known !== undefined) return known;
    const summary: BlockSummary | undefined = this.reader.blocks({ before: height + 1, limit: 1 }).items[0];
    if (!summary || summary.height !== height) return undefined;
    const txs: CommittedTx[] =
      summary.txCount === 0
        ? []
        : (this.reader.blockTxs(height, { limit: this.options.eventBlockTxs })?.items ?? []);
    const text = Buffer.from(`id: ${height}\nevent: block\ndata: ${JSON.stringify({ ...summary, txs })}\n\n`);
    this.cache.set(height, text);
    if (this.cache.size > this.options.maxEventBacklogBlocks)
      this.cache.delete(this.cache.keys().next().value!);
    return text;
  }

  disconnectStalled(stream: EventStream): void {
    this.counters.stalled++;
    // destroy, not end: ending would wait for the very buffer the client does not read
    stream.res.destroy();
    this.remove(stream);
  }

  private onHead(height: number): void {
    this.head = Math.max(this.head, height);
    this.fanOut ??= setImmediate(() => {
      this.fanOut = undefined;
      for (const stream of this.streams) stream.pump();
    });
  }

  private onPendingTx(tx: PendingTx): void {
    if (this.txBatch.length >= this.options.maxEventTxsPerFlush) {
      this.counters.txEventsDropped += this.streams.size;
      return;
    }
    this.txBatch.push(`event: tx\ndata: ${JSON.stringify(tx)}\n\n`);
    this.txFlushTimer ??= setTimeout(() => this.flushTxs(), this.options.eventTxFlushMs);
  }

  private flushTxs(): void {
    this.txFlushTimer = undefined;
    const batch = this.txBatch;
    this.txBatch = [];
    if (batch.length === 0) return;
    const text = Buffer.from(batch.join(''));
    for (const stream of this.streams) {
      // blocks first: a stream owed a block is behind, and would drop the batch
      stream.pump();
      if (!stream.offer(text)) this.counters.txEventsDropped += batch.length;
    }
  }

  private subscribeOnce(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.reader.subscribe({
      onHead: (height) => this.onHead(height),
      onPendingTx: (tx) => this.onPendingTx(tx),
    });
    // read after subscribing, so that no head announced in between is missed
    this.head = Math.max(this.head, this.reader.head().height);
  }

  private startKeepAlive(): void {
    if (this.keepAliveTimer) return;
    this.keepAliveTimer = setInterval(() => {
      for (const stream of this.streams) stream.keepAlive();
    }, this.options.eventKeepAliveMs);
    this.keepAliveTimer.unref();
  }

  private remove(stream: EventStream): void {
    if (!this.streams.delete(stream)) return;
    stream.stop();
    const left = (this.perClient.get(stream.clientKey) ?? 1) - 1;
    if (left === 0) this.perClient.delete(stream.clientKey);
    else this.perClient.set(stream.clientKey, left);
    this.counters.open = this.streams.size;
    if (this.streams.size > 0) return;
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    clearImmediate(this.fanOut);
    this.fanOut = undefined;
    clearTimeout(this.txFlushTimer);
    this.txFlushTimer = undefined;
    this.txBatch = [];
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    // the cache serves open streams only
    this.cache.clear();
  }
}
