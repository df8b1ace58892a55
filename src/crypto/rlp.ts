/**
 * RLP decoding with bounds on nesting and item count, for bytes from peers and files.
 *
 * @ethereumjs/rlp decodes recursively and copies the body of every list it enters, so
 * deeply nested lists cost time in proportion to length x depth and end in a stack
 * overflow: a 1 MB block response of nested lists kept a node's main thread busy for tens
 * of seconds before failing. Each item also becomes its own Uint8Array (a fresh
 * ArrayBuffer), so a frame of one-byte items costs a couple of hundred times its size in
 * heap. Every format here has a fixed depth and a known item bound, so one linear walk
 * over the prefixes, which allocates nothing, checks both before the library decodes.
 */
import { RLP } from '@ethereumjs/rlp';

export type RlpValue = Uint8Array | RlpValue[];

export interface RlpBounds {
  /** Lists within lists: 1 for a flat list of strings. */
  maxDepth: number;
  /** Items (strings and lists, the outermost included) in the whole input. */
  maxItems: number;
}

/** Bytes that nest deeper or hold more items than the bounds allow. */
export class RlpDecodeError extends Error {
  override readonly name = 'RlpDecodeError';
  constructor(
    /** Which bound: callers report too many items as their own size error. */
    readonly bound: 'depth' | 'items',
    message: string,
  ) {
    super(message);
  }
}

/** A big-endian length of `bytes` bytes at `at`, as a double (exact up to 2^53, and far above any input). */
function readLength(input: Uint8Array, at: number, bytes: number): number {
  let n = 0;
  for (let i = 0; i < bytes; i++) n = n * 256 + input[at + i];
  return n;
}

/**
 * Throws RlpDecodeError when `input` nests deeper or holds more items than `bounds`
 * allow. Stops quietly at the first malformed prefix (a length past its container): the
 * library reports that one itself, after decoding no more than what was walked here.
 */
export function checkRlpBounds(input: Uint8Array, bounds: RlpBounds): void {
  const listEnds: number[] = [];
  let items = 0;
  let at = 0;
  for (;;) {
    while (listEnds.length > 0 && at === listEnds[listEnds.length - 1]) listEnds.pop();
    if (at >= input.length) return;
    const containerEnd = listEnds.length > 0 ? listEnds[listEnds.length - 1] : input.length;
    const first = input[at];
    let header = 1;
    let length: number;
    const isList = first >= 0xc0;
    if (first < 0x80) {
      header = 0;
      length = 1;
    } else if (first <= 0xb7) length = first - 0x80;
    else if (first < 0xc0 || first > 0xf7) {
      const lengthBytes = first - (isList ? 0xf7 : 0xb7);
      if (at + 1 + lengthBytes > containerEnd) return;
      header = 1 + lengthBytes;
      length = readLength(input, at + 1, lengthBytes);
    } else length = first - 0xc0;
    const end = at + header + length;
    if (end > containerEnd) return;
    if (++items > bounds.maxItems)
      throw new RlpDecodeError('items', `more than ${bounds.maxItems} RLP items`);
    if (isList) {
      if (listEnds.length + 1 > bounds.maxDepth)
        throw new RlpDecodeError('depth', `RLP lists nested deeper than ${bounds.maxDepth}`);
      listEnds.push(end);
      at += header;
    } else at = end;
  }
}

/**
 * Decodes one RLP item that must fill `input`, within `bounds`. Throws RlpDecodeError for
 * out-of-bounds input, and the library's error for malformed input: callers turn both into
 * their own typed error.
 */
export function decodeRlp(input: Uint8Array, bounds: RlpBounds): RlpValue {
  checkRlpBounds(input, bounds);
  return RLP.decode(input) as RlpValue;
}

/** As decodeRlp, but returns the bytes after the first item instead of refusing them. */
export function decodeRlpStream(
  input: Uint8Array,
  bounds: RlpBounds,
): { data: RlpValue; remainder: Uint8Array } {
  checkRlpBounds(input, bounds);
  return RLP.decode(input, true) as { data: RlpValue; remainder: Uint8Array };
}
