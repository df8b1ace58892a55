/** How the pages write hashes, addresses and times for people. */
import { fromHex } from '../../src/crypto/bytes.js';
import { toChecksumAddress } from '../../src/crypto/keys.js';

/** Checksummed forms already computed: a page shows the same few addresses on many rows. */
const CHECKSUM_CACHE_ENTRIES = 4096;
const checksumCache = new Map<string, string>();

/** EIP-55 form of a lowercase 0x address from the reader. */
export function checksummed(address: string): string {
  const known = checksumCache.get(address);
  if (known !== undefined) return known;
  // a keccak per address: the larger part of rendering a history or block page's rows
  const result = toChecksumAddress(fromHex(address, 20, 'address'));
  // bounded: the oldest entry goes first (insertion order)
  if (checksumCache.size >= CHECKSUM_CACHE_ENTRIES) checksumCache.delete(checksumCache.keys().next().value!);
  checksumCache.set(address, result);
  return result;
}

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

export function isoTime(timestampMs: number): string {
  return new Date(timestampMs).toISOString();
}

export function formatPercent(share: number): string {
  // one decimal at most, and none when it is zero: "99%", "71.5%"
  return `${Number.parseFloat((share * 100).toFixed(1))}%`;
}

export function formatInteger(value: number | string): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
