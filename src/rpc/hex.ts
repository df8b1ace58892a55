/**
 * The hex encodings of Ethereum's JSON-RPC (execution-apis base types): a quantity is 0x
 * and lowercase hex digits without leading zeros ("0x0" for zero), data is 0x and an even
 * number of hex digits. Input is read as strictly as geth reads it (a leading zero in a
 * quantity is refused), in either letter case; output is always lowercase.
 */
import { invalidParams } from './errors.js';

const QUANTITY_RE = /^0x(?:0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const DATA_RE = /^0x(?:[0-9a-fA-F]{2})*$/;

export function quantity(n: bigint | number): string {
  return `0x${n.toString(16)}`;
}

export function data(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** A quantity parameter of at most `maxBits` bits. */
export function parseQuantity(value: unknown, name: string, maxBits = 256): bigint {
  if (typeof value !== 'string' || value.length > 2 + maxBits / 4 || !QUANTITY_RE.test(value))
    throw invalidParams(`${name} must be a hex quantity (0x, no leading zeros)`);
  return BigInt(value);
}

/** A data parameter of exactly `length` bytes, or at most `maxBytes`. */
export function parseData(value: unknown, name: string, length?: number, maxBytes = 32): Uint8Array {
  const max = length ?? maxBytes;
  if (typeof value !== 'string' || value.length > 2 + 2 * max || !DATA_RE.test(value))
    throw invalidParams(`${name} must be 0x-prefixed hex with an even number of digits`);
  const bytes = new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  if (length !== undefined && bytes.length !== length) throw invalidParams(`${name} must be ${length} bytes`);
  return bytes;
}

export const parseAddress = (value: unknown, name: string) => parseData(value, name, 20);
export const parseHash = (value: unknown, name: string) => parseData(value, name, 32);
