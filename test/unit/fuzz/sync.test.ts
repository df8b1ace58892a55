/** Fuzzed block-sync decoders (src/sync/codec.ts): requests, the status frame, served blocks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeBlock } from '../../../src/chain/index.js';
import {
  decodeSyncItem,
  decodeSyncRequest,
  decodeSyncStatus,
  encodeSyncItem,
  encodeSyncRequest,
  encodeSyncStatus,
  MAX_BLOCKS_PER_REQUEST,
  type SyncItem,
} from '../../../src/sync/codec.js';
import { SyncError } from '../../../src/sync/errors.js';
import { blockArb } from './arbitraries.js';
import { assertDecoderProperty, checkBinaryDecoder, mutationsOf, nestedLists } from './fuzz.js';

const height = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 2 ** 48 - 1 }));
const requestArb = fc
  .record({ fromHeight: height, count: fc.integer({ min: 1, max: MAX_BLOCKS_PER_REQUEST }) })
  .map(encodeSyncRequest);
const statusArb = fc
  .oneof(fc.nat({ max: 1000 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }))
  .map(encodeSyncStatus);
const itemArb = fc
  .tuple(blockArb, fc.uint8Array({ maxLength: 200 }))
  .map(([b, qc]) => encodeSyncItem(encodeBlock(b), qc));
const reencodeItem = (item: SyncItem) => encodeSyncItem(encodeBlock(item.block), item.qc);

describe('fuzzed sync codec', () => {
  it('a request decodes to a value that re-encodes to its bytes, or throws a SyncError', () => {
    assertDecoderProperty(
      mutationsOf(requestArb, 24),
      (input) => checkBinaryDecoder(input, decodeSyncRequest, encodeSyncRequest, SyncError),
      1000,
    );
  });

  it('a status frame decodes to a head that re-encodes to its bytes, or throws a SyncError', () => {
    assertDecoderProperty(
      mutationsOf(statusArb, 16),
      (input) => checkBinaryDecoder(input, decodeSyncStatus, encodeSyncStatus, SyncError),
      1000,
    );
  });

  it('a served block decodes to a value that re-encodes to its bytes, or throws a SyncError', () => {
    assertDecoderProperty(
      mutationsOf(itemArb),
      (input) => checkBinaryDecoder(input, decodeSyncItem, reencodeItem, SyncError),
      1000,
    );
  });

  it('refuses nested lists before decoding them', () => {
    const nested = nestedLists(64 * 1024);
    for (const decode of [decodeSyncRequest, decodeSyncStatus, decodeSyncItem])
      assert.throws(() => decode(nested), { code: 'MALFORMED' });
  });
});
