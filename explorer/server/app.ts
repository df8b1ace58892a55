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
import express, { type NextFunction, type Request, type Response } from 'express';
import { corsMiddleware } from './cors.js';
import type { EventStreams } from './events.js';
import { routeHandlers } from './handlers.js';
import { HostAllowList } from './hosts.js';
import { ClientLimiter, clientKey } from './limits.js';
import { ApiMetrics } from './metrics.js';
import { type ApiServerOptions, apiServerOptions } from './options.js';
import { CursorError, type NodeApi } from './reader.js';
import { API_PREFIX, ROUTES } from './routes.js';
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
}

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

  app.use('/api', corsMiddleware(settings.allowedOrigins));

  const handlers = routeHandlers(api, { metrics, events: options.events });
  for (const route of ROUTES) {
    const chain = handlers[route.id];
    if (!chain) throw new Error(`no handler for the route ${route.id}`);
    app[route.method](API_PREFIX + route.path, ...chain);
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

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}
