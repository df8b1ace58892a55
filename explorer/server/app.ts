/**
 * The HTTP API / explorer server: an Express app over a NodeApi (reader.ts). It knows
 * nothing of the node's internals; every input passes the gate in validation.ts.
 *
 *   GET  /api/v1/status          NodeStatus
 *   POST /api/v1/txs             application/json only: "0x.." -> 202 {hash, queued?} | 4xx/503 {error, message}
 *                                [raw, ...] -> 200 {results: [{hash} | {error, message}, ...]}
 *   GET  /api/v1/txs/:hash       {hash, status: pending | committed (height, index) | unknown}
 *   GET  /api/v1/peers           {peers: PeerView[]}      connected peers and their scores
 *   GET  /api/v1/evidence        {evidence: EvidenceView[]} equivocations this node has seen
 *   GET  /api/v1/metrics         {mempool, network, consensus, http} counters, drops, refusals
 *
 * Every request first passes the per-client limits (429 + Retry-After) and the Host
 * allow-list (403); every refusal, whatever its cause, is a 4xx `{error, message}`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { HostAllowList } from './hosts.js';
import { ClientLimiter, clientKey } from './limits.js';
import { ApiMetrics } from './metrics.js';
import { type ApiServerOptions, apiServerOptions } from './options.js';
import type { NodeApi, RejectionKind, SubmitOutcome } from './reader.js';
import {
  checkSubmissionShape,
  fromBodyParserError,
  fromRequestError,
  HTTP_LIMITS,
  HttpError,
  parseHashParam,
  parseTxSubmission,
  requireJsonBody,
} from './validation.js';

/** HTTP status of a refused transaction. */
export function rejectionStatus(kind: RejectionKind, code: string): number {
  if (kind === 'invalid') return 400;
  if (kind === 'capacity') return code === 'SENDER_FULL' ? 429 : 503;
  return 409;
}

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
}

export function createExplorerApp(api: NodeApi, options: ExplorerAppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const limit = HTTP_LIMITS.bodyBytes;
  const settings = apiServerOptions(options.server);
  const limiter = new ClientLimiter(settings, options.nowMs ?? (() => performance.now()));
  const hosts = new HostAllowList(options.boundHost, settings.allowedHosts);
  const metrics = options.metrics ?? new ApiMetrics();

  // Limits first, so that every request a client sends counts, refused ones included;
  // nothing of the body is read before a request is admitted.
  app.use((req, res, next) => {
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
    if (!hosts.allows(req.headers.host))
      throw new HttpError(403, 'HOST_NOT_ALLOWED', 'this API does not answer to that Host name');
    next();
  });

  app.get('/api/v1/status', (_req, res) => {
    res.json(api.status());
  });

  app.get('/api/v1/peers', (_req, res) => {
    res.json({ peers: api.peers() });
  });

  app.get('/api/v1/evidence', (_req, res) => {
    res.json({ evidence: api.evidence() });
  });

  app.get('/api/v1/metrics', (_req, res) => {
    res.json({ ...api.metrics(), http: metrics.snapshot() });
  });

  app.post(
    '/api/v1/txs',
    // only application/json: any other type makes the POST a CORS-simple request that a
    // web page on another origin may send; compressed bodies are refused, not inflated
    requireJsonBody,
    express.json({
      strict: false,
      limit,
      inflate: false,
      verify: (_req, _res, body) => checkSubmissionShape(body),
    }),
    async (req: Request, res: Response) => {
      const { raws, batch } = parseTxSubmission(req.body);
      const outcomes = await api.submitTransactions(raws);
      if (batch) {
        res.status(200).json({ results: outcomes.map(publicOutcome) });
        return;
      }
      const [outcome] = outcomes;
      if ('error' in outcome) {
        res.status(rejectionStatus(outcome.kind, outcome.error)).json(publicOutcome(outcome));
        return;
      }
      res.status(202).json(publicOutcome(outcome));
    },
  );

  app.get('/api/v1/txs/:hash', (req, res) => {
    res.json(api.transactionStatus(parseHashParam(req.params.hash)));
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'NOT_FOUND', message: 'no such API route' });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof HttpError ? err : (fromBodyParserError(err) ?? fromRequestError(err));
    if (known) {
      // a refused request's unread body is not worth reading: close the connection after
      // the answer instead of draining it
      if (!req.complete) res.setHeader('Connection', 'close');
      metrics.countRefusal(known.code);
      res.status(known.status).json({ error: known.code, message: known.message });
      return;
    }
    options.onError?.(err);
    res.status(500).json({ error: 'INTERNAL', message: 'internal error' });
  });
  return app;
}

function publicOutcome(o: SubmitOutcome) {
  return 'error' in o
    ? { error: o.error, message: o.message, ...(o.hash ? { hash: o.hash } : {}) }
    : { hash: o.hash, ...(o.queued ? { queued: true } : {}) };
}
