/**
 * The EIP-1559 transfer codec (see types.ts for the layout). `decodeTransfer` is the one
 * structural gate for transactions from the network or the HTTP API: it accepts exactly
 * the canonical encoding of a plain value transfer, so a transaction has one `raw` and one
 * `hash`. It checks signature ranges but does not recover the sender (sign.ts does, once).
 */
import { RLP } from '@ethereumjs/rlp';
import { bigintToBytes, bytesToBigint, concatBytes, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/hash.js';
import { type RecoverableSignature, SECP256K1_HALF_N, SECP256K1_N } from '../crypto/keys.js';
import { TxError } from './errors.js';
import type { SignedTransfer, TransferFields } from './types.js';

export const TX_TYPE = 0x02;
/** A canonical transfer is about 110-150 bytes; the cap bounds work done on hostile input. */
export const MAX_TX_BYTES = 512;
const FIELD_COUNT = 12;
const TYPE_PREFIX = Uint8Array.of(TX_TYPE);
const EMPTY = new Uint8Array(0);

const NON_MINIMAL_RLP = /not prefixed|greater than 55|list too short|extra zeros/;

type Nested = Uint8Array | Nested[];

function unsignedItems(f: TransferFields): Nested[] {
  return [
    bigintToBytes(f.chainId),
    bigintToBytes(f.nonce),
    bigintToBytes(f.maxPriorityFeePerGas),
    bigintToBytes(f.maxFeePerGas),
    bigintToBytes(f.gasLimit),
    f.to,
    bigintToBytes(f.value),
    EMPTY, // data
    [], // accessList
  ];
}

/** keccak256(0x02 || rlp(first nine fields)): the digest a wallet signs. */
export function signingHashOf(fields: TransferFields): Uint8Array {
  return keccak256(concatBytes(TYPE_PREFIX, RLP.encode(unsignedItems(fields))));
}

/**
 * Encodes as given, without validation (decodeTransfer is the gate), so tests can also
 * build invalid transactions. Throws only on negative integers.
 */
export function encodeTransfer(fields: TransferFields, sig: RecoverableSignature): Uint8Array {
  const items = [
    ...unsignedItems(fields),
    bigintToBytes(BigInt(sig.yParity)),
    bigintToBytes(sig.r),
    bigintToBytes(sig.s),
  ];
  return concatBytes(TYPE_PREFIX, RLP.encode(items));
}

function bytesItem(item: Nested, name: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new TxError('MALFORMED_RLP', `${name} must be a byte string`);
  return item;
}

/** A minimal big-endian integer of at most `maxBytes` bytes (empty = 0). */
function intItem(item: Nested, name: string, maxBytes: number): bigint {
  const bytes = bytesItem(item, name);
  if (bytes.length > 0 && bytes[0] === 0)
    throw new TxError('NON_CANONICAL_INTEGER', `${name} has leading zero bytes`);
  if (bytes.length > maxBytes) throw new TxError('INTEGER_OVERFLOW', `${name} exceeds ${maxBytes * 8} bits`);
  return bytesToBigint(bytes);
}

function rlpList(body: Uint8Array): Nested[] {
  // An empty input is not RLP at all (the library would return an empty string for it).
  if (body.length === 0) throw new TxError('MALFORMED_RLP', 'no RLP payload after the type byte');
  let decoded: { data: Nested; remainder: Uint8Array };
  try {
    // stream mode returns what follows the first item instead of a generic error, so
    // trailing bytes get their own code.
    decoded = RLP.decode(body, true);
  } catch (e) {
    const message = (e as Error).message;
    // The library itself refuses non-minimal RLP (a prefixed single byte, a long form
    // for a short item, a length with leading zeros); report those as non-canonical. Should
    // its messages change, they are still rejected, as MALFORMED_RLP.
    const code = NON_MINIMAL_RLP.test(message) ? 'NON_CANONICAL_INTEGER' : 'MALFORMED_RLP';
    throw new TxError(code, message);
  }
  if (decoded.remainder.length > 0)
    throw new TxError('TRAILING_BYTES', `${decoded.remainder.length} bytes after the RLP list`);
  if (!Array.isArray(decoded.data)) throw new TxError('MALFORMED_RLP', 'the payload must be an RLP list');
  return decoded.data;
}

/**
 * Decodes and structurally validates a signed transfer. Checks, in order: size, type byte,
 * RLP, field count, each field, chain id, signature ranges, and finally that the input is
 * the canonical encoding of what was decoded.
 */
export function decodeTransfer(raw: Uint8Array, expectedChainId: bigint): SignedTransfer {
  const { fields: f, items } = parseTransfer(raw, expectedChainId);
  // A fixed-shape literal rather than a spread: this runs for every transaction on every node.
  return {
    chainId: f.chainId,
    nonce: f.nonce,
    maxPriorityFeePerGas: f.maxPriorityFeePerGas,
    maxFeePerGas: f.maxFeePerGas,
    gasLimit: f.gasLimit,
    to: f.to,
    value: f.value,
    yParity: f.yParity,
    r: f.r,
    s: f.s,
    // A copy: the caller's buffer may be a view into a larger message that gets reused.
    raw: raw.slice(),
    hash: keccak256(raw),
    signingHash: keccak256(signingPreimage(raw, items)),
  };
}

/** Bytes the RLP encoding of a byte string takes (the items here are shorter than 56 bytes). */
function encodedItemBytes(item: Nested): number {
  const b = item as Uint8Array;
  if (b.length === 1 && b[0] < 0x80) return 1;
  if (b.length < 56) return 1 + b.length;
  throw new TxError('MALFORMED_RLP', 'unexpected long signature field'); // excluded by intItem
}

/**
 * 0x02 || rlp(first nine fields), cut from the canonical raw bytes instead of re-encoding
 * the fields: the nine items' encodings are the list body minus the last three items
 * (yParity, r, s), under a new list prefix. A test holds it to the re-encoding.
 */
function signingPreimage(raw: Uint8Array, items: Nested[]): Uint8Array {
  const prefix = raw[1];
  const headerBytes = prefix <= 0xf7 ? 1 : 1 + (prefix - 0xf7);
  const tail = encodedItemBytes(items[9]) + encodedItemBytes(items[10]) + encodedItemBytes(items[11]);
  const body = raw.subarray(1 + headerBytes, raw.length - tail);
  const n = body.length;
  const lengthBytes = n < 56 ? 0 : n < 0x100 ? 1 : 2; // raw <= 512 bytes
  const out = new Uint8Array(2 + lengthBytes + n);
  out[0] = TX_TYPE;
  if (lengthBytes === 0) out[1] = 0xc0 + n;
  else {
    out[1] = 0xf7 + lengthBytes;
    if (lengthBytes === 2) out[2] = n >> 8;
    out[1 + lengthBytes] = n & 0xff;
  }
  out.set(body, 2 + lengthBytes);
  return out;
}

/**
 * Every check of `decodeTransfer` (same order, same TxErrors) without building the result
 * or hashing: for a gate that only needs to know the bytes are a transfer of this chain
 * and leaves the decoding proper to admission.
 */
export function checkTransferEncoding(raw: Uint8Array, expectedChainId: bigint): void {
  parseTransfer(raw, expectedChainId);
}

type TransferFieldsOf = Omit<SignedTransfer, 'raw' | 'hash' | 'signingHash'>;

function parseTransfer(
  raw: Uint8Array,
  expectedChainId: bigint,
): { fields: TransferFieldsOf; items: Nested[] } {
  // Size first: no decoding work on oversize input.
  if (raw.length > MAX_TX_BYTES)
    throw new TxError('OVERSIZE', `a transaction is at most ${MAX_TX_BYTES} bytes, got ${raw.length}`);
  if (raw.length === 0 || raw[0] !== TX_TYPE)
    throw new TxError('WRONG_TX_TYPE', 'only EIP-1559 (type 0x02) transactions are accepted');
  const items = rlpList(raw.subarray(1));
  if (items.length !== FIELD_COUNT)
    throw new TxError('WRONG_FIELD_COUNT', `a transfer has ${FIELD_COUNT} fields, got ${items.length}`);

  // chainId, nonce and gasLimit are 64-bit in Ethereum (EIP-2681 for the nonce).
  const chainId = intItem(items[0], 'chainId', 8);
  const nonce = intItem(items[1], 'nonce', 8);
  const maxPriorityFeePerGas = intItem(items[2], 'maxPriorityFeePerGas', 32);
  const maxFeePerGas = intItem(items[3], 'maxFeePerGas', 32);
  const gasLimit = intItem(items[4], 'gasLimit', 8);
  const to = bytesItem(items[5], 'to');
  const value = intItem(items[6], 'value', 32);
  const data = bytesItem(items[7], 'data');
  const accessList = items[8];
  const v = intItem(items[9], 'yParity', 1);
  const r = intItem(items[10], 'r', 32);
  const s = intItem(items[11], 's', 32);

  // Replay protection across ledgers.
  if (chainId !== expectedChainId)
    throw new TxError('WRONG_CHAIN_ID', `chain id ${chainId}, expected ${expectedChainId}`);
  // Only value transfers between accounts exist: no contract creation, calldata or access list.
  if (to.length === 0) throw new TxError('CONTRACT_CREATION', 'contract creation is not supported');
  if (to.length !== 20) throw new TxError('BAD_ADDRESS', `to must be 20 bytes, got ${to.length}`);
  if (data.length !== 0) throw new TxError('NON_EMPTY_DATA', 'a transfer carries no data');
  if (!Array.isArray(accessList) || accessList.length !== 0)
    throw new TxError('ACCESS_LIST', 'the access list must be an empty list');
  // Signature ranges (SEC 1 and EIP-2); recovery itself happens once, in recoverSender.
  if (v !== 0n && v !== 1n) throw new TxError('BAD_SIGNATURE', `yParity must be 0 or 1, got ${v}`);
  if (r === 0n || r >= SECP256K1_N) throw new TxError('BAD_SIGNATURE', 'r out of range');
  if (s === 0n || s >= SECP256K1_N) throw new TxError('BAD_SIGNATURE', 's out of range');
  if (s > SECP256K1_HALF_N) throw new TxError('HIGH_S', 's is in the upper half of the curve order');

  // Belt and braces: the RLP library already rejects the non-minimal forms we know of and
  // intItem rejects leading zeros; re-encoding the decoded items catches anything missed,
  // so each transaction has exactly one valid encoding. (Encoding the items rather than
  // the bigints gives the same bytes once those checks passed, at half the cost.)
  if (!equalBytes(concatBytes(TYPE_PREFIX, RLP.encode(items)), raw))
    throw new TxError('NON_CANONICAL_INTEGER', 'the transaction is not canonically encoded');
  return {
    fields: {
      chainId,
      nonce,
      maxPriorityFeePerGas,
      maxFeePerGas,
      gasLimit,
      to,
      value,
      yParity: v === 1n ? 1 : 0,
      r,
      s,
    },
    items,
  };
}
