/** How the pages write hashes, addresses and times for people. */
import { fromHex } from '../../src/crypto/bytes.js';
import { toChecksumAddress } from '../../src/crypto/keys.js';
import { formatUnits, formatWei } from './currency.js';

/**
 * Texts already computed for a value, at most `entries` of them (the oldest goes first):
 * a page shows the same few addresses, fees and block times on many rows.
 */
function remembered<K, T>(entries: number, compute: (key: K) => T): (key: K) => T {
  const known = new Map<K, T>();
  return (key) => {
    const hit = known.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key);
    if (known.size >= entries) known.delete(known.keys().next().value!);
    known.set(key, value);
    return value;
  };
}

const TEXT_CACHE_ENTRIES = 4096;

/** EIP-55 form of a lowercase 0x address from the reader (a keccak per address). */
export const checksummed: (address: string) => string = remembered(TEXT_CACHE_ENTRIES, (address: string) =>
  toChecksumAddress(fromHex(address, 20, 'address')),
);

/** An amount in wei (decimal string) as shown, in whole units, and exactly, for its title. */
export const amountTexts: (wei: string) => { units: string; exact: string } = remembered(
  TEXT_CACHE_ENTRIES,
  (wei: string) => ({ units: formatUnits(wei), exact: formatWei(wei) }),
);

/** "0x1234ab…9f3e": enough to tell hashes apart in a list; the full one is in the title. */
export function shortHash(hex: string, head = 8, tail = 6): string {
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** "12 s ago", "4 min ago", "3 h ago", "2 d ago"; a time ahead of `nowMs` reads "just now". */
export function relativeTime(timestampMs: number, nowMs: number): string {
  const seconds = Math.floor((nowMs - timestampMs) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export const isoTime: (timestampMs: number) => string = remembered(TEXT_CACHE_ENTRIES, (ms: number) =>
  new Date(ms).toISOString(),
);

export function formatPercent(share: number): string {
  // one decimal at most, and none when it is zero: "99%", "71.5%"
  return `${Number.parseFloat((share * 100).toFixed(1))}%`;
}

export function formatInteger(value: number | string): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
