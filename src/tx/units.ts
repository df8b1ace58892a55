/**
 * The chain's one currency as people read and write it. Amounts travel as integers of wei
 * (the transaction format's EIP-1559 fields are in wei) and people use whole units of
 * 10^18 wei, the Ethereum convention. The symbol is defined here, once, for the explorer's
 * pages and the wallet: nothing in consensus or execution reads it, so it is not in
 * src/chain or the genesis file.
 *
 * Pure: no I/O. Parsing throws InvalidInputError with a stable code per fault, so a
 * wallet can tell a typo from an amount it cannot send.
 */
import { InvalidInputError } from '../errors.js';

export const CURRENCY_SYMBOL = 'BFT';
export const CURRENCY_DECIMALS = 18;
export const WEI_PER_UNIT = 10n ** BigInt(CURRENCY_DECIMALS);
/** The largest amount a transaction's value field or an account balance holds (256 bits). */
export const MAX_AMOUNT_WEI = (1n << 256n) - 1n;

/** Digits shown: fraction digits of an amount of one unit or more, significant digits below one. */
const SHOWN_DIGITS = 6;
/** Longer than any amount up to MAX_AMOUNT_WEI written either way: refused before any parsing. */
const MAX_AMOUNT_CHARS = 100;
const UNITS_RE = /^([0-9]+)(?:\.([0-9]+))?$/;
const WEI_RE = /^([0-9]+)$/;

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Whole units with thousands grouped: at most SHOWN_DIGITS decimals for an amount of one
 * unit or more, and SHOWN_DIGITS significant digits below one (a fee of 0.000189 and a
 * value of 0.000000096 both stay readable); trailing zeros dropped, digits cut rather than
 * rounded, so a shown amount is never more than the exact one. `wei` is a decimal string
 * (as the API serves amounts) or a bigint, never negative.
 */
export function formatUnits(wei: string | bigint): string {
  const value = BigInt(wei);
  const whole = value / WEI_PER_UNIT;
  const fraction = value % WEI_PER_UNIT;
  const allDigits = fraction.toString().padStart(CURRENCY_DECIMALS, '0');
  const leadingZeros = whole === 0n ? allDigits.length - allDigits.replace(/^0+/, '').length : 0;
  const shownFraction = allDigits.slice(0, leadingZeros + SHOWN_DIGITS).replace(/0+$/, '');
  const grouped = groupThousands(whole.toString());
  return shownFraction === '' ? grouped : `${grouped}.${shownFraction}`;
}

/** The exact amount in wei, grouped: "1,500,000,000,000,000,000 wei". */
export function formatWei(wei: string | bigint): string {
  return `${groupThousands(BigInt(wei).toString())} wei`;
}

/**
 * The exact amount in whole units, every significant decimal kept and nothing grouped, so
 * that parseAmount reads it back to the same wei: 1500000000000000000n -> "1.5".
 */
export function formatUnitsExact(wei: bigint): string {
  if (wei < 0n) throw new InvalidInputError('NEGATIVE_AMOUNT', 'an amount is never negative');
  const whole = wei / WEI_PER_UNIT;
  const fraction = (wei % WEI_PER_UNIT).toString().padStart(CURRENCY_DECIMALS, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/**
 * Reads an amount as a person writes it: whole units with up to 18 decimals ("1.5",
 * "0.000000000000000001", "2 BFT") or exact wei with the suffix `wei` ("1500wei",
 * "1500 wei"). Case of the suffix is ignored; no sign, exponent, grouping or empty parts
 * ("1." and ".5" are refused, so a truncated paste is caught). Returns wei.
 *
 * Codes: INVALID_AMOUNT (not an amount), NEGATIVE_AMOUNT, TOO_MANY_DECIMALS (more than 18:
 * below one wei), AMOUNT_TOO_LARGE (above 2^256 - 1 wei).
 */
export function parseAmount(text: string): bigint {
  if (typeof text !== 'string' || text.length > MAX_AMOUNT_CHARS)
    throw new InvalidInputError('INVALID_AMOUNT', `an amount is at most ${MAX_AMOUNT_CHARS} characters`);
  const trimmed = text.trim();
  if (trimmed.startsWith('-'))
    throw new InvalidInputError('NEGATIVE_AMOUNT', `amount ${JSON.stringify(text)} is negative`);
  const suffix = /^(.*?)\s*(wei|bft)?$/i.exec(trimmed);
  const body = suffix?.[1] ?? '';
  const unit = suffix?.[2]?.toLowerCase() === 'wei' ? 'wei' : 'units';
  let wei: bigint;
  if (unit === 'wei') {
    const m = WEI_RE.exec(body);
    if (!m)
      throw new InvalidInputError(
        'INVALID_AMOUNT',
        `amount ${JSON.stringify(text)} in wei must be a whole number (no decimals, sign or exponent)`,
      );
    wei = BigInt(m[1]);
  } else {
    const m = UNITS_RE.exec(body);
    if (!m)
      throw new InvalidInputError(
        'INVALID_AMOUNT',
        `amount ${JSON.stringify(text)} is not a number of ${CURRENCY_SYMBOL} like 1.5 or an amount in wei like 1500wei`,
      );
    const fraction = m[2] ?? '';
    if (fraction.length > CURRENCY_DECIMALS)
      throw new InvalidInputError(
        'TOO_MANY_DECIMALS',
        `amount ${JSON.stringify(text)} has ${fraction.length} decimals; ${CURRENCY_SYMBOL} has ${CURRENCY_DECIMALS} (1 wei = 0.${'0'.repeat(CURRENCY_DECIMALS - 1)}1)`,
      );
    wei = BigInt(m[1]) * WEI_PER_UNIT + BigInt(fraction.padEnd(CURRENCY_DECIMALS, '0') || '0');
  }
  if (wei > MAX_AMOUNT_WEI)
    throw new InvalidInputError('AMOUNT_TOO_LARGE', `amount ${JSON.stringify(text)} is above 2^256 - 1 wei`);
  return wei;
}
