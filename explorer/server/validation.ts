/**
 * The one validation gate for HTTP input (DESIGN.md principle 3): every route parameter
 * and body is parsed here, and every failure is an HttpError that the error handler turns
 * into `4xx {error, message}`. Routes only see parsed, typed values.
 */
import type { NextFunction, Request, Response } from 'express';
import { LedgerError } from '../../src/errors.js';

/** Bounds on what one request may carry. */
export const HTTP_LIMITS = {
  /** Request body size (express's limit syntax). */
  bodyBytes: 1024 * 1024,
  /** Transactions in one batch submission. */
  batchMaxTxs: 1000,
  /** Hex characters of one raw transaction (MAX_TX_BYTES = 512 -> 1024 digits). */
  txMaxHexChars: 2 + 2 * 512,
} as const;

export class HttpError extends LedgerError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const HEX_RE = /^0x(?:[0-9a-fA-F]{2})+$/;

/** A 32-byte hash as a route parameter. */
export function parseHashParam(value: unknown, name = 'hash'): Uint8Array {
  if (typeof value !== 'string' || !HASH_RE.test(value))
    throw badRequest('INVALID_HASH', `${name} must be 0x followed by 64 hex digits`);
  return new Uint8Array(Buffer.from(value.slice(2), 'hex'));
}

function parseRawTx(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw badRequest('INVALID_TX', `${what} must be a 0x-hex string`);
  const text = value.trim();
  if (text.length > HTTP_LIMITS.txMaxHexChars)
    throw badRequest('TX_TOO_LARGE', `${what} is longer than ${HTTP_LIMITS.txMaxHexChars} characters`);
  if (!HEX_RE.test(text))
    throw badRequest('INVALID_TX', `${what} must be 0x-prefixed hex with an even number of digits`);
  return new Uint8Array(Buffer.from(text.slice(2), 'hex'));
}

export interface TxSubmission {
  raws: Uint8Array[];
  /** The body was an array: answer with one result per element. */
  batch: boolean;
}

/** Refuses a body that is not `application/json` (any charset body-parser knows). */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  next();
}

/**
 * The body of POST /api/v1/txs: a 0x-hex raw transaction as a JSON string, or a JSON
 * array of them (a batch of 1..batchMaxTxs).
 */
export function parseTxSubmission(body: unknown): TxSubmission {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body)))
    throw badRequest(
      'INVALID_BODY',
      'send a 0x-hex raw transaction as a JSON string, or a JSON array of them',
    );
  if (Array.isArray(body)) {
    if (body.length === 0) throw badRequest('EMPTY_BATCH', 'the batch holds no transactions');
    if (body.length > HTTP_LIMITS.batchMaxTxs)
      throw badRequest('BATCH_TOO_LARGE', `a batch holds at most ${HTTP_LIMITS.batchMaxTxs} transactions`);
    return { raws: body.map((v, i) => parseRawTx(v, `transaction ${i}`)), batch: true };
  }
  return { raws: [parseRawTx(body, 'the transaction')], batch: false };
}

/** Errors thrown by express's body parsers, mapped into the gate's codes. */
export function fromBodyParserError(err: unknown): HttpError | undefined {
  const type = (err as { type?: unknown })?.type;
  if (type === 'entity.parse.failed') return badRequest('MALFORMED_JSON', 'the body is not valid JSON');
  if (type === 'entity.too.large')
    return new HttpError(413, 'BODY_TOO_LARGE', `the body is larger than ${HTTP_LIMITS.bodyBytes} bytes`);
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return new HttpError(
      415,
      'UNSUPPORTED_ENCODING',
      'send the body uncompressed (no Content-Encoding) in utf-8, utf-16 or utf-32',
    );
  if (typeof type === 'string' && type.startsWith('request.'))
    return badRequest('MALFORMED_REQUEST', 'the request body could not be read');
  return undefined;
}

/**
 * Other errors that express raises for a bad request: a path parameter that is not valid
 * percent-encoded UTF-8 (a URIError from the router's decoding), and any client error that
 * a middleware marks with a 4xx status. They are the client's fault, so never a 500.
 */
export function fromRequestError(err: unknown): HttpError | undefined {
  if (err instanceof URIError)
    return badRequest('INVALID_PATH_ENCODING', 'a path segment is not valid percent-encoded UTF-8');
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500)
    return new HttpError(status, 'BAD_REQUEST', 'the request could not be read');
  return undefined;
}
