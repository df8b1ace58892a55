/** Fuzzed block, header and receipt decoders (src/chain/codec.ts, src/chain/receipts.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_DECODED_BLOCK_TXS } from '../../../src/chain/codec.js';
import {
  ChainError,
  decodeBlock,
  decodeHeader,
  decodeReceipt,
  encodeBlock,
  encodeHeader,
  encodeReceipt,
  RECEIPT_ENCODING_BYTES,
} from '../../../src/chain/index.js';
import { GENESIS_LIMITS } from '../../../src/genesis/index.js';
import { blockArb, bytes32, headerArb } from './arbitraries.js';
import { assertDecoderProperty, checkBinaryDecoder, mutationsOf, nestedLists, wideList } from './fuzz.js';

describe('fuzzed block codec', () => {
  it('a header decodes to a value that re-encodes to its bytes, or throws a ChainError', () => {
    assertDecoderProperty(
      mutationsOf(headerArb.map(encodeHeader)),
      (input) => checkBinaryDecoder(input, decodeHeader, encodeHeader, ChainError),
      1500,
    );
  });

  it('a block decodes to a value that re-encodes to its bytes, or throws a ChainError', () => {
    assertDecoderProperty(
      mutationsOf(blockArb.map(encodeBlock)),
      (input) => checkBinaryDecoder(input, decodeBlock, encodeBlock, ChainError),
      1500,
    );
  });

  it('a receipt decodes to a value that re-encodes to its bytes, or throws a ChainError', () => {
    const u = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
    const address = fc.uint8Array({ minLength: 20, maxLength: 20 });
    const receiptArb = fc
      .record({
        txHash: bytes32,
        from: address,
        to: address,
        status: fc.constant(1 as const),
        gasUsed: u(64),
        effectiveGasPrice: u(256),
        fee: u(256),
      })
      .map(encodeReceipt);
    assertDecoderProperty(
      fc.oneof(
        mutationsOf(receiptArb, RECEIPT_ENCODING_BYTES + 4),
        fc.uint8Array({ minLength: RECEIPT_ENCODING_BYTES, maxLength: RECEIPT_ENCODING_BYTES }),
      ),
      (input) => checkBinaryDecoder(input, decodeReceipt, encodeReceipt, ChainError),
      500,
    );
  });

  it('its default transaction bound is the genesis maximum', () => {
    assert.equal(MAX_DECODED_BLOCK_TXS, GENESIS_LIMITS.maxBlockTxs.max);
  });

  it('refuses deeply nested lists without decoding them (regression: 1 MB took ~27 s, then a stack overflow)', () => {
    // a block is two levels deep; 64 KB of nesting is thousands of levels
    assert.throws(() => decodeBlock(nestedLists(64 * 1024)), { code: 'MALFORMED_BLOCK' });
    assert.throws(() => decodeHeader(nestedLists(64 * 1024)), { code: 'MALFORMED_BLOCK' });
  });

  it('refuses more transactions than its bound before building any (regression: 1 M one-byte items cost ~5 s and ~240 MB)', () => {
    const block = encodeBlock({
      header: fc.sample(headerArb, { seed: 1, numRuns: 1 })[0],
      transactions: Array.from({ length: 11 }, () => Uint8Array.of(1)),
    });
    assert.throws(() => decodeBlock(block, 10), { code: 'TOO_MANY_TXS' });
    assert.equal(decodeBlock(block, 11).transactions.length, 11);
    // a flat list of many items fails the item bound, whatever its shape
    assert.throws(() => decodeBlock(wideList(200_000)), { code: 'TOO_MANY_TXS' });
  });
});
