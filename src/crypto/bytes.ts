/**
 * Byte helpers shared by every subsystem. Hex is always 0x-prefixed lowercase on output;
 * input accepts either case. Uint8Array is the one byte type in the code base.
 */
import { InvalidInputError } from '../errors.js';

export type Bytes = Uint8Array;

const HEX_RE = /^0x([0-9a-fA-F]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** Parses 0x-prefixed hex; `byteLength`, when given, must match exactly. */
export function fromHex(hex: string, byteLength?: number, what = 'hex string'): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new InvalidInputError(
      'INVALID_HEX',
      `${what} must be 0x-prefixed hex with an even number of digits`,
    );
  }
  const out = new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
  if (byteLength !== undefined && out.length !== byteLength) {
    throw new InvalidInputError('INVALID_LENGTH', `${what} must be ${byteLength} bytes, got ${out.length}`);
  }
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Minimal big-endian bytes of a non-negative bigint (0 -> empty), as RLP wants. */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new InvalidInputError('NEGATIVE_INTEGER', 'integers must be non-negative');
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Fixed-width big-endian bytes of a non-negative bigint. */
export function bigintToFixed(value: bigint, width: number): Uint8Array {
  const raw = bigintToBytes(value);
  if (raw.length > width)
    throw new InvalidInputError('INTEGER_TOO_LARGE', `integer does not fit in ${width} bytes`);
  const out = new Uint8Array(width);
  out.set(raw, width - raw.length);
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  // Up to 6 bytes fit a double exactly: nonces, chain ids and fees skip the hex string.
  if (bytes.length <= 6) {
    let n = 0;
    for (let i = 0; i < bytes.length; i++) n = n * 256 + bytes[i];
    return BigInt(n);
  }
  return BigInt(toHex(bytes));
}

const U64_MASK = (1n << 64n) - 1n;

/**
 * Writes `value` as a big-endian unsigned integer of `words` x 8 bytes at `offset`,
 * through DataView (several times faster than going through a hex string, which matters
 * on the per-account, per-receipt hot path of block commits).
 */
export function writeUintBE(view: DataView, offset: number, value: bigint, words: number): void {
  if (value < 0n || value >> BigInt(64 * words) !== 0n) {
    throw new InvalidInputError('INTEGER_TOO_LARGE', `integer does not fit in ${8 * words} bytes`);
  }
  for (let i = words - 1; i >= 0; i--) {
    view.setBigUint64(offset + 8 * i, value & U64_MASK);
    value >>= 64n;
  }
}

export function readUintBE(view: DataView, offset: number, words: number): bigint {
  let value = 0n;
  for (let i = 0; i < words; i++) value = (value << 64n) | view.getBigUint64(offset + 8 * i);
  return value;
}
