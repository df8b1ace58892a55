// How the live rows write amounts, addresses and times: the browser's copy of the server's
// rules (explorer/web/currency.ts and format.ts), so a row added live reads exactly like
// one the server rendered. A unit test holds the two to the same answers.

const MASK = (1n << 64n) - 1n;
// Keccak-f[1600] in the compact formulation of the Keccak team's reference
// ("readable and compact" C): round constants, rho rotations and the pi lane order.
const ROUND_CONSTANTS = [
  0x0000000000000001n,
  0x0000000000008082n,
  0x800000000000808an,
  0x8000000080008000n,
  0x000000000000808bn,
  0x0000000080000001n,
  0x8000000080008081n,
  0x8000000000008009n,
  0x000000000000008an,
  0x0000000000000088n,
  0x0000000080008009n,
  0x000000008000000an,
  0x000000008000808bn,
  0x800000000000008bn,
  0x8000000000008089n,
  0x8000000000008003n,
  0x8000000000008002n,
  0x8000000000000080n,
  0x000000000000800an,
  0x800000008000000an,
  0x8000000080008081n,
  0x8000000000008080n,
  0x0000000080000001n,
  0x8000000080008008n,
];
const ROTATIONS = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44];
const PI_LANES = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1];

const rotl = (x, n) => ((x << BigInt(n)) | (x >> BigInt(64 - n))) & MASK;

function keccakF(state) {
  const c = new Array(5);
  for (const rc of ROUND_CONSTANTS) {
    for (let x = 0; x < 5; x++)
      c[x] = state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20];
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (let y = 0; y < 25; y += 5) state[y + x] ^= d;
    }
    let carried = state[1];
    for (let i = 0; i < 24; i++) {
      const lane = PI_LANES[i];
      const next = state[lane];
      state[lane] = rotl(carried, ROTATIONS[i]);
      carried = next;
    }
    for (let y = 0; y < 25; y += 5) {
      const row = state.slice(y, y + 5);
      for (let x = 0; x < 5; x++) state[y + x] = row[x] ^ (~row[(x + 1) % 5] & MASK & row[(x + 2) % 5]);
    }
    state[0] ^= rc;
  }
}

/** Keccak-256 (Ethereum's, padding 0x01) of at most 135 bytes: one block is all an address needs. */
export function keccak256Short(bytes) {
  const RATE = 136;
  if (bytes.length >= RATE) throw new RangeError('keccak256Short takes at most 135 bytes');
  const block = new Uint8Array(RATE);
  block.set(bytes);
  block[bytes.length] ^= 0x01;
  block[RATE - 1] ^= 0x80;
  const state = new Array(25).fill(0n);
  for (let i = 0; i < RATE / 8; i++) {
    let lane = 0n;
    for (let b = 7; b >= 0; b--) lane = (lane << 8n) | BigInt(block[i * 8 + b]);
    state[i] = lane;
  }
  keccakF(state);
  const out = new Uint8Array(32);
  for (let i = 0; i < 4; i++)
    for (let b = 0; b < 8; b++) out[i * 8 + b] = Number((state[i] >> BigInt(8 * b)) & 0xffn);
  return out;
}

/** EIP-55: uppercase a hex letter when the matching nibble of keccak(lowercase hex) is >= 8. */
export function checksummed(address) {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak256Short(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  return out;
}

export function shortHash(hex, head = 8, tail = 6) {
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

const DECIMALS = 18;
const UNIT = 10n ** BigInt(DECIMALS);
const SHOWN_DIGITS = 6;
const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function formatUnits(wei) {
  const value = BigInt(wei);
  const whole = value / UNIT;
  const fraction = value % UNIT;
  const allDigits = fraction.toString().padStart(DECIMALS, '0');
  const leadingZeros = whole === 0n ? allDigits.length - allDigits.replace(/^0+/, '').length : 0;
  const shown = allDigits.slice(0, leadingZeros + SHOWN_DIGITS).replace(/0+$/, '');
  return shown === '' ? group(whole.toString()) : `${group(whole.toString())}.${shown}`;
}

export const formatWei = (wei) => `${group(BigInt(wei).toString())} wei`;
export const formatInteger = (value) => group(String(value));

export function relativeTime(timestampMs, nowMs) {
  const seconds = Math.floor((nowMs - timestampMs) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}
