/**
 * The HTTP API / explorer server: an Express app over a NodeApi (reader.ts). It knows
 * nothing of the node's internals; every input passes the gate in validation.ts.
 *
 * The routes are the table in routes.ts (each with its parameters and responses; the
 * OpenAPI document at GET /api/v1/openapi.json is generated from it) and their handlers in
 * handlers.ts. Under /api/v1: status, txs (POST, GET /txs/:hash), peers, evidence, metrics,
 * blocks, blocks/:heightOrHash(/txs), accounts/:address(/txs), validators, mempool, stats,
 * search, events (SSE), openapi.json.
 *
 * Every request first passes the per-client limits (429 + Retry-After) and the Host
 * allow-list (403); every refusal under /api, whatever its cause, is a 4xx `{error,
 * message}` in JSON that browsers must not sniff as anything else (nosniff, and <, >, &
 * escaped in JSON). The explorer's pages, when given, answer everything outside /api; what
 * they do not answer is a plain-text 404.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { BoundedCache } from './bounded-cache.js';
import { corsMiddleware } from './cors.js';
import type { EventStreams } from './events.js';
import { routeHandlers } from './handlers.js';
import { HostAllowList } from './hosts.js';
import { ClientLimiter, clientKey } from './limits.js';
import { ApiMetrics } from './metrics.js';
import { type ApiServerOptions, apiServerOptions } from './options.js';
import { CursorError, type ExplorerReader, type NodeApi } from './reader.js';
import { API_PREFIX, ROUTES, type RouteId } from './routes.js';
import { fromBodyParserError, fromRequestError, HttpError } from './validation.js';

export { rejectionStatus } from './handlers.js';

export interface ExplorerAppOptions {
  /** Logs unexpected errors (never shown to the client). */
  onError?: (err: unknown) => void;
  /** Per-client limits and the Host allow-list (defaults in options.ts). */
  server?: Partial<ApiServerOptions>;
  /** The host the API is bound to: a name it is known by (hosts.ts). */
  boundHost?: string;
  /** The clock of the per-client token buckets (tests inject one). */
  nowMs?: () => number;
  /** Where refusals are counted (createApiServer shares it with the connection level). */
  metrics?: ApiMetrics;
  /** The explorer's web pages (explorer/web createExplorerPages), mounted at `/`. */
  pages?: express.Router;
  /** The live event streams (createApiServer makes them, to end them when it closes). */
  events?: EventStreams;
  /** Bodies of committed data kept by the committed head they were read at (0: none). */
  responseCacheEntries?: number;
  /** Bytes those bodies and their keys may hold in all. */
  responseCacheBytes?: number;
  /**
   * The Ethereum JSON-RPC router (src/rpc), behind the same limits, Host allow-list and
   * CORS; every refusal on its path is a JSON-RPC error with HTTP 200, as clients expect.
   */
  rpc?: express.Router;
  /** Where `rpc` is mounted: /rpc beside the API, or / on a port of its own (nothing else then). */
  rpcPath?: '/rpc' | '/';
  /**
   * The node's metrics in Prometheus text format (src/metrics), served at GET /metrics
   * behind the same limits and Host allow-list as the rest; without it, /metrics is a 404.
   */
  prometheus?: () => Promise<string>;
}

export const DEFAULT_RESPONSE_CACHE_ENTRIES = 1024;
export const DEFAULT_RESPONSE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Routes whose answer is a function of the committed head (and the URL): committed data
 * never changes below the head, so the body read at a head is the body at that head for
 * every later request. Each with what a body must hold to be kept: a block's certificate
 * can be stored after the block (putCommitQc) without the head moving, so a block without
 * one is read afresh. The mempool, accounts' balances and the status are not here.
 */
const HEAD_CACHED_ROUTES: Partial<Record<RouteId, (body: unknown) => boolean>> = {
  listBlocks: () => true,
  getBlock: (body) => (body as { qc: unknown }).qc !== null,
  listBlockTransactions: () => true,
  listAccountTransactions: () => true,
};

