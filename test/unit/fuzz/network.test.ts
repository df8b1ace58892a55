/**
 * Fuzzed network decoders (src/network/encoding.ts): gossip transaction batches, compact
 * proposals, and the length-prefixed frames of the direct and sync streams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CompactProposal,
  decodeCompactProposal,
  decodeTxBatch,
  encodeCompactProposal,
  encodeTxBatch,
  FrameReader,
  frame,
} from '../../../src/network/encoding.js';
import { GateError } from '../../../src/network/index.js';
import { bytes32, headerArb, tcArb } from './arbitraries.js';
import {
  assertDecoderProperty,
  assertTypedError,
  checkBinaryDecoder,
  fuzzParameters,
  mutationsOf,
  nestedLists,
  wideList,
} from './fuzz.js';

const batchArb = fc.array(fc.uint8Array({ maxLength: 160 }), { maxLength: 8 }).map(encodeTxBatch);

const compactArb = fc
  .record({
    header: headerArb,
    hashes: fc.array(bytes32, { maxLength: 6 }),
    signature: fc.uint8Array({ minLength: 1, maxLength: 96 }),
    tc: fc.option(tcArb, { nil: undefined }),
  })
  .map(encodeCompact);

function encodeCompact(p: CompactProposal): Uint8Array {
  const proposal = { block: { header: p.header, transactions: [] }, signature: p.signature, tc: p.tc };
  return encodeCompactProposal(proposal, p.hashes);
}

describe('fuzzed network codecs', () => {
  it('a transaction batch decodes to transactions that re-encode to its bytes, or throws a GateError', () => {
    assertDecoderProperty(
      mutationsOf(batchArb),
      (input) => checkBinaryDecoder(input, (b) => decodeTxBatch(b), encodeTxBatch, GateError),
      1500,
    );
  });

  it('a compact proposal decodes to a value that re-encodes to its bytes, or throws a GateError', () => {
    assertDecoderProperty(
      mutationsOf(compactArb),
      (input) => checkBinaryDecoder(input, (b) => decodeCompactProposal(b), encodeCompact, GateError),
      1000,
    );
  });

  it('refuses nested lists and more items than allowed before decoding them', () => {
    const nested = nestedLists(64 * 1024);
    assert.throws(() => decodeTxBatch(nested), { code: 'MALFORMED' });
    assert.throws(() => decodeCompactProposal(nested), { code: 'MALFORMED' });
    assert.throws(() => decodeTxBatch(wideList(17), 16), { code: 'BAD_BATCH' });
    assert.equal(decodeTxBatch(wideList(16), 16).length, 16);
    assert.throws(() => decodeCompactProposal(wideList(50), 10), { code: 'OVERSIZE' });
  });

  it('a frame reader returns the frames of any split of a stream, or throws a GateError', () => {
    const maxFrameBytes = 300;
    const payloads = fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 5 });
    const cuts = fc.array(fc.nat({ max: 3000 }), { maxLength: 8 });
    const stream = fc.oneof(
      payloads.map((ps) => ({ ps, bytes: concat(ps.map(frame)) })),
      fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ ps: undefined, bytes })),
    );
    const seen = { whole: 0, refused: 0 };
    fc.assert(
      fc.property(stream, cuts, ({ ps, bytes }, at) => {
        const reader = new FrameReader(maxFrameBytes);
        const frames: Uint8Array[] = [];
        const bounds = [0, ...at.map((a) => a % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
        try {
          for (let i = 1; i < bounds.length; i++)
            frames.push(...reader.push(bytes.subarray(bounds[i - 1], bounds[i])));
        } catch (err) {
          assertTypedError(err, GateError);
          assert.equal((err as GateError).code, 'OVERSIZE');
          seen.refused++;
          return;
        }
        // whatever was returned is exactly the stream's frames, in order
        assert.deepEqual(concat(frames.map(frame)), bytes.subarray(0, concat(frames.map(frame)).length));
        if (ps !== undefined) {
          assert.deepEqual(frames, ps);
          assert.equal(reader.partial, false);
          seen.whole++;
        }
      }),
      fuzzParameters(1000),
    );
    assert.ok(seen.whole > 0 && seen.refused > 0, 'both outcomes must occur');
  });

  it('a 10-byte input that claims a 4 GB frame costs no more than the bytes that arrived', () => {
    // no bound below the claim: the readers must still not allocate for it
    const claim = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6);
    const before = process.memoryUsage().arrayBuffers;
    const readers = Array.from({ length: 16 }, () => new FrameReader(0xffffffff));
    for (const reader of readers) {
      assert.deepEqual(reader.push(claim), []);
      assert.equal(reader.partial, true);
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    // each reader holds one first chunk of at most 64 KB, not 4 GB
    assert.ok(grown < readers.length * 128 * 1024, `16 readers allocated ${grown} bytes`);
    // and with the node's bound, the claim is refused outright
    assert.throws(() => new FrameReader(1024 * 1024).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1)), {
      code: 'OVERSIZE',
    });
  });
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
