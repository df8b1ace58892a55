/** Option-value parsers for commander: each throws InvalidArgumentError, a usage error (exit 2). */
import { InvalidArgumentError } from 'commander';
import { MAX_SCRYPT_N } from '../crypto/keystore.js';

export function parsePositiveInt(value: string): number {
  const n = /^[1-9][0-9]{0,14}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = /^(0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

/** A decimal integer of any size, e.g. a balance in wei. */
export function parseDecimal(value: string): bigint {
  if (!/^(0|[1-9][0-9]{0,79})$/.test(value)) throw new InvalidArgumentError('must be a decimal integer');
  return BigInt(value);
}

export function parseScryptN(value: string): number {
  const n = /^[0-9]{1,8}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 2 && n <= MAX_SCRYPT_N && (n & (n - 1)) === 0)) {
    throw new InvalidArgumentError(`must be a power of two between 2 and ${MAX_SCRYPT_N}`);
  }
  return n;
}
