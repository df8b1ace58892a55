import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import * as secp from '@noble/secp256k1';
import fc from 'fast-check';
import { bigintToBytes, bigintToFixed, concatBytes } from '../../../src/crypto/bytes.js';
import { keccak256 } from '../../../src/crypto/hash.js';
import {
  addressOf,
  publicKeyOf,
  SECP256K1_HALF_N,
  SECP256K1_N,
  signDigest,
} from '../../../src/crypto/keys.js';
import { loadNativeBackend, nobleBackend } from '../../../src/crypto/verifier.js';
import { LedgerError } from '../../../src/errors.js';
import {
  checkTransferEncoding,
  decodeTransfer,
  encodeTransfer,
  MAX_TX_BYTES,
  recoverSender,
  signingHashOf,
  signTransfer,
  type TransferFields,
  TxError,
  type TxErrorCode,
} from '../../../src/tx/index.js';

const CHAIN_ID = 1337n;
const SECRET = new Uint8Array(32).fill(0x11);
const MAX_U256 = (1n << 256n) - 1n;
const MAX_U64 = (1n << 64n) - 1n;

const FIELDS: TransferFields = {
  chainId: CHAIN_ID,
  nonce: 5n,
  maxPriorityFeePerGas: 1_000_000_000n,
  maxFeePerGas: 3_000_000_000n,
  gasLimit: 21_000n,
  to: new Uint8Array(20).fill(0xab),
  value: 10n ** 18n,
};

type Item = Uint8Array | Item[];

/** The twelve RLP items of a valid signed transfer, to tamper with one at a time. */
function validItems(fields: TransferFields = FIELDS): Item[] {
  return RLP.decode(signTransfer(fields, SECRET).raw.subarray(1)) as Item[];
}

function withItem(index: number, item: Item): Uint8Array {
  const items = validItems();
  items[index] = item;
  return concatBytes(Uint8Array.of(2), RLP.encode(items));
}

/** Signs arbitrary (possibly invalid) fields, so only the intended defect is present. */
function signedRaw(fields: TransferFields): Uint8Array {
  return encodeTransfer(fields, signDigest(signingHashOf(fields), SECRET));
}

// `satisfies` makes this a compile-time list of every code: a new code must get a case.
const ALL_CODES = Object.keys({
  WRONG_TX_TYPE: 1,
  MALFORMED_RLP: 1,
  TRAILING_BYTES: 1,
  WRONG_FIELD_COUNT: 1,
  NON_CANONICAL_INTEGER: 1,
  INTEGER_OVERFLOW: 1,
  WRONG_CHAIN_ID: 1,
  CONTRACT_CREATION: 1,
  BAD_ADDRESS: 1,
  NON_EMPTY_DATA: 1,
  ACCESS_LIST: 1,
  OVERSIZE: 1,
  BAD_SIGNATURE: 1,
  HIGH_S: 1,
} satisfies Record<TxErrorCode, 1>);

/** decodeTransfer's verdict; checkTransferEncoding (the gossip gate's check) must agree. */
function codeOf(raw: Uint8Array, chainId = CHAIN_ID): string {
  const verdict = (check: () => unknown) => {
    try {
      check();
    } catch (e) {
      assert.ok(e instanceof TxError && e instanceof LedgerError, `not a TxError: ${e}`);
      return e.code;
    }
    return 'accepted';
  };
  const code = verdict(() => decodeTransfer(raw, chainId));
  assert.equal(
    verdict(() => checkTransferEncoding(raw, chainId)),
    code,
    'checkTransferEncoding disagrees',
  );
  return code;
}

