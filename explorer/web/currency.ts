/**
 * The chain's one currency as people read it: amounts travel as decimal strings of wei
 * (reader.ts) and are shown in whole units of 10^18 wei, the Ethereum convention the
 * transaction format already follows (EIP-1559 fields in wei). The symbol lives here, not
 * in src/chain or the genesis file, because nothing in consensus or execution reads it:
 * it is a label for people, used by the pages alone.
 */
export const CURRENCY_SYMBOL = 'BFT';
export const CURRENCY_DECIMALS = 18;

const UNIT = 10n ** BigInt(CURRENCY_DECIMALS);
/** Digits shown: fraction digits of an amount of one unit or more, significant digits below one. */
const SHOWN_DIGITS = 6;

/**
 * Whole units with thousands grouped: at most SHOWN_DIGITS decimals for an amount of one
 * unit or more, and SHOWN_DIGITS significant digits below one (a fee of 0.000189 and a
 * value of 0.000000096 both stay readable); trailing zeros dropped, digits cut rather than
 * rounded, so a shown amount is never more than the exact one in the title. `wei` is a
 * decimal string (reader.ts), never negative.
 */
export function formatUnits(wei: string): string {
  const value = BigInt(wei);
  const whole = value / UNIT;
  const fraction = value % UNIT;
  const allDigits = fraction.toString().padStart(CURRENCY_DECIMALS, '0');
  const leadingZeros = whole === 0n ? allDigits.length - allDigits.replace(/^0+/, '').length : 0;
  const shownFraction = allDigits.slice(0, leadingZeros + SHOWN_DIGITS).replace(/0+$/, '');
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return shownFraction === '' ? grouped : `${grouped}.${shownFraction}`;
}

/** The exact amount for a hover title: "1,500,000,000,000,000,000 wei". */
export function formatWei(wei: string): string {
  return `${BigInt(wei)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')} wei`;
}
