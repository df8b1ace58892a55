import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bigintToBytes, bytesToBigint } from '../../../src/crypto/bytes.js';

describe('bytesToBigint', () => {
  it('reads big-endian integers of every width the same way as through hex', () => {
    // widths 0-40 cover the number fast path (<= 6 bytes), its edge and the hex path
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        const viaHex = bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
        assert.equal(bytesToBigint(bytes), viaHex);
      }),
      { seed: 11, numRuns: 500 },
    );
    assert.equal(bytesToBigint(new Uint8Array(6).fill(0xff)), 2n ** 48n - 1n);
    assert.equal(bytesToBigint(new Uint8Array(7).fill(0xff)), 2n ** 56n - 1n);
  });

  it('inverts bigintToBytes, also on a view into a larger buffer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (n) => {
        const bytes = bigintToBytes(n);
        const padded = new Uint8Array(bytes.length + 4);
        padded.set(bytes, 2);
        assert.equal(bytesToBigint(padded.subarray(2, 2 + bytes.length)), n);
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
