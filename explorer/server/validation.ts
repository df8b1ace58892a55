/**
 * The one validation gate for HTTP input (DESIGN.md principle 3): every route parameter
 * and body is parsed here, and every failure is an HttpError that the error handler turns
 * into `4xx {error, message}`. Routes only see parsed, typed values.
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { LedgerError } from '../../src/errors.js';
import type { ParamTable } from './schemas.js';

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

/** Longest parameter name quoted back in an UNKNOWN_PARAMETER message. */
const MAX_QUOTED_NAME_CHARS = 32;

/** The parsed values of a ParamTable: each parameter's schema output. */
export type ParsedParams<T extends ParamTable> = {
  [K in keyof T]: T[K]['required'] extends true
    ? z.output<T[K]['schema']>
    : z.output<T[K]['schema']> | undefined;
};

const objectSchemas = new WeakMap<ParamTable, z.ZodType>();

/** The zod object that parses a whole table: its parameters, and no others. */
export function paramsObject(table: ParamTable): z.ZodType {
  let schema = objectSchemas.get(table);
  if (!schema) {
    const shape: Record<string, z.ZodType> = {};
    for (const [name, spec] of Object.entries(table))
      shape[name] = spec.required ? spec.schema : spec.schema.optional();
    schema = z.strictObject(shape);
    objectSchemas.set(table, schema);
  }
  return schema;
}

/**
 * Parses the path or query parameters of a request by their table: a parameter that
 * fails is a 400 with its code and sentence; a repeated one (`?limit=1&limit=2`) or one the
 * route does not take is refused rather than ignored, so that a typo never silently
 * changes what a client is shown.
 */
export function parseParams<T extends ParamTable>(
  table: T,
  values: Record<string, unknown>,
  where: 'path' | 'query' | 'header',
): ParsedParams<T> {
  for (const [name, value] of Object.entries(values))
    if (Array.isArray(value) && Object.hasOwn(table, name))
      throw badRequest('REPEATED_PARAMETER', `${name} is given more than once`);
  const result = paramsObject(table).safeParse(values);
  if (result.success) return result.data as ParsedParams<T>;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? '';
    const quoted = name.length > MAX_QUOTED_NAME_CHARS ? `${name.slice(0, MAX_QUOTED_NAME_CHARS)}...` : name;
    throw badRequest('UNKNOWN_PARAMETER', `this route takes no ${where} parameter ${JSON.stringify(quoted)}`);
  }
  const spec = table[String(issue.path[0])];
  if (!spec) throw badRequest('INVALID_PARAMETER', `a ${where} parameter is not valid`);
  if (spec.required && values[String(issue.path[0])] === undefined)
    throw badRequest(spec.code, `${String(issue.path[0])} is required: ${spec.message}`);
  throw badRequest(spec.code, spec.message);
}

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

/** Refuses a body that is not `application/json` in UTF-8 (shape checks read its bytes). */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const [type, ...params] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json')
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (charset !== undefined && charset.replace(/"/g, '') !== 'utf-8')
    throw new HttpError(415, 'UNSUPPORTED_ENCODING', 'send the body in utf-8');
  next();
}

const INVALID_BODY_MESSAGE = 'send a 0x-hex raw transaction as a JSON string, or a JSON array of them';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const COMMA = 0x2c;

/**
 * Checks a submission's raw UTF-8 bytes before JSON.parse sees them: a JSON string or a
 * flat array of at most batchMaxTxs values, nothing nested, no objects. Parsing first and
 * checking the shape after let one body within the size limit make JSON.parse build
 * hundreds of thousands of arrays or numbers, blocking the event loop, all to be
 * refused. One pass over the bytes, no allocation. (In UTF-8 the bytes of a
 * multi-byte character are never ASCII, so no character is mistaken for structure.)
 */
export function checkSubmissionShape(body: Uint8Array): void {
  let inString = false;
  let depth = 0;
  let commas = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET) {
      if (++depth > 1) throw badRequest('INVALID_BODY', 'a batch is a flat JSON array of 0x-hex strings');
    } else if (c === CLOSE_BRACKET) depth--;
    else if (c === OPEN_BRACE) throw badRequest('INVALID_BODY', INVALID_BODY_MESSAGE);
    else if (c === COMMA && depth === 1 && ++commas >= HTTP_LIMITS.batchMaxTxs)
      throw badRequest('BATCH_TOO_LARGE', `a batch holds at most ${HTTP_LIMITS.batchMaxTxs} transactions`);
  }
}

/**
 * The body of POST /api/v1/txs: a 0x-hex raw transaction as a JSON string, or a JSON
 * array of them (a batch of 1..batchMaxTxs).
 */
export function parseTxSubmission(body: unknown): TxSubmission {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body)))
    throw badRequest('INVALID_BODY', INVALID_BODY_MESSAGE);
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
