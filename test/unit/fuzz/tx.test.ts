/** Fuzzed transaction decoder (src/tx/codec.ts): the gate for transactions from peers and the API. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SECP256K1_HALF_N } from '../../../src/crypto/keys.js';
import {
  decodeTransfer,
  encodeTransfer,
  MAX_TX_BYTES,
  type SignedTransfer,
  TxError,
} from '../../../src/tx/index.js';
import { assertDecoderProperty, checkBinaryDecoder, mutationsOf } from './fuzz.js';

const CHAIN_ID = 1337n;
const u = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });

/** Valid encodings: signature values in range (decodeTransfer checks ranges, not recovery). */
const validTransfer = fc
  .record({
    chainId: fc.constant(CHAIN_ID),
    nonce: u(64),
    maxPriorityFeePerGas: u(256),
    maxFeePerGas: u(256),
    gasLimit: u(64),
    to: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    value: u(256),
  })
  .chain((fields) =>
    fc
      .record({
        yParity: fc.constantFrom<0 | 1>(0, 1),
        r: fc.bigInt({ min: 1n, max: SECP256K1_HALF_N * 2n }),
        s: fc.bigInt({ min: 1n, max: SECP256K1_HALF_N }),
      })
      .map((sig) => encodeTransfer(fields, sig)),
  );

const reencode = (t: SignedTransfer) => encodeTransfer(t, t);

describe('fuzzed transaction codec', () => {
  it('a transfer decodes to a value that re-encodes to its bytes, or throws a TxError', () => {
    assertDecoderProperty(
      mutationsOf(validTransfer),
      (input) =>
        checkBinaryDecoder(
          input,
          (b) => {
            const t = decodeTransfer(b, CHAIN_ID);
            assert.deepEqual(t.raw, b);
            return t;
          },
          reencode,
          TxError,
        ),
      2000,
    );
  });

  it('refuses a tiny input that claims a 4 GB field, and anything over its size cap before decoding', () => {
    for (const input of [
      Uint8Array.of(0x02, 0xfb, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80, 0x80, 0x80),
      Uint8Array.of(0x02, 0xbb, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80, 0x80, 0x80),
    ])
      assert.throws(() => decodeTransfer(input, CHAIN_ID), { code: 'MALFORMED_RLP' });
    assert.throws(() => decodeTransfer(new Uint8Array(MAX_TX_BYTES + 1).fill(0xc0), CHAIN_ID), {
      code: 'OVERSIZE',
    });
  });
});
