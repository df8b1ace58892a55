/**
 * The pages' validation gate: every path parameter and query value a page reads is parsed
 * here into a typed value, or refused with a PageError that the router renders as a
 * readable HTML page (400 for input that cannot name anything, 404 for a well-formed id
 * this node does not hold). The rules are the API's (explorer/server/validation.ts): the
 * same hash parser, addresses as 0x + 40 hex with EIP-55 checked when mixed case.
 */
import { LedgerError } from '../../src/errors.js';
import {
  addressText,
  blockIdText,
  cursorText,
  hashText,
  heightText,
  MAX_SEARCH_CHARS,
  type SearchTarget,
  searchText,
} from '../server/index.js';

export { MAX_SEARCH_CHARS };

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

/** The API's parsers (explorer/server/schemas.ts): one set of rules for what names what. */
const parses = (schema: { safeParse(value: unknown): { success: boolean } }, value: string) =>
  schema.safeParse(value).success;

export type BlockId = { height: number } | { hash: Uint8Array };

export function parseBlockId(value: string): BlockId {
  const id = blockIdText.safeParse(value);
  if (id.success) return id.data;
  throw badInput(
    'INVALID_BLOCK_ID',
    'A block is named by its height (a whole number) or its hash (0x + 64 hex digits).',
  );
}

export function parseTxHash(value: string): Uint8Array {
  const hash = hashText.safeParse(value);
  if (hash.success) return hash.data;
  throw badInput('INVALID_HASH', 'A transaction hash is 0x followed by 64 hex digits.');
}

export function parseAccountAddress(value: string): Uint8Array {
  const address = addressText.safeParse(value);
  if (address.success) return address.data;
  if (/^0x[0-9a-fA-F]{40}$/.test(value))
    throw badInput(
      'BAD_ADDRESS_CHECKSUM',
      'The address mixes upper and lower case, but its EIP-55 checksum is wrong: check it for a typo.',
    );
  throw badInput('INVALID_ADDRESS', 'An address is 0x followed by 40 hex digits.');
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
  if (!parses(cursorText, cursor))
    throw badInput('INVALID_CURSOR', 'This page link is not one the explorer handed out.');
  return cursor;
}

/** `?before=HEIGHT` on the blocks list: jump to the blocks below a height. */
export function parseBefore(query: Record<string, unknown>): number | undefined {
  const before = queryValue(query, 'before');
  if (before === undefined || before === '') return undefined;
  const height = heightText.safeParse(before);
  if (!height.success) throw badInput('INVALID_HEIGHT', '`before` must be a block height (a whole number).');
  return height.data;
}

export type { SearchTarget };

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
  const target = searchText.safeParse(text);
  if (target.success) return target.data;
  // a well-formed address whose only fault is its checksum gets the checksum's message
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) parseAccountAddress(text);
  throw badInput(
    'UNRECOGNISED_SEARCH',
    'This is not a block height, a block or transaction hash (0x and 64 hex digits) or an address (0x and 40).',
  );
}
