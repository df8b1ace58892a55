/**
 * The table of API routes: path, method, summary, parameters and responses per status.
 * app.ts mounts a handler for each entry by its `id` (and refuses to start with one
 * missing), validation.ts parses each request by the entry's parameter tables, and
 * openapi.ts generates the OpenAPI document from the same entries: the table is the one
 * place a route is declared.
 */
import type { z } from 'zod';
import {
  AccountProofBody,
  AccountViewSchema,
  BlockEvent,
  BlockPage,
  BlockWithTxs,
  CommittedTxPage,
  ErrorBody,
  EvidenceBody,
  MetricsBody,
  NodeStatusSchema,
  PARAMS,
  type ParamTable,
  PeersBody,
  PendingTxPage,
  ResetEvent,
  SearchResult,
  StatsBody,
  SubmitAccepted,
  SubmitBody,
  SubmitRejected,
  SubmitResults,
  TxDetailSchema,
  TxProofBody,
  ValidatorsBody,
} from './schemas.js';

export const API_PREFIX = '/api/v1';

export interface ResponseSpec {
  description: string;
  /** A registered component (schemas.ts); absent for a body that is not JSON. */
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteSpec {
  /** The operationId, and the key of the route's handler in app.ts. */
  id: string;
  method: 'get' | 'post';
  /** Express syntax under API_PREFIX: `/blocks/:heightOrHash`. */
  path: string;
  summary: string;
  description?: string;
  params?: ParamTable;
  query?: ParamTable;
  /** Request headers the route reads (documented; parsed by its handler). */
  headers?: ParamTable;
  body?: { schema: z.ZodType; description: string };
  responses: Record<number, ResponseSpec>;
}

const err = (description: string): ResponseSpec => ({ description, schema: ErrorBody });
const BAD = err('A parameter is not valid (the code names it).');
const RATE = err('Too many requests from this client (Retry-After says when to retry).');
const pageQuery = { limit: PARAMS.limit, cursor: PARAMS.cursor };

export const ROUTES = [
  {
    id: 'getStatus',
    method: 'get',
    path: '/status',
    summary: 'The node: chain, head, round, leader, peers, mempool size',
    responses: { 200: { description: 'The status', schema: NodeStatusSchema } },
  },
  {
    id: 'submitTransactions',
    method: 'post',
    path: '/txs',
    summary: 'Submit a raw signed transaction, or a batch of them',
    description:
      'application/json only (no other type, no Content-Encoding). A JSON string is one ' +
      'transaction (202, or a 4xx/503 refusal); a JSON array is a batch answered 200 with one result each.',
    body: { schema: SubmitBody, description: 'A 0x-hex raw transaction, or an array of 1..1000 of them' },
    responses: {
      200: { description: 'A batch: one result per transaction, in order', schema: SubmitResults },
      202: { description: 'Admitted and journaled', schema: SubmitAccepted },
      400: { description: 'Malformed or invalid', schema: SubmitRejected },
      409: { description: 'Not valid in the current state (nonce, balance)', schema: SubmitRejected },
      413: err('The body is too large'),
      415: err('Not application/json in utf-8'),
      429: { description: 'Rate limited, or the sender holds too many', schema: SubmitRejected },
      503: { description: 'The mempool is full', schema: SubmitRejected },
    },
  },
  {
    id: 'getTransaction',
    method: 'get',
    path: '/txs/:hash',
    summary: 'A transaction: committed (block, index, fields, receipt), pending, or unknown',
    params: { hash: PARAMS.txHash },
    responses: { 200: { description: 'Its status and fields', schema: TxDetailSchema }, 400: BAD },
  },
  {
    id: 'getTransactionProof',
    method: 'get',
    path: '/txs/:hash/proof',
    summary: 'A committed transaction’s proof: proof of commit, inclusion and receipt',
    description:
      'What a client checks against the genesis validator set instead of trusting this node ' +
      '(docs/FORMATS.md "Client proofs"). 404 NOT_COMMITTED while pending, NOT_FOUND when unknown.',
    params: { hash: PARAMS.txHash },
    responses: {
      200: { description: 'The proof', schema: TxProofBody },
      400: BAD,
      404: err('Not committed on this node (NOT_COMMITTED, NOT_FOUND), or not provable yet (NOT_PROVABLE)'),
    },
  },
  {
    id: 'getPeers',
    method: 'get',
    path: '/peers',
    summary: 'Connected libp2p peers and their gossipsub scores',
    responses: { 200: { description: 'The peers', schema: PeersBody } },
  },
  {
    id: 'getEvidence',
    method: 'get',
    path: '/evidence',
    summary: 'Equivocation evidence this node holds',
    responses: { 200: { description: 'The evidence', schema: EvidenceBody } },
  },
  {
    id: 'getMetrics',
    method: 'get',
    path: '/metrics',
    summary: 'Counters for operators: mempool, network, consensus, HTTP refusals',
    responses: { 200: { description: 'The counters', schema: MetricsBody } },
  },
  {
    id: 'listBlocks',
    method: 'get',
    path: '/blocks',
    summary: 'Committed blocks, newest first',
    query: { ...pageQuery, before: PARAMS.before },
    responses: { 200: { description: 'A page of blocks', schema: BlockPage }, 400: BAD },
  },
  {
    id: 'getBlock',
    method: 'get',
    path: '/blocks/:heightOrHash',
    summary: 'A committed block: header, proposer, QCs with their signers, first page of transactions',
    params: { heightOrHash: PARAMS.blockId },
    query: { limit: PARAMS.limit },
    responses: {
      200: { description: 'The block', schema: BlockWithTxs },
      400: BAD,
      404: err('No committed block has this height or hash'),
    },
  },
  {
    id: 'listBlockTransactions',
    method: 'get',
    path: '/blocks/:heightOrHash/txs',
    summary: "A committed block's transactions, in block order",
    params: { heightOrHash: PARAMS.blockId },
    query: pageQuery,
    responses: {
      200: { description: 'A page of transactions', schema: CommittedTxPage },
      400: BAD,
      404: err('No committed block has this height or hash'),
    },
  },
  {
    id: 'getAccount',
    method: 'get',
    path: '/accounts/:address',
    summary: 'An account: balance, nonce, pending nonce',
    params: { address: PARAMS.address },
    responses: { 200: { description: 'The account', schema: AccountViewSchema }, 400: BAD },
  },
  {
    id: 'getAccountProof',
    method: 'get',
    path: '/accounts/:address/proof',
    summary: 'An account’s balance and nonce (or absence) proven at a committed block',
    description:
      'The account proof against the state root of the committed block at `height` (default ' +
      'the head) with that block’s proof of commit. Heights from the head down to the ' +
      'node’s provable window (--provable-history-blocks) are provable; others are 404 NOT_PROVABLE.',
    params: { address: PARAMS.address },
    query: { height: PARAMS.height },
    responses: {
      200: { description: 'The proof', schema: AccountProofBody },
      400: BAD,
      404: err('Not provable at that height (NOT_PROVABLE)'),
    },
  },
  {
    id: 'listAccountTransactions',
    method: 'get',
    path: '/accounts/:address/txs',
    summary: 'Committed transactions an account sent or received, newest first',
    params: { address: PARAMS.address },
    query: pageQuery,
    responses: { 200: { description: 'A page of transactions', schema: CommittedTxPage }, 400: BAD },
  },
  {
    id: 'getValidators',
    method: 'get',
    path: '/validators',
    summary: 'Validators: power, proposals made and missed, QC share and uptime over recent blocks, evidence',
    responses: { 200: { description: 'The validators', schema: ValidatorsBody } },
  },
  {
    id: 'listMempool',
    method: 'get',
    path: '/mempool',
    summary: 'Pending transactions, newest admitted first',
    query: pageQuery,
    responses: { 200: { description: 'A page of pending transactions', schema: PendingTxPage }, 400: BAD },
  },
  {
    id: 'getStats',
    method: 'get',
    path: '/stats',
    summary: 'Transactions per second, block time and rounds per block over recent windows; totals',
    responses: { 200: { description: 'The figures', schema: StatsBody } },
  },
  {
    id: 'search',
    method: 'get',
    path: '/search',
    summary: 'What a height, a block or transaction hash, or an address names',
    query: { q: PARAMS.q },
    responses: {
      200: { description: 'What it names', schema: SearchResult },
      400: err('Not a height, hash or address'),
      404: err('A height above the head, or a hash that is neither a known block nor a known transaction'),
    },
  },
  {
    id: 'streamEvents',
    method: 'get',
    path: '/events',
    summary: 'Live updates as Server-Sent Events: committed blocks and pending transactions',
    description:
      'Events: `block` (id: its height; data: BlockEvent), `tx` (no id; data: PendingTx), ' +
      '`reset` (data: ResetEvent: the stream cannot resume where asked; reload). A client that ' +
      'reconnects with Last-Event-ID (or ?since) first gets every block after it, in order, up to ' +
      'a bound. Comment lines keep the connection alive. A client that stops reading is ' +
      'disconnected, and pending-transaction events are dropped for a slow one first.',
    query: { since: PARAMS.since },
    headers: { 'Last-Event-ID': PARAMS.lastEventId },
    responses: {
      200: { description: 'The stream (text/event-stream)', contentType: 'text/event-stream' },
      400: BAD,
      429: err('Too many event streams open, in all or from this client'),
    },
  },
  {
    id: 'getOpenApi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The document' } },
  },
] as const satisfies readonly RouteSpec[];

export type RouteId = (typeof ROUTES)[number]['id'];

/** Schemas of events the stream sends, for the document's components. */
export const EVENT_SCHEMAS = [BlockEvent, ResetEvent];

/** Responses every route may give besides its own. */
export const COMMON_RESPONSES: Record<number, ResponseSpec> = {
  403: err('The Host header names a host this API does not answer to (DNS rebinding)'),
  429: RATE,
};
