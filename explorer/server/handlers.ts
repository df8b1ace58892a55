/**
 * One handler per route of the table in routes.ts, keyed by the route's id. A JSON route's
 * handler receives its parameters already parsed by the route's own tables (validation.ts)
 * and returns the body; errors it throws are HttpErrors the app's error handler answers.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { EventStreams } from './events.js';
import { clientKey } from './limits.js';
import type { ApiMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import type { ExplorerReader, NodeApi, RejectionKind, SubmitOutcome } from './reader.js';
import { ROUTES, type RouteId, type RouteSpec } from './routes.js';
import { DEFAULT_PAGE_LIMIT, PARAMS, type ParamTable } from './schemas.js';
import {
  checkSubmissionShape,
  HTTP_LIMITS,
  HttpError,
  type ParsedParams,
  parseParams,
  parseTxSubmission,
  requireJsonBody,
} from './validation.js';

/** HTTP status of a refused transaction. */
export function rejectionStatus(kind: RejectionKind, code: string): number {
  if (kind === 'invalid') return 400;
  if (kind === 'capacity') return code === 'SENDER_FULL' ? 429 : 503;
  return 409;
}

function publicOutcome(o: SubmitOutcome) {
  return 'error' in o
    ? { error: o.error, message: o.message, ...(o.hash ? { hash: o.hash } : {}) }
    : { hash: o.hash, ...(o.queued ? { queued: true } : {}) };
}

type RouteOf<Id extends RouteId> = Extract<(typeof ROUTES)[number], { id: Id }>;
type TableOf<R, K extends 'params' | 'query'> = R extends { [P in K]: infer T extends ParamTable }
  ? T
  : Record<never, never>;

/** What a JSON route's handler is given: its path and query parameters, parsed. */
type Input<Id extends RouteId> = {
  params: ParsedParams<TableOf<RouteOf<Id>, 'params'>>;
  query: ParsedParams<TableOf<RouteOf<Id>, 'query'>>;
};

const routeById = new Map<string, RouteSpec>((ROUTES as readonly RouteSpec[]).map((r) => [r.id, r]));

/** A GET route answered with the JSON its function returns. */
function json<Id extends RouteId>(
  id: Id,
  answer: (input: Input<Id>, req: Request) => unknown,
): RequestHandler[] {
  const route = routeById.get(id)!;
  return [
    (req: Request, res: Response) => {
      const input = {
        params: parseParams(route.params ?? {}, req.params, 'path'),
        query: parseParams(route.query ?? {}, req.query as Record<string, unknown>, 'query'),
      } as Input<Id>;
      res.json(answer(input, req));
    },
  ];
}

const notFound = (code: string, message: string) => new HttpError(404, code, message);

export interface HandlerDeps {
  metrics: ApiMetrics;
  /** Live streams, when the node serves explorer reads. */
  events: EventStreams | undefined;
}

