/**
 * A bare JSON-RPC client for the RPC tests: requests as a tool would send them (fetch, a
 * JSON body), the HTTP status and the parsed answer returned as they came, and a WebSocket
 * that collects every message it receives so a test can wait for one by a predicate.
 */
import { WebSocket } from 'ws';

export interface RpcAnswer {
  status: number;
  /** The parsed body (undefined for an empty one). */
  body: unknown;
  headers: Headers;
}

export async function postRaw(
  url: string,
  body: string | Blob,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  method = 'POST',
): Promise<RpcAnswer> {
  const res = await fetch(url, {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

let nextId = 1;

/** One call; resolves with its result, rejects with the error object's code and message. */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const id = nextId++;
  const answer = await postRaw(url, JSON.stringify({ jsonrpc: '2.0', id, method, params }));
  const body = answer.body as { id: unknown; result?: unknown; error?: { code: number; message: string } };
  if (answer.status !== 200) throw new Error(`${method}: HTTP ${answer.status}`);
  if (body.id !== id) throw new Error(`${method}: answered id ${JSON.stringify(body.id)} for ${id}`);
  if (body.error)
    throw Object.assign(new Error(`${method}: ${body.error.message}`), { code: body.error.code });
  return body.result as T;
}

/** A WebSocket that keeps what it receives. */
export class RpcSocket {
  readonly messages: unknown[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<RpcSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const socket = new RpcSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  send(payload: unknown): void {
    this.ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  /** The first message (from `from` on) that `match` accepts, or a failure naming `what`. */
  async waitFor<T = Record<string, unknown>>(
    what: string,
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find((m) => match(m as Record<string, unknown>));
      if (found !== undefined) return found as T;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends one call and waits for the answer with its id. */
  async call(method: string, params: unknown[] = []): Promise<Record<string, unknown>> {
    const id = nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.waitFor(`the answer to ${method} #${id}`, (m) => m.id === id);
  }

  async waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    await this.waitFor('the socket to close', () => false, timeoutMs).catch(() => undefined);
    if (!this.closed) throw new Error(`the socket is still open after ${timeoutMs} ms`);
    return this.closed;
  }

  close(): void {
    this.ws.terminate();
  }
}
