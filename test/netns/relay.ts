/**
 * A delaying TCP relay: accepts connections on one address and opens one to a target for
 * each, holding every chunk for `delayMs` in both directions before passing it on. It
 * stands in for link delay where the kernel has no netem qdisc (issue 14), and counts the
 * bytes it carries so a test can prove that traffic really went through it.
 *
 * Order is kept: the delay is constant per relay, so chunks leave in the order they came.
 * Memory is bounded: past `maxQueuedBytes` held in one direction the reading side is
 * paused until the queue drains, and TCP's own flow control holds the sender back.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface DelayRelayOptions {
  /** Address and port to accept on (port 0: one from the OS). */
  listenHost: string;
  listenPort: number;
  /** Where each accepted connection is relayed to. */
  targetHost: string;
  targetPort: number;
  /**
   * The link a connection from `remoteAddress` takes: the local address its outgoing
   * connection comes from (the target sees that one) and the time each chunk is held, each
   * way. Undefined refuses the connection.
   */
  route: (remoteAddress: string) => { sourceHost: string; delayMs: number } | undefined;
  /** Bytes one direction of one connection may hold before its reader is paused. */
  maxQueuedBytes: number;
}

export const DEFAULT_RELAY_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export interface RelayCounters {
  /** Bytes carried from the accepting side to the target, and back (by all its sources). */
  forwardBytes: number;
  backwardBytes: number;
  /** Connections accepted since start, and open now. */
  accepted: number;
  open: number;
}

/** One direction of one relayed connection: a FIFO of chunks, each with its release time. */
function delayPipe(
  from: Socket,
  to: Socket,
  delayMs: number,
  maxQueuedBytes: number,
  count: (bytes: number) => void,
): void {
  const queue: Array<{ releaseAtMs: number; chunk: Buffer }> = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0].releaseAtMs <= now) {
      const { chunk } = queue.shift()!;
      queuedBytes -= chunk.length;
      count(chunk.length);
      if (!to.destroyed) to.write(chunk);
    }
    if (queuedBytes <= maxQueuedBytes / 2 && from.isPaused()) from.resume();
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0].releaseAtMs - now));
    else if (ended && !to.destroyed) to.end();
  };

  from.on('data', (chunk: Buffer) => {
    queue.push({ releaseAtMs: performance.now() + delayMs, chunk });
    queuedBytes += chunk.length;
    if (queuedBytes > maxQueuedBytes) from.pause();
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    ended = true;
    timer ??= setTimeout(flush, 0);
  });
  from.on('close', () => {
    // a reset side takes the other down at once: what a lost link looks like to both ends
    if (!ended) {
      clearTimeout(timer);
      to.destroy();
    }
  });
}

export class DelayRelay {
  readonly counters: RelayCounters = { forwardBytes: 0, backwardBytes: 0, accepted: 0, open: 0 };
  /** The same counters per source address of the accepted connections. */
  readonly bySource = new Map<string, RelayCounters>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(private readonly options: DelayRelayOptions) {
    this.server = createServer({ noDelay: true }, (inbound) => this.relay(inbound));
  }

  /** Listens; resolves with the port it accepts on. */
  async start(): Promise<number> {
    await new Promise<void>((ok, fail) => {
      this.server.once('error', fail);
      this.server.listen(this.options.listenPort, this.options.listenHost, () => {
        this.server.off('error', fail);
        ok();
      });
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  get listenPort(): number {
    return this.port;
  }

  /** Stops accepting and cuts every relayed connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private relay(inbound: Socket): void {
    const { targetHost, targetPort, maxQueuedBytes } = this.options;
    const remote = (inbound.remoteAddress ?? '').replace(/^::ffff:/, '');
    const link = this.options.route(remote);
    if (!link) {
      inbound.destroy();
      return;
    }
    const { sourceHost, delayMs } = link;
    let perSource = this.bySource.get(remote);
    if (!perSource) {
      perSource = { forwardBytes: 0, backwardBytes: 0, accepted: 0, open: 0 };
      this.bySource.set(remote, perSource);
    }
    const counters = [this.counters, perSource];
    const outbound = createConnection({
      host: targetHost,
      port: targetPort,
      localAddress: sourceHost,
      noDelay: true,
    });
    for (const c of counters) {
      c.accepted++;
      c.open++;
    }
    for (const s of [inbound, outbound]) {
      this.sockets.add(s);
      // errors end the pair through 'close'; a relay never throws them at the test
      s.on('error', () => s.destroy());
    }
    inbound.once('close', () => {
      this.sockets.delete(inbound);
      for (const c of counters) c.open--;
    });
    outbound.once('close', () => this.sockets.delete(outbound));
    delayPipe(inbound, outbound, delayMs, maxQueuedBytes, (n) => {
      for (const c of counters) c.forwardBytes += n;
    });
    delayPipe(outbound, inbound, delayMs, maxQueuedBytes, (n) => {
      for (const c of counters) c.backwardBytes += n;
    });
  }
}
