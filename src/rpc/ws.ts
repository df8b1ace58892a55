/**
 * JSON-RPC over WebSocket (the `ws` library) on an HTTP server's upgrade path: the same
 * methods as over HTTP, plus eth_subscribe "newHeads" / eth_unsubscribe. Bounded per
 * connection (message size, a token bucket of messages, one call at a time with a short
 * queue, subscriptions, unsent bytes) and in all (connections); the Host allow-list and the
 * CORS origins apply to the upgrade as to any request.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Clock, systemClock } from '../time/index.js';
import { invalidParams, RPC_ERRORS, RpcError } from './errors.js';
import type { RpcMethod } from './methods.js';
import type { RpcOptions } from './options.js';
import { answerRpcText } from './protocol.js';

export interface RpcWebSocketConfig {
  /** The upgrade path answered (`/rpc` on the API port, `/` on the RPC port). */
  path: string;
  methods: Record<string, RpcMethod>;
  /** The block object of a committed height (eth_getBlockByNumber's, hashes only). */
  headObject(height: number): unknown;
  onHead(listener: (height: number) => void): () => void;
  head(): number;
  /** The Host allow-list of the server. */
  allowsHost(host: string | undefined): boolean;
  /** Browser origins allowed (CORS); a request without Origin is not a browser's. */
  allowsOrigin(origin: string | undefined): boolean;
  onInternalError?(err: unknown): void;
  /** The message bucket's refill and the head notifications' turn (default: the system clock). */
  clock?: Clock;
}

export interface RpcWebSocket {
  /** Connections open now. */
  connections(): number;
  close(): void;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function attachRpcWebSocket(
  server: Server,
  config: RpcWebSocketConfig,
  options: RpcOptions,
): RpcWebSocket {
  const clock = config.clock ?? systemClock;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxRequestBytes });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== config.path) return refuse(socket, 404, 'Not Found');
    if (!config.allowsHost(req.headers.host)) return refuse(socket, 403, 'Forbidden');
    if (!config.allowsOrigin(req.headers.origin)) return refuse(socket, 403, 'Forbidden');
    if (wss.clients.size >= options.maxWebSocketConnections)
      return refuse(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
  };
  server.on('upgrade', onUpgrade);

  const serve = (ws: WebSocket) => {
    const subscriptions = new Map<string, () => void>();
    let tokens = 2 * options.webSocketMessagesPerSecond;
    let refilledAt = clock.monotonicMs();
    let queued = 0;
    let chain: Promise<void> = Promise.resolve();

    const send = (payload: unknown) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > options.maxWebSocketBufferedBytes) {
        // not close(): its frame would wait behind the bytes this reader is not reading, and
        // they would stay in memory until the closing handshake times out
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(payload));
    };

    const subscribe: RpcMethod = (params) => {
      if (params[0] !== 'newHeads')
        throw new RpcError(
          RPC_ERRORS.UNSUPPORTED,
          typeof params[0] === 'string' && params[0].length <= 64
            ? `subscription ${params[0]} is not available: only newHeads`
            : 'only the newHeads subscription is available',
        );
      if (params.length > 1) throw invalidParams('newHeads takes no options');
      if (subscriptions.size >= options.maxSubscriptionsPerConnection)
        throw new RpcError(
          RPC_ERRORS.LIMIT_EXCEEDED,
          `at most ${options.maxSubscriptionsPerConnection} subscriptions per connection`,
        );
      const id = `0x${randomBytes(16).toString('hex')}`;
      let sent = config.head();
      let scheduled = false;
      const stop = config.onHead(() => {
        // never inside the commit that announces the head: in a later turn, once per burst
        if (scheduled) return;
        scheduled = true;
        clock.defer(() => {
          scheduled = false;
          if (!subscriptions.has(id)) return;
          const head = config.head();
          const from = Math.max(sent + 1, head - options.maxHeadsPerNotification + 1);
          for (let h = from; h <= head; h++)
            send({
              jsonrpc: '2.0',
              method: 'eth_subscription',
              params: { subscription: id, result: config.headObject(h) },
            });
          sent = Math.max(sent, head);
        });
      });
      subscriptions.set(id, stop);
      return id;
    };
    const unsubscribe: RpcMethod = (params) => {
      if (params.length !== 1 || typeof params[0] !== 'string')
        throw invalidParams('eth_unsubscribe takes a subscription id');
      const stop = subscriptions.get(params[0]);
      stop?.();
      return subscriptions.delete(params[0]);
    };
    const dispatch = (name: string) =>
      name === 'eth_subscribe'
        ? subscribe
        : name === 'eth_unsubscribe'
          ? unsubscribe
          : Object.hasOwn(config.methods, name)
            ? config.methods[name]
            : undefined;

    ws.on('message', (message, isBinary) => {
      const now = clock.monotonicMs();
      tokens = Math.min(
        2 * options.webSocketMessagesPerSecond,
        tokens + ((now - refilledAt) / 1000) * options.webSocketMessagesPerSecond,
      );
      refilledAt = now;
      if (tokens < 1) {
        send({
          jsonrpc: '2.0',
          id: null,
          error: { code: RPC_ERRORS.LIMIT_EXCEEDED, message: 'too many messages: slow down' },
        });
        return;
      }
      tokens -= 1;
      if (queued >= options.maxWebSocketQueuedMessages) {
        ws.close(1008, 'too many messages waiting');
        return;
      }
      queued++;
      const text = isBinary ? '' : message.toString();
      chain = chain.then(async () => {
        try {
          const answer = await answerRpcText(text, dispatch, options, config.onInternalError);
          if (answer !== undefined) send(answer);
        } catch (err) {
          config.onInternalError?.(err);
        } finally {
          queued--;
        }
      });
    });
    ws.on('close', () => {
      for (const stop of subscriptions.values()) stop();
      subscriptions.clear();
    });
    ws.on('error', () => ws.terminate());
  };

  return {
    connections: () => wss.clients.size,
    close() {
      server.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