describe('transfer codec', () => {
  it('round-trips a signed transfer and computes both hashes', () => {
    const tx = signTransfer(FIELDS, SECRET);
    const sig = { yParity: tx.yParity, r: tx.r, s: tx.s };
    assert.equal(tx.raw[0], 2);
    assert.deepEqual(encodeTransfer(FIELDS, sig), tx.raw);
    assert.deepEqual(decodeTransfer(tx.raw, CHAIN_ID), tx);
    assert.deepEqual(tx.hash, keccak256(tx.raw));
    const unsigned = RLP.encode((RLP.decode(tx.raw.subarray(1)) as Item[]).slice(0, 9));
    assert.deepEqual(tx.signingHash, keccak256(concatBytes(Uint8Array.of(2), unsigned)));
    assert.deepEqual(signingHashOf(FIELDS), tx.signingHash);
    for (const backend of [nobleBackend(), loadNativeBackend()!]) {
      assert.deepEqual(recoverSender(tx, backend).from, addressOf(SECRET), backend.name);
    }
    assert.deepEqual(recoverSender(tx).from, addressOf(SECRET));
  });

  it('round-trips random fields, including zeros and the widest integers', () => {
    // small values too: they make the unsigned list shorter than 56 bytes (a one-byte prefix)
    const small = fc.bigInt({ min: 0n, max: 300n });
    const u64 = fc.oneof(fc.constantFrom(0n, MAX_U64), small, fc.bigInt({ min: 0n, max: MAX_U64 }));
    const u256 = fc.oneof(fc.constantFrom(0n, MAX_U256), small, fc.bigInt({ min: 0n, max: MAX_U256 }));
    fc.assert(
      fc.property(
        u64,
        u64,
        u256,
        u256,
        u64,
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        u256,
        (chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value) => {
          const fields = { chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value };
          const tx = signTransfer(fields, SECRET);
          assert.ok(tx.raw.length <= MAX_TX_BYTES);
          const decoded = decodeTransfer(tx.raw, chainId);
          assert.deepEqual(decoded, tx);
          // the decoder cuts the signing preimage from the raw bytes; the wallet re-encodes
          assert.deepEqual(decoded.signingHash, signingHashOf(fields));
          assert.deepEqual(
            { ...fields },
            {
              chainId: decoded.chainId,
              nonce: decoded.nonce,
              maxPriorityFeePerGas: decoded.maxPriorityFeePerGas,
              maxFeePerGas: decoded.maxFeePerGas,
              gasLimit: decoded.gasLimit,
              to: decoded.to,
              value: decoded.value,
            },
          );
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('cuts the signing preimage right when the signed list is shorter than 56 bytes', () => {
    // Real signatures make r and s 32 bytes; tiny ones (valid ranges, no sender behind
    // them) give the short list form the decoder must also handle.
    const fields = { ...FIELDS, nonce: 0n, maxPriorityFeePerGas: 1n, maxFeePerGas: 2n, value: 0n };
    for (const [r, s, yParity] of [
      [1n, 1n, 0],
      [0x7fn, 0x80n, 1],
      [300n, 2n, 1],
    ] as const) {
      const raw = encodeTransfer(fields, { r, s, yParity });
      assert.ok(raw[1] < 0xf8, `short list form (${raw.length} bytes)`);
      const decoded = decodeTransfer(raw, CHAIN_ID);
      assert.deepEqual(decoded.signingHash, signingHashOf(fields));
    }
  });

  it('produces every error code from a hand-crafted bad input', () => {
    const valid = signTransfer(FIELDS, SECRET);
    const twin = { r: valid.r, s: SECP256K1_N - valid.s, yParity: (1 - valid.yParity) as 0 | 1 };
    const cases: [TxErrorCode, string, Uint8Array, bigint?][] = [
      ['WRONG_TX_TYPE', 'type 0x01', concatBytes(Uint8Array.of(1), valid.raw.subarray(1))],
      ['WRONG_TX_TYPE', 'legacy (no type byte)', valid.raw.subarray(1)],
      ['WRONG_TX_TYPE', 'empty', new Uint8Array(0)],
      ['MALFORMED_RLP', 'truncated', valid.raw.subarray(0, valid.raw.length - 1)],
      ['MALFORMED_RLP', 'type byte only', Uint8Array.of(2)],
      [
        'MALFORMED_RLP',
        'a byte string, not a list',
        concatBytes(Uint8Array.of(2), RLP.encode(new Uint8Array(5))),
      ],
      ['MALFORMED_RLP', 'nonce is a list', withItem(1, [])],
      ['MALFORMED_RLP', 'to is a list', withItem(5, [new Uint8Array(20)])],
      ['TRAILING_BYTES', 'one byte after the list', concatBytes(valid.raw, Uint8Array.of(0))],
      ['TRAILING_BYTES', 'a second list after it', concatBytes(valid.raw, RLP.encode([]))],
      [
        'WRONG_FIELD_COUNT',
        '11 fields',
        concatBytes(Uint8Array.of(2), RLP.encode(validItems().slice(0, 11))),
      ],
      ['WRONG_FIELD_COUNT', '13 fields', concatBytes(Uint8Array.of(2), RLP.encode([...validItems(), []]))],
      ['NON_CANONICAL_INTEGER', 'nonce 0x0005', withItem(1, Uint8Array.of(0, 5))],
      ['NON_CANONICAL_INTEGER', 'value 0 as 0x00', withItem(6, Uint8Array.of(0))],
      ['NON_CANONICAL_INTEGER', 'yParity 0 as 0x00', withItem(9, Uint8Array.of(0))],
      [
        'NON_CANONICAL_INTEGER',
        'r with a leading zero',
        withItem(10, concatBytes(Uint8Array.of(0), bigintToBytes(valid.r))),
      ],
      ['NON_CANONICAL_INTEGER', 'prefixed single byte (0x81 0x05)', nonMinimalNonce()],
      ['NON_CANONICAL_INTEGER', 'list length with a leading zero', longFormList(valid.raw)],
      ['NON_CANONICAL_INTEGER', '20-byte to in the long string form', longFormTo()],
      ['INTEGER_OVERFLOW', 'value 2^256', withItem(6, bigintToBytes(1n << 256n))],
      ['INTEGER_OVERFLOW', 'maxFeePerGas 2^256', withItem(3, bigintToBytes(1n << 256n))],
      ['INTEGER_OVERFLOW', 'nonce 2^64', withItem(1, bigintToBytes(1n << 64n))],
      ['INTEGER_OVERFLOW', 'gasLimit 2^64', withItem(4, bigintToBytes(1n << 64n))],
      ['INTEGER_OVERFLOW', 'chainId 2^64', withItem(0, bigintToBytes(1n << 64n))],
      ['WRONG_CHAIN_ID', 'another chain', valid.raw, CHAIN_ID + 1n],
      ['WRONG_CHAIN_ID', 'chain id 0', signedRaw({ ...FIELDS, chainId: 0n })],
      ['CONTRACT_CREATION', 'empty to', signedRaw({ ...FIELDS, to: new Uint8Array(0) })],
      ['BAD_ADDRESS', '19-byte to', signedRaw({ ...FIELDS, to: new Uint8Array(19).fill(1) })],
      ['BAD_ADDRESS', '21-byte to', signedRaw({ ...FIELDS, to: new Uint8Array(21).fill(1) })],
      ['NON_EMPTY_DATA', 'calldata', withItem(7, Uint8Array.of(0xa9, 0x05, 0x9c, 0xbb))],
      ['ACCESS_LIST', 'one entry', withItem(8, [[FIELDS.to, []]])],
      ['ACCESS_LIST', 'a byte string instead of a list', withItem(8, new Uint8Array(0))],
      ['OVERSIZE', 'MAX_TX_BYTES + 1 bytes', withItem(7, new Uint8Array(MAX_TX_BYTES))],
      ['OVERSIZE', 'junk of MAX_TX_BYTES + 1', new Uint8Array(MAX_TX_BYTES + 1).fill(2)],
      ['BAD_SIGNATURE', 'r = 0', withItem(10, new Uint8Array(0))],
      ['BAD_SIGNATURE', 's = 0', withItem(11, new Uint8Array(0))],
      ['BAD_SIGNATURE', 'r = n', withItem(10, bigintToBytes(SECP256K1_N))],
      ['BAD_SIGNATURE', 's = n', withItem(11, bigintToBytes(SECP256K1_N))],
      ['BAD_SIGNATURE', 'yParity 2', withItem(9, Uint8Array.of(2))],
      ['BAD_SIGNATURE', 'yParity 27 (legacy v)', withItem(9, Uint8Array.of(27))],
      ['HIGH_S', 's = n - s with flipped parity', encodeTransfer(FIELDS, twin)],
      ['HIGH_S', 's = n/2 + 1', withItem(11, bigintToBytes(SECP256K1_HALF_N + 1n))],
    ];
    for (const [code, name, raw, chainId] of cases) assert.equal(codeOf(raw, chainId), code, name);
    assert.deepEqual(new Set(cases.map(([code]) => code)), new Set(ALL_CODES));
  });

  it('rejects the high-s twin even though it is a valid ECDSA signature', () => {
    const valid = signTransfer(FIELDS, SECRET);
    const twinS = SECP256K1_N - valid.s;
    const compact = concatBytes(bigintToFixed(valid.r, 32), bigintToFixed(twinS, 32));
    // The twin verifies under plain ECDSA, which is why EIP-2 must reject it explicitly.
    assert.equal(
      secp.verify(compact, valid.signingHash, publicKeyOf(SECRET), { prehash: false, lowS: false }),
      true,
    );
    const twin = encodeTransfer(FIELDS, { r: valid.r, s: twinS, yParity: (1 - valid.yParity) as 0 | 1 });
    assert.equal(codeOf(twin), 'HIGH_S');
    // s = n/2 exactly is still low-s: it decodes (it then recovers some other sender).
    assert.equal(codeOf(withItem(11, bigintToBytes(SECP256K1_HALF_N))), 'accepted');
  });

  it('accepts the boundary values and MAX_TX_BYTES itself is not oversize', () => {
    const wide = { ...FIELDS, chainId: MAX_U64, nonce: MAX_U64, gasLimit: MAX_U64, value: MAX_U256 };
    assert.equal(codeOf(signTransfer(wide, SECRET).raw, MAX_U64), 'accepted');
    assert.equal(codeOf(signedRaw({ ...FIELDS, value: 0n, nonce: 0n })), 'accepted');
    // The hand-assembly helper used for the non-minimal cases reproduces a valid tx exactly.
    assert.equal(codeOf(listOf(validItems().map((item) => RLP.encode(item)))), 'accepted');
    // Exactly MAX_TX_BYTES of junk goes past the size check to the type check.
    assert.equal(codeOf(new Uint8Array(MAX_TX_BYTES).fill(1)), 'WRONG_TX_TYPE');
  });

  it('fails recoverSender with BAD_SIGNATURE when r is not on the curve', () => {
    // r = 5 has no curve point (5^3 + 7 is not a square mod p); the decoder cannot know that.
    const raw = withItem(10, Uint8Array.of(5));
    const tx = decodeTransfer(raw, CHAIN_ID);
    for (const backend of [nobleBackend(), loadNativeBackend()!]) {
      assert.throws(
        () => recoverSender(tx, backend),
        (e: unknown) => e instanceof TxError && e.code === 'BAD_SIGNATURE',
      );
    }
  });

  it('throws only TxErrors on random and mutated input, and accepts only canonical bytes', () => {
    const valid = signTransfer(FIELDS, SECRET).raw;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (junk) => {
        codeOf(junk);
        codeOf(concatBytes(Uint8Array.of(2), junk));
      }),
      { seed: 11, numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutated = valid.slice();
        mutated[at] ^= xor;
        if (codeOf(mutated) === 'accepted') {
          const tx = decodeTransfer(mutated, CHAIN_ID);
          assert.deepEqual(encodeTransfer(tx, tx), mutated);
        }
      }),
      { seed: 12, numRuns: 1000 },
    );
  });
});

/** Re-assembles a list from already-encoded items, so one item can be written by hand. */
function listOf(encodedItems: Uint8Array[]): Uint8Array {
  const body = concatBytes(...encodedItems);
  const len = bigintToBytes(BigInt(body.length));
  const header =
    body.length < 56 ? Uint8Array.of(0xc0 + body.length) : concatBytes(Uint8Array.of(0xf7 + len.length), len);
  return concatBytes(Uint8Array.of(2), header, body);
}

/** nonce 0x7f written as 0x81 0x7f instead of the single byte 0x7f. */
function nonMinimalNonce(): Uint8Array {
  const encoded = validItems({ ...FIELDS, nonce: 0x7fn }).map((item) => RLP.encode(item));
  encoded[1] = Uint8Array.of(0x81, 0x7f);
  return listOf(encoded);
}

/** `to` written as 0xb8 0x14 <20 bytes>, the form reserved for strings over 55 bytes. */
function longFormTo(): Uint8Array {
  const encoded = validItems().map((item) => RLP.encode(item));
  encoded[5] = concatBytes(Uint8Array.of(0xb8, 20), FIELDS.to);
  return listOf(encoded);
}

/** A valid transfer (always > 55 bytes, so 0xf8 <len>) with a leading zero in its list length. */
function longFormList(raw: Uint8Array): Uint8Array {
  assert.equal(raw[1], 0xf8);
  return concatBytes(Uint8Array.of(2, 0xf9, 0), raw.subarray(2));
}
