/**
 * Canonical block encoding (docs/FORMATS.md):
 *   header = rlp([chainId, height, round, parentHash, proposer, timestampMs, txRoot, stateRoot,
 *                 receiptsRoot, parentQc])
 *   block  = rlp([header fields list, [raw tx, ...]])
 *   block hash = sha256(header encoding)
 * Integers are minimal big-endian byte strings (0 is empty), as in Ethereum. Decoding
 * re-encodes and compares, so every block has exactly one encoding and one hash.
 */
import { RLP } from '@ethereumjs/rlp';
import { bigintToBytes, bytesToBigint, equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { decodeRlp, type RlpBounds, RlpDecodeError } from '../crypto/rlp.js';
import { ChainError } from './errors.js';
import type { Block, BlockHeader } from './types.js';

type Nested = Uint8Array | Nested[];

function headerFields(h: BlockHeader): Uint8Array[] {
  return [
    bigintToBytes(h.chainId),
    bigintToBytes(BigInt(h.height)),
    bigintToBytes(BigInt(h.round)),
    h.parentHash,
    h.proposer,
    bigintToBytes(BigInt(h.timestampMs)),
    h.txRoot,
    h.stateRoot,
    h.receiptsRoot,
    h.parentQc,
  ];
}

export function encodeHeader(header: BlockHeader): Uint8Array {
  return RLP.encode(headerFields(header));
}

export function hashHeader(header: BlockHeader): Uint8Array {
  return sha256(encodeHeader(header));
}

export function encodeBlock(block: Block): Uint8Array {
  return RLP.encode([headerFields(block.header), block.transactions]);
}

/** Bytes of an RLP length prefix for a payload of `length` bytes (beyond the first byte). */
function lengthOfLength(length: number): number {
  let n = 0;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Bytes the RLP encoding of one byte string takes. */
function stringBytes(b: Uint8Array): number {
  if (b.length === 1 && b[0] < 0x80) return 1;
  return b.length < 56 ? 1 + b.length : 1 + lengthOfLength(b.length) + b.length;
}

/** Bytes the RLP encoding of a list with a payload of `length` bytes takes. */
function listBytes(length: number): number {
  return length < 56 ? 1 + length : 1 + lengthOfLength(length) + length;
}

/**
 * `encodeBlock(block).length`, computed without encoding: block validation checks the
 * size limit of every proposed block, and encoding a 1,000-transaction block only to
 * measure it was one of five encodings per block per node. A test holds the two equal.
 */
export function encodedBlockSize(block: Block): number {
  let txs = 0;
  for (const tx of block.transactions) txs += stringBytes(tx);
  return listBytes(encodeHeader(block.header).length + listBytes(txs));
}

function bytesField(value: Nested | undefined, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new ChainError('MALFORMED_BLOCK', `${name} must be a byte string`);
  if (length !== undefined && value.length !== length) {
    throw new ChainError('MALFORMED_BLOCK', `${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

function intField(value: Nested | undefined, name: string, maxBytes: number): bigint {
  const bytes = bytesField(value, name);
  if (bytes.length > maxBytes) throw new ChainError('MALFORMED_BLOCK', `${name} exceeds ${maxBytes} bytes`);
  if (bytes.length > 0 && bytes[0] === 0)
    throw new ChainError('NON_CANONICAL_BLOCK', `${name} has leading zeros`);
  return bytesToBigint(bytes);
}

function safeInt(value: bigint, name: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new ChainError('MALFORMED_BLOCK', `${name} is too large`);
  return Number(value);
}

export function decodeHeaderFields(fields: Nested): BlockHeader {
  if (!Array.isArray(fields) || fields.length !== 10) {
    throw new ChainError('MALFORMED_BLOCK', 'a header is a list of 10 fields');
  }
  return {
    chainId: intField(fields[0], 'chainId', 8),
    height: safeInt(intField(fields[1], 'height', 8), 'height'),
    round: safeInt(intField(fields[2], 'round', 8), 'round'),
    parentHash: bytesField(fields[3], 'parentHash', 32),
    proposer: bytesField(fields[4], 'proposer', 20),
    timestampMs: safeInt(intField(fields[5], 'timestampMs', 8), 'timestampMs'),
    txRoot: bytesField(fields[6], 'txRoot', 32),
    stateRoot: bytesField(fields[7], 'stateRoot', 32),
    receiptsRoot: bytesField(fields[8], 'receiptsRoot', 32),
    parentQc: bytesField(fields[9], 'parentQc'),
  };
}

/**
 * The most transactions any block may hold (GENESIS_LIMITS.maxBlockTxs.max): the default
 * bound of decodeBlock, for callers that do not know the chain's own limit.
 */
export const MAX_DECODED_BLOCK_TXS = 100_000;

/** A header is one flat list of 10 strings. */
const HEADER_BOUNDS: RlpBounds = { maxDepth: 1, maxItems: 11 };

/** [header list, tx list] around the header's 10 fields: items beside the transactions. */
const BLOCK_ITEMS_BESIDE_TXS = 13;

function rlpDecode(bytes: Uint8Array, bounds: RlpBounds): Nested {
  try {
    return decodeRlp(bytes, bounds);
  } catch (e) {
    if (e instanceof RlpDecodeError && e.bound === 'items')
      throw new ChainError('TOO_MANY_TXS', `a block of more items than allowed: ${e.message}`);
    throw new ChainError('MALFORMED_BLOCK', `invalid RLP: ${(e as Error).message}`);
  }
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const header = decodeHeaderFields(rlpDecode(bytes, HEADER_BOUNDS));
  if (!equalBytes(encodeHeader(header), bytes))
    throw new ChainError('NON_CANONICAL_BLOCK', 'header is not canonical');
  return header;
}

/**
 * `maxTransactions` bounds the items decoded at all, so a block response of many tiny
 * "transactions" is refused before each becomes an object (callers that know the chain's
 * maxBlockTxs pass it; the count itself is still theirs to check).
 */
export function decodeBlock(bytes: Uint8Array, maxTransactions = MAX_DECODED_BLOCK_TXS): Block {
  const decoded = rlpDecode(bytes, { maxDepth: 2, maxItems: BLOCK_ITEMS_BESIDE_TXS + maxTransactions });
  if (!Array.isArray(decoded) || decoded.length !== 2 || !Array.isArray(decoded[1])) {
    throw new ChainError('MALFORMED_BLOCK', 'a block is a list [header, transactions]');
  }
  const header = decodeHeaderFields(decoded[0]);
  const transactions = decoded[1].map((tx, i) => bytesField(tx, `transactions[${i}]`));
  const block = { header, transactions };
  if (!equalBytes(encodeBlock(block), bytes))
    throw new ChainError('NON_CANONICAL_BLOCK', 'block is not canonical');
  return block;
}
