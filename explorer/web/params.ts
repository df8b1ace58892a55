/**
 * The pages' validation gate: every path parameter and query value a page reads is parsed
 * here into a typed value, or refused with a PageError that the router renders as a
 * readable HTML page (400 for input that cannot name anything, 404 for a well-formed id
 * this node does not hold). The rules are the API's (explorer/server/validation.ts): the
 * same hash parser, addresses as 0x + 40 hex with EIP-55 checked when mixed case.
 */
import { parseAddress } from '../../src/crypto/keys.js';
import { LedgerError } from '../../src/errors.js';
import { parseHashParam } from '../server/index.js';

export class PageError extends LedgerError {
  constructor(
    readonly status: 400 | 404,
    code: string,
    /** A short heading for the page ("Not found"). */
    readonly title: string,
    message: string,
  ) {
    super(code, message);
  }
}

export const badInput = (code: string, message: string) => new PageError(400, code, 'Bad request', message);
export const notFound = (code: string, message: string) => new PageError(404, code, 'Not found', message);

/** Heights are safe integers written in plain decimal: no sign, exponent or leading zeros. */
const HEIGHT_RE = /^(?:0|[1-9]\d{0,15})$/;
const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
/** Cursors are opaque, but never longer than the API reads nor outside base64url. */
const CURSOR_RE = /^[A-Za-z0-9_-]{1,256}$/;
/** The longest search text the API reads (a hash, the longest thing it names, is 66). */
export const MAX_SEARCH_CHARS = 200;

const isHeight = (text: string) => HEIGHT_RE.test(text) && Number.isSafeInteger(Number(text));

export type BlockId = { height: number } | { hash: Uint8Array };

export function parseBlockId(value: string): BlockId {
  if (isHeight(value)) return { height: Number(value) };
  if (HASH_RE.test(value)) return { hash: parseHashParam(value) };
  throw badInput(
    'INVALID_BLOCK_ID',
    'A block is named by its height (a whole number) or its hash (0x + 64 hex digits).',
  );
}

export function parseTxHash(value: string): Uint8Array {
  if (!HASH_RE.test(value))
    throw badInput('INVALID_HASH', 'A transaction hash is 0x followed by 64 hex digits.');
  return parseHashParam(value);
}

export function parseAccountAddress(value: string): Uint8Array {
  if (!ADDRESS_RE.test(value))
    throw badInput('INVALID_ADDRESS', 'An address is 0x followed by 40 hex digits.');
  try {
    return parseAddress(value);
  } catch {
    throw badInput(
      'BAD_ADDRESS_CHECKSUM',
      'The address mixes upper and lower case, but its EIP-55 checksum is wrong: check it for a typo.',
    );
  }
}

/** An optional single query value; a repeated or nested one is refused. */
function queryValue(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badInput('INVALID_QUERY', `Give \`${name}\` once, as text.`);
  return value;
}

export function parseCursor(query: Record<string, unknown>): string | undefined {
  const cursor = queryValue(query, 'cursor');
  if (cursor === undefined || cursor === '') return undefined;
  if (!CURSOR_RE.test(cursor))
    throw badInput('INVALID_CURSOR', 'This page link is not one the explorer handed out.');
  return cursor;
}

/** `?before=HEIGHT` on the blocks list: jump to the blocks below a height. */
export function parseBefore(query: Record<string, unknown>): number | undefined {
  const before = queryValue(query, 'before');
  if (before === undefined || before === '') return undefined;
  if (!isHeight(before))
    throw badInput('INVALID_HEIGHT', '`before` must be a block height (a whole number).');
  return Number(before);
}

export type SearchTarget =
  | { kind: 'height'; height: number }
  | { kind: 'hash'; hash: Uint8Array; text: string }
  | { kind: 'address'; address: Uint8Array };

/**
 * What a search box's text can name: a height, a 32-byte hash (a block or a transaction)
 * or an address. Anything else is a 400, never a match for block 0.
 */
export function parseSearch(query: Record<string, unknown>): SearchTarget {
  const raw = queryValue(query, 'q');
  const text = (raw ?? '').trim();
  if (text === '')
    throw badInput('EMPTY_SEARCH', 'Type a block height, a block or transaction hash, or an address.');
  if (text.length > MAX_SEARCH_CHARS)
    throw badInput(
      'SEARCH_TOO_LONG',
      `A search is at most ${MAX_SEARCH_CHARS} characters: nothing that long names a block, transaction or account.`,
    );
  if (isHeight(text)) return { kind: 'height', height: Number(text) };
  if (HASH_RE.test(text)) return { kind: 'hash', hash: parseHashParam(text), text: text.toLowerCase() };
  if (ADDRESS_RE.test(text)) return { kind: 'address', address: parseAccountAddress(text) };
  throw badInput(
    'UNRECOGNISED_SEARCH',
    'This is not a block height, a block or transaction hash (0x and 64 hex digits) or an address (0x and 40).',
  );
}
