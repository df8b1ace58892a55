/** Fuzzed block-sync decoders (src/sync/codec.ts): requests, the status frame, served blocks, whole responses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeBlock } from '../../../src/chain/index.js';
import {
  decodeSyncItem,
  decodeSyncRequest,
  decodeSyncResponse,
  decodeSyncStatus,
  encodeSyncItem,
  encodeSyncRequest,
  encodeSyncStatus,
  MAX_BLOCKS_PER_REQUEST,
  type SyncItem,
} from '../../../src/sync/codec.js';
import { SyncError } from '../../../src/sync/errors.js';
import { blockArb } from './arbitraries.js';
import {
  assertDecoderProperty,
  assertTypedError,
  checkBinaryDecoder,
  fuzzParameters,
  mutationsOf,
  nestedLists,
} from './fuzz.js';

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

  it('a response decodes to the requested heights in order, re-encoding to its frames, or throws a SyncError', () => {
    const fromHeight = 5;
    // a served range: the status frame, then blocks of consecutive heights from fromHeight
    const responseArb = fc
      .tuple(fc.nat({ max: 100 }), fc.array(blockArb, { maxLength: 4 }), fc.uint8Array({ maxLength: 40 }))
      .map(([head, blocks, qc]) => [
        encodeSyncStatus(head),
        ...blocks.map((b, i) =>
          encodeSyncItem(encodeBlock({ ...b, header: { ...b.header, height: fromHeight + i } }), qc),
        ),
      ]);
    // frames dropped, repeated, swapped or damaged; a request for fewer blocks than served
    const framesArb = fc.oneof(
      responseArb,
      fc.tuple(responseArb, fc.nat()).map(([f, at]) => f.filter((_, i) => i !== at % f.length)),
      fc.tuple(responseArb, fc.nat()).map(([f, at]) => [...f, f[at % f.length]]),
      fc.tuple(responseArb, fc.nat(), fc.nat()).map(([f, a, b]) => {
        const out = [...f];
        [out[a % f.length], out[b % f.length]] = [out[b % f.length], out[a % f.length]];
        return out;
      }),
      fc
        .tuple(responseArb, fc.nat())
        .chain(([f, at]) =>
          mutationsOf(fc.constant(f[at % f.length]), 32).map((m) =>
            f.map((x, i) => (i === at % f.length ? m : x)),
          ),
        ),
    );
    const seen = { decoded: 0, refused: 0 };
    fc.assert(
      fc.property(framesArb, fc.integer({ min: 1, max: 5 }), (frames, count) => {
        let response: ReturnType<typeof decodeSyncResponse>;
        try {
          response = decodeSyncResponse(frames, { fromHeight, count });
        } catch (err) {
          assertTypedError(err, SyncError);
          seen.refused++;
          return;
        }
        seen.decoded++;
        assert.ok(response.items.length <= count);
        for (const [i, item] of response.items.entries())
          assert.equal(item.block.header.height, fromHeight + i);
        assert.deepEqual(
          [encodeSyncStatus(response.headHeight), ...response.items.map(reencodeItem)],
          frames,
        );
      }),
      fuzzParameters(500),
    );
    assert.ok(seen.decoded > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  it('refuses nested lists before decoding them', () => {
    const nested = nestedLists(64 * 1024);
    for (const decode of [decodeSyncRequest, decodeSyncStatus, decodeSyncItem])
      assert.throws(() => decode(nested), { code: 'MALFORMED' });
  });
});