export function routeHandlers(api: NodeApi, deps: HandlerDeps): Record<RouteId, RequestHandler[]> {
  const explorer = (): ExplorerReader => {
    if (!api.explorer) throw new HttpError(503, 'EXPLORER_UNAVAILABLE', 'this node serves no explorer reads');
    return api.explorer;
  };
  /** The height of a block named by height or hash, or a 404. */
  const blockHeight = (id: { height: number } | { hash: Uint8Array }): number => {
    const reader = explorer();
    if ('height' in id) {
      if (id.height > reader.head().height) throw blockNotFound();
      return id.height;
    }
    const block = reader.block(id);
    if (!block) throw blockNotFound();
    return block.height;
  };

  return {
    getStatus: json('getStatus', () => api.status()),
    getPeers: json('getPeers', () => ({ peers: api.peers() })),
    getEvidence: json('getEvidence', () => ({ evidence: api.evidence() })),
    getMetrics: json('getMetrics', () => ({ ...api.metrics(), http: deps.metrics.snapshot() })),
    getOpenApi: json('getOpenApi', () => openApiDocument()),

    submitTransactions: [
      // only application/json: any other type makes the POST a CORS-simple request that a
      // web page on another origin may send; compressed bodies are refused, not inflated
      requireJsonBody,
      express.json({
        strict: false,
        limit: HTTP_LIMITS.bodyBytes,
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
    ],

    getTransaction: json('getTransaction', ({ params }) =>
      api.explorer ? api.explorer.tx(params.hash) : api.transactionStatus(params.hash),
    ),

    listBlocks: json('listBlocks', ({ query }) => {
      if (query.cursor !== undefined && query.before !== undefined)
        throw new HttpError(400, 'INVALID_PARAMETER', 'give cursor or before, not both');
      return explorer().blocks({
        limit: query.limit ?? DEFAULT_PAGE_LIMIT,
        cursor: query.cursor,
        before: query.before,
      });
    }),

    getBlock: json('getBlock', ({ params, query }) => {
      const reader = explorer();
      const block = reader.block(params.heightOrHash);
      if (!block) throw blockNotFound();
      const txs = reader.blockTxs(block.height, { limit: query.limit ?? DEFAULT_PAGE_LIMIT });
      return { ...block, txs: txs ?? { items: [], next: null } };
    }),

    listBlockTransactions: json('listBlockTransactions', ({ params, query }) => {
      const height = blockHeight(params.heightOrHash);
      const page = explorer().blockTxs(height, {
        limit: query.limit ?? DEFAULT_PAGE_LIMIT,
        cursor: query.cursor,
      });
      if (!page) throw blockNotFound();
      return page;
    }),

    getAccount: json('getAccount', ({ params }) => explorer().account(params.address)),

    getTransactionProof: json('getTransactionProof', ({ params }) => {
      const proof = explorer().txProof(params.hash);
      if ('refused' in proof) throw notFound(proof.refused, proof.message);
      return proof;
    }),

    getAccountProof: json('getAccountProof', ({ params, query }) => {
      const proof = explorer().accountProof(params.address, query.height);
      if ('refused' in proof) throw notFound(proof.refused, proof.message);
      return proof;
    }),

    listAccountTransactions: json('listAccountTransactions', ({ params, query }) =>
      explorer().accountTxs(params.address, {
        limit: query.limit ?? DEFAULT_PAGE_LIMIT,
        cursor: query.cursor,
      }),
    ),

    getValidators: json('getValidators', () => explorer().validators()),

    listMempool: json('listMempool', ({ query }) =>
      explorer().mempool({ limit: query.limit ?? DEFAULT_PAGE_LIMIT, cursor: query.cursor }),
    ),

    getStats: json('getStats', () => explorer().stats()),

    search: json('search', ({ query }) => search(explorer(), query.q)),

    streamEvents: [
      (req: Request, res: Response) => {
        const route = routeById.get('streamEvents')!;
        const { since } = parseParams(route.query!, req.query as Record<string, unknown>, 'query');
        const header = req.headers['last-event-id'];
        const resumed =
          header === undefined
            ? undefined
            : parseParams({ 'Last-Event-ID': PARAMS.lastEventId }, { 'Last-Event-ID': header }, 'header')[
                'Last-Event-ID'
              ];
        explorer();
        if (!deps.events)
          throw new HttpError(503, 'EXPLORER_UNAVAILABLE', 'this node serves no explorer reads');
        deps.events.open(
          req,
          res,
          clientKey(req.socket.remoteAddress),
          (resumed ?? since) as number | undefined,
        );
        // an open stream is bounded by the stream caps, not by the per-client count of
        // requests in progress, which it would otherwise hold for as long as it lives
        (res.locals.releaseRequestSlot as (() => void) | undefined)?.();
      },
    ],
  };
}

function blockNotFound(): HttpError {
  return notFound('BLOCK_NOT_FOUND', 'no committed block has this height or hash');
}

type SearchQuery = ParsedParams<{ q: typeof PARAMS.q }>['q'];

function search(reader: ExplorerReader, target: SearchQuery) {
  if (target.kind === 'height') {
    const head = reader.head().height;
    if (target.height > head)
      throw notFound('BLOCK_NOT_FOUND', `no block at height ${target.height}: the head is ${head}`);
    const block = reader.blocks({ before: target.height + 1, limit: 1 }).items[0];
    if (!block || block.height !== target.height) throw blockNotFound();
    return { kind: 'block', height: block.height, hash: block.hash };
  }
  if (target.kind === 'address') {
    const account = reader.account(target.address);
    return { kind: 'account', address: account.address, exists: account.exists };
  }
  const block = reader.block({ hash: target.hash });
  if (block) return { kind: 'block', height: block.height, hash: block.hash };
  const tx = reader.tx(target.hash);
  if (tx.status === 'committed') return { kind: 'tx', hash: tx.hash, status: 'committed', height: tx.height };
  if (tx.status === 'pending') return { kind: 'tx', hash: tx.hash, status: 'pending' };
  throw notFound('NOT_FOUND', 'no known block or transaction has this hash');
}
