/**
 * A small Server-Sent Events reader for the tests: it parses the stream as the WHATWG
 * format defines it (fields per line, a blank line ends an event, `:` starts a comment)
 * and lets a test wait, with a bounded time and a clear message, for what it expects.
 */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export class SseStream {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  /** The stream ended with an error (a reset), not a clean end. */
  aborted = false;
  private buffer = '';
  private waiters: Array<() => void> = [];

  constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    res.on('end', () => {
      this.ended = true;
      this.wake();
    });
    res.on('aborted', () => {
      this.aborted = true;
    });
    res.on('error', () => {
      this.aborted = true;
      this.ended = true;
      this.wake();
    });
  }

  blocks(): SseEvent[] {
    return this.events.filter((e) => e.event === 'block');
  }

  /** Waits until `done()` holds, failing after `timeoutMs` with `what`. */
  async until(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  close(): void {
    this.req.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      let fields = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments++;
          continue;
        }
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') event.event = value;
        else if (name === 'id') event.id = value;
        else if (name === 'data') event.data = event.data ? `${event.data}\n${value}` : value;
        else continue;
        fields++;
      }
      if (fields > 0 && (event.data || event.id !== undefined)) this.events.push(event);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export interface OpenedStream {
  status: number;
  stream?: SseStream;
  /** The body of a refusal. */
  text?: string;
  contentType?: string;
}

/** Opens GET `path` and resolves once the answer's headers are in. */
export function openStream(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<OpenedStream> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers, localAddress, agent: false }, (res) => {
      const contentType = res.headers['content-type'];
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, text, contentType }));
        return;
      }
      ok({ status: 200, stream: new SseStream(req, res), contentType });
    });
    // after the answer came, an error is the stream's end (SseStream sees it): fail is a no-op then
    req.on('error', fail);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to GET ${path} within 5 s`)));
    req.end();
    req.once('response', () => req.setTimeout(0));
  });
}