export function createExplorerApp(api: NodeApi, options: ExplorerAppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // \u003c for < (and > &) in JSON: a value quoted back can never read as markup
  app.set('json escape', true);
  const settings = apiServerOptions(options.server);
  const limiter = new ClientLimiter(settings, options.nowMs ?? (() => performance.now()));
  const hosts = new HostAllowList(options.boundHost, settings.allowedHosts);
  const metrics = options.metrics ?? new ApiMetrics();
  app.response.json = writeJson;

  // Limits first, so that every request a client sends counts, refused ones included;
  // nothing of the body is read before a request is admitted.
  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const admission = limiter.admit(clientKey(req.socket.remoteAddress));
    if (!admission.admitted) {
      res.setHeader('Retry-After', String(admission.retryAfterSeconds));
      throw new HttpError(
        429,
        'RATE_LIMITED',
        admission.reason === 'rate'
          ? `more than ${settings.requestsPerSecond} requests per second from this client`
          : `more than ${settings.maxConcurrentRequestsPerClient} requests in progress from this client`,
      );
    }
    res.once('close', admission.release);
    // an event stream gives its slot back once open (handlers.ts)
    res.locals.releaseRequestSlot = admission.release;
    if (!hosts.allows(req.headers.host))
      throw new HttpError(403, 'HOST_NOT_ALLOWED', 'this API does not answer to that Host name');
    next();
  });

  const rpcPath = options.rpc ? (options.rpcPath ?? '/rpc') : undefined;
  const isRpcPath = (path: string) =>
    rpcPath === '/' || (rpcPath !== undefined && (path === rpcPath || path.startsWith(`${rpcPath}/`)));
  if (options.rpc && rpcPath) app.use(rpcPath, corsMiddleware(settings.allowedOrigins), options.rpc);
  // an RPC port of its own answers nothing else
  if (rpcPath === '/')
    app.use(() => {
      throw new HttpError(404, 'NOT_FOUND', 'this port answers JSON-RPC (POST /) only');
    });

  const prometheus = options.prometheus;
  if (prometheus)
    app.get('/metrics', async (_req, res) => {
      const text = await prometheus();
      res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    });

  app.use('/api', corsMiddleware(settings.allowedOrigins));

  const handlers = routeHandlers(api, { metrics, events: options.events });
  const responses = new BoundedCache<Buffer>(
    options.responseCacheEntries ?? DEFAULT_RESPONSE_CACHE_ENTRIES,
    options.responseCacheBytes ?? DEFAULT_RESPONSE_CACHE_BYTES,
    (key, body) => key.length + body.length,
  );
  for (const route of ROUTES) {
    const chain = handlers[route.id];
    if (!chain) throw new Error(`no handler for the route ${route.id}`);
    const keep = HEAD_CACHED_ROUTES[route.id];
    if (keep && api.explorer)
      app[route.method](API_PREFIX + route.path, cachedByHead(api.explorer, responses, keep), ...chain);
    else app[route.method](API_PREFIX + route.path, ...chain);
  }

  app.use('/api', (_req, _res) => {
    throw new HttpError(404, 'NOT_FOUND', 'no such API route');
  });

  if (options.pages) app.use(options.pages);

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known =
      err instanceof HttpError
        ? err
        : err instanceof CursorError
          ? new HttpError(
              400,
              'INVALID_CURSOR',
              'cursor must be the `next` of an earlier page of the same list',
            )
          : (fromBodyParserError(err) ?? fromRequestError(err));
    if (!known) options.onError?.(err);
    const status = known?.status ?? 500;
    if (res.headersSent) {
      // a stream that failed after it started: all that is left is to end it
      res.destroy();
      return;
    }
    // a refused request's unread body is not worth reading: close the connection after
    // the answer instead of draining it
    if (known && !req.complete) res.setHeader('Connection', 'close');
    if (known) metrics.countRefusal(known.code);
    if (isRpcPath(req.path)) {
      // JSON-RPC clients read a non-200 as a broken transport: the refusal is an error object
      const code = known?.status === 429 ? -32005 : known ? -32600 : -32603;
      res.status(200).json({
        jsonrpc: '2.0',
        id: null,
        error: { code, message: known ? known.message : 'internal error' },
      });
      return;
    }
    if (!isApiPath(req.path)) {
      res
        .status(status)
        .type('text/plain')
        .send(known ? known.message : 'internal error');
      return;
    }
    res
      .status(status)
      .json(
        known
          ? { error: known.code, message: known.message }
          : { error: 'INTERNAL', message: 'internal error' },
      );
  });
  return app;
}

/**
 * res.json for every answer of this app: the body as express writes it (\u003c for <, >
 * and &: 'json escape'), without the ETag that res.send would hash every body for (lists
 * and heads move with every block, so a revalidation would seldom match) or its copies.
 */
function writeJson(this: Response, body: unknown): Response {
  return sendJson(this, jsonBytes(body));
}

function jsonBytes(body: unknown): Buffer {
  const text = JSON.stringify(body) ?? 'null';
  return Buffer.from(text.replace(/[<>&]/g, escapeJsonChar));
}

const escapeJsonChar = (c: string) => (c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : '\\u0026');

function sendJson(res: Response, bytes: Buffer): Response {
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
  return res;
}

/**
 * Answers from `cache` what the route answered before at this committed head and URL;
 * otherwise lets the route answer, and keeps a 200's body that `keep` accepts.
 */
function cachedByHead(
  reader: ExplorerReader,
  cache: BoundedCache<Buffer>,
  keep: (body: unknown) => boolean,
): RequestHandler {
  return (req, res, next) => {
    const key = `${reader.head().height} ${req.url}`;
    const known = cache.get(key);
    if (known) {
      sendJson(res, known);
      return;
    }
    res.json = (body: unknown) => {
      const bytes = jsonBytes(body);
      if (res.statusCode === 200 && keep(body)) cache.set(key, bytes);
      return sendJson(res, bytes);
    };
    next();
  };
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}
