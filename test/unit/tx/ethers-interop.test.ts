/**
 * Interop with ethers v6, the reference wallet library: a transfer signed by ethers must
 * decode and recover here exactly as ethers reads it, and the other way round.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Transaction, Wallet } from 'ethers';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/crypto/bytes.js';
import { isValidSecretKey, toChecksumAddress } from '../../../src/crypto/keys.js';
import { loadNativeBackend, nobleBackend } from '../../../src/crypto/verifier.js';
import {
  decodeTransfer,
  recoverSender,
  type SignedTransfer,
  signTransfer,
  type TransferFields,
} from '../../../src/tx/index.js';

const MAX_U64 = (1n << 64n) - 1n;
const MAX_U256 = (1n << 256n) - 1n;
const BACKENDS = [nobleBackend(), loadNativeBackend()!];

/** Integers biased towards the edges (0, 1, byte boundaries, the maximum) plus uniform ones. */
function uint(max: bigint): fc.Arbitrary<bigint> {
  return fc.oneof(
    fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, max),
    fc.bigInt({ min: 0n, max }),
    fc.nat(64).map((bits) => ((1n << BigInt(bits)) - 1n) & max),
  );
}

// ethers refuses a priority fee above the max fee (our state machine does too, later:
// the codec does not), so the two fees are drawn as a sorted pair.
const fieldsArb: fc.Arbitrary<TransferFields> = fc
  .record({
    chainId: fc.oneof(fc.constantFrom(1n, 1337n, MAX_U64), fc.bigInt({ min: 1n, max: MAX_U64 })),
    // ethers keeps the nonce as a JS number.
    nonce: uint(BigInt(Number.MAX_SAFE_INTEGER)),
    fees: fc.tuple(uint(MAX_U256), uint(MAX_U256)),
    gasLimit: uint(MAX_U64),
    to: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    value: uint(MAX_U256),
  })
  .map(({ fees: [a, b], ...rest }) => {
    const [maxPriorityFeePerGas, maxFeePerGas] = a < b ? [a, b] : [b, a];
    return { ...rest, maxPriorityFeePerGas, maxFeePerGas };
  });

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter(isValidSecretKey);

function assertSameFields(ethersTx: Transaction, ours: SignedTransfer): void {
  assert.equal(ethersTx.type, 2);
  assert.equal(ethersTx.chainId, ours.chainId);
  assert.equal(BigInt(ethersTx.nonce), ours.nonce);
  assert.equal(ethersTx.maxPriorityFeePerGas, ours.maxPriorityFeePerGas);
  assert.equal(ethersTx.maxFeePerGas, ours.maxFeePerGas);
  assert.equal(ethersTx.gasLimit, ours.gasLimit);
  assert.equal(ethersTx.to, toChecksumAddress(ours.to));
  assert.equal(ethersTx.value, ours.value);
  assert.equal(ethersTx.data, '0x');
  assert.deepEqual(ethersTx.accessList, []);
  assert.equal(ethersTx.hash, toHex(ours.hash));
  assert.equal(ethersTx.unsignedHash, toHex(ours.signingHash));
  assert.equal(ethersTx.signature?.yParity, ours.yParity);
  assert.equal(BigInt(ethersTx.signature?.r ?? 0), ours.r);
  assert.equal(BigInt(ethersTx.signature?.s ?? 0), ours.s);
}

describe('ethers v6 interop', () => {
  it('decodes and recovers transfers signed by ethers Wallet.signTransaction', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fieldsArb, async (secret, f) => {
        const wallet = new Wallet(toHex(secret));
        const rawHex = await wallet.signTransaction({
          type: 2,
          chainId: f.chainId,
          nonce: Number(f.nonce),
          maxPriorityFeePerGas: f.maxPriorityFeePerGas,
          maxFeePerGas: f.maxFeePerGas,
          gasLimit: f.gasLimit,
          to: toChecksumAddress(f.to),
          value: f.value,
        });
        const ours = decodeTransfer(fromHex(rawHex), f.chainId);
        assertSameFields(Transaction.from(rawHex), ours);
        assert.deepEqual(
          { ...f },
          {
            chainId: ours.chainId,
            nonce: ours.nonce,
            maxPriorityFeePerGas: ours.maxPriorityFeePerGas,
            maxFeePerGas: ours.maxFeePerGas,
            gasLimit: ours.gasLimit,
            to: ours.to,
            value: ours.value,
          },
        );
        for (const backend of BACKENDS) {
          assert.equal(toChecksumAddress(recoverSender(ours, backend).from), wallet.address, backend.name);
        }
      }),
      { seed: 42, numRuns: 120 },
    );
  });

  it('produces transfers that ethers Transaction.from parses to the same sender, hash and fields', () => {
    fc.assert(
      fc.property(secretArb, fieldsArb, (secret, f) => {
        const ours = signTransfer(f, secret);
        const parsed = Transaction.from(toHex(ours.raw));
        assertSameFields(parsed, ours);
        assert.equal(parsed.from, new Wallet(toHex(secret)).address);
        // ethers re-serialises to the very same bytes: one encoding per transaction.
        assert.equal(parsed.serialized, toHex(ours.raw));
      }),
      { seed: 43, numRuns: 120 },
    );
  });
});
