/** keccak-256: the WebAssembly implementation the node uses agrees with noble's, byte for byte. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../../src/crypto/bytes.js';
import { keccak256, keccak256Noble, keccakBackend } from '../../../src/crypto/hash.js';

describe('keccak256', () => {
  it('runs on the WebAssembly backend on this machine', () => {
    assert.equal(keccakBackend, 'wasm');
  });

  it('matches the known vectors', () => {
    assert.equal(
      toHex(keccak256(new Uint8Array(0))),
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    assert.equal(
      toHex(keccak256(new TextEncoder().encode('abc'))),
      '0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45',
    );
  });

  it('agrees with @noble/hashes on random inputs of every size up to a few blocks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (data) => {
        assert.equal(toHex(keccak256(data)), toHex(keccak256Noble(data)));
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('returns a fresh array each call (the instance is reused, its output is not)', () => {
    const a = keccak256(Uint8Array.of(1));
    const b = keccak256(Uint8Array.of(2));
    assert.notEqual(toHex(a), toHex(b));
    assert.equal(toHex(a), toHex(keccak256Noble(Uint8Array.of(1))));
  });
});
