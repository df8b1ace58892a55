/**
 * The HTTP API / explorer server: an Express app over a NodeApi (reader.ts). It knows
 * nothing of the node's internals; every input passes the gate in validation.ts.
 *
 *   GET  /api/v1/status          NodeStatus
 *   POST /api/v1/txs             raw tx -> 202 {hash} | 4xx/503 {error, message}
 *                                [raw, ...] -> 200 {results: [{hash} | {error, message}, ...]}
 *   GET  /api/v1/txs/:hash       {hash, status: pending | committed (height, index) | unknown}
 *   GET  /api/v1/peers           {peers: PeerView[]}      connected peers and their scores
 *   GET  /api/v1/evidence        {evidence: EvidenceView[]} equivocations this node has seen
 *   GET  /api/v1/metrics         {mempool, network}       counters, drops under overload
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { NodeApi, RejectionKind, SubmitOutcome } from './reader.js';
import {
  fromBodyParserError,
  HTTP_LIMITS,
  HttpError,
  parseHashParam,
  parseTxSubmission,
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
}

export function createExplorerApp(api: NodeApi, options: ExplorerAppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const limit = HTTP_LIMITS.bodyBytes;

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
    res.json(api.metrics());
  });

  app.post(
    '/api/v1/txs',
    express.json({ strict: false, limit }),
    express.text({ type: ['text/plain', 'application/octet-stream'], limit }),
    (req: Request, res: Response) => {
      const { raws, batch } = parseTxSubmission(req.body);
      const outcomes = api.submitTransactions(raws);
      if (batch) {
        res.status(200).json({ results: outcomes.map(publicOutcome) });
        return;
      }
      const [outcome] = outcomes;
      if ('error' in outcome) {
        res.status(rejectionStatus(outcome.kind, outcome.error)).json(publicOutcome(outcome));
        return;
      }
      res.status(202).json(outcome);
    },
  );

  app.get('/api/v1/txs/:hash', (req, res) => {
    res.json(api.transactionStatus(parseHashParam(req.params.hash)));
  });

  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'NOT_FOUND', message: 'no such API route' });
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof HttpError ? err : fromBodyParserError(err);
    if (known) {
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
    : { hash: o.hash };
}
