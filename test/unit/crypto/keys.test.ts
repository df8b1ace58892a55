import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { toHex } from '../../../src/crypto/bytes.js';
import {
  addressOf,
  decodeSignature,
  encodeSignature,
  generateSecretKey,
  parseAddress,
  SECP256K1_HALF_N,
  signDigest,
  toChecksumAddress,
} from '../../../src/crypto/keys.js';

describe('keys and addresses', () => {
  it('derives the same checksummed address as ethers', () => {
    for (let i = 0; i < 20; i++) {
      const secret = generateSecretKey();
      const wallet = new Wallet(toHex(secret));
      assert.equal(toChecksumAddress(addressOf(secret)), wallet.address);
    }
  });

  it('accepts EIP-55 test vectors and rejects a flipped checksum letter', () => {
    // Vectors from EIP-55.
    const vectors = [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ];
    for (const v of vectors) {
      assert.equal(toChecksumAddress(parseAddress(v)), v);
      assert.deepEqual(parseAddress(v.toLowerCase()), parseAddress(v));
      // Flip the case of the first letter: the checksum must catch it.
      const at = v.slice(2).search(/[a-fA-F]/) + 2;
      const ch = v[at];
      const flipped =
        v.slice(0, at) + (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) + v.slice(at + 1);
      assert.throws(() => parseAddress(flipped), { code: 'BAD_ADDRESS_CHECKSUM' });
    }
    assert.throws(() => parseAddress('0x1234'), { code: 'INVALID_ADDRESS' });
  });

  it('signs digests like ethers (RFC 6979, low-s) and round-trips the 65-byte form', () => {
    const secret = generateSecretKey();
    const wallet = new Wallet(toHex(secret));
    for (let i = 0; i < 10; i++) {
      const digest = new Uint8Array(32).fill(i + 1);
      const ours = signDigest(digest, secret);
      const theirs = wallet.signingKey.sign(digest);
      assert.equal(ours.r, BigInt(theirs.r));
      assert.equal(ours.s, BigInt(theirs.s));
      assert.equal(ours.yParity, theirs.yParity);
      assert.ok(ours.s <= SECP256K1_HALF_N);
      assert.deepEqual(decodeSignature(encodeSignature(ours)), ours);
    }
  });
});
