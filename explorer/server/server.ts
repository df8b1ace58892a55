/**
 * The HTTP server around the explorer app: the connection-level bounds that express cannot
 * see (connections in all and per client, time to send headers and a whole request,
 * idle keep-alive), and a JSON answer to the requests node's parser refuses before the
 * app sees them (an over-long URL or header, a malformed request line).
 */
import { createServer, IncomingMessage, type Server, ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { createExplorerApp, type ExplorerAppOptions } from './app.js';
import { EventStreams } from './events.js';
import { clientKey } from './limits.js';
import { ApiMetrics } from './metrics.js';
import { apiServerOptions } from './options.js';
import type { NodeApi } from './reader.js';

/**
 * An unlistened server for `api`; the caller listens and closes it. Closing it first ends
 * the live event streams (a stream never goes idle, so close() would otherwise wait on it
 * for ever), so that their clients see the response end rather than a reset.
 */
export function createApiServer(api: NodeApi, options: ExplorerAppOptions = {}): Server {
  const settings = apiServerOptions(options.server);
  const metrics = options.metrics ?? new ApiMetrics();
  const events = options.events ?? (api.explorer ? new EventStreams(api.explorer, settings) : undefined);
  const app = createExplorerApp(api, { ...options, metrics, events });
  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // the two timeouts above are only enforced when the server checks
      connectionsCheckingInterval: settings.connectionsCheckingIntervalMs,
      ...bornWithPrototypesOf(app),
    },
    app,
  );
  if (events) {
    const close = server.close.bind(server);
    server.close = (callback?: (err?: Error) => void) => {
      events.closeAll();
      return close(callback);
    };
  }
  server.maxConnections = settings.maxConnections;
  server.on('drop', () => {
    metrics.connectionsRefused++;
  });
  limitConnectionsPerClient(server, settings.maxConnectionsPerClient, metrics);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    metrics.unparsedRequests++;
    answerClientError(err, socket);
  });
  return server;
}

/**
 * Request and response types whose objects are created with the app's own prototypes
 * (app.request and app.response, which extend node's). Express re-parents every request
 * and response it handles with Object.setPrototypeOf, which gives each object a hidden
 * class of its own, so node's HTTP code runs unoptimised on every one of them: most of
 * what express cost per request. An object that already has the prototype is left as it
 * is. Node's two constructors are plain functions, called here on the object `new` made
 * (Reflect.construct would make it with a slower shape); were they ever classes, node's
 * own types are kept.
 */
function bornWithPrototypesOf(app: { request: object; response: object }) {
  const callable = (type: unknown) => !/^class\b/.test(Function.prototype.toString.call(type));
  if (!callable(IncomingMessage) || !callable(ServerResponse)) return {};
  const initRequest = IncomingMessage as unknown as (this: unknown, socket: Socket) => void;
  const initResponse = ServerResponse as unknown as (this: unknown, req: unknown, options: unknown) => void;
  function AppRequest(this: unknown, socket: Socket) {
    initRequest.call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: unknown, req: unknown, options: unknown) {
    initResponse.call(this, req, options);
  }
  AppResponse.prototype = app.response;
  return {
    IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof ServerResponse,
  };
}

/** Closes a client's connections past `max`, so that one client cannot take them all. */
function limitConnectionsPerClient(server: Server, max: number, metrics: ApiMetrics): void {
  // only clients with an open connection have an entry: at most maxConnections of them
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = clientKey(socket.remoteAddress);
    const count = (open.get(key) ?? 0) + 1;
    if (count > max) {
      metrics.connectionsRefused++;
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}

/** What a request node's parser refused, as a status, a code and a message. */
function describeClientError(err: NodeJS.ErrnoException): [number, string, string] {
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return [431, 'HEADERS_TOO_LARGE', 'the request line or headers are larger than the server accepts'];
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return [408, 'REQUEST_TIMEOUT', 'the request was not received in time'];
  return [400, 'MALFORMED_REQUEST', 'the request is not valid HTTP/1.1'];
}

/** Replaces node's empty plain-text answer to a parser error with a JSON one. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // as node's own handler does: no answer on a socket that is gone or already answering
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] = describeClientError(err);
  const body = JSON.stringify({ error: code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
