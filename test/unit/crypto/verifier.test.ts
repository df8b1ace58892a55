import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bigintToFixed, bytesToBigint } from '../../../src/crypto/bytes.js';
import {
  compressPublicKey,
  isValidSecretKey,
  publicKeyOf,
  type RecoverableSignature,
  SECP256K1_HALF_N,
  SECP256K1_N,
  signDigest,
} from '../../../src/crypto/keys.js';
import {
  defaultBackend,
  loadNativeBackend,
  nobleBackend,
  type SignatureBackend,
} from '../../../src/crypto/verifier.js';

const SEED = 20_240_611;
const noble = nobleBackend();
const native = loadNativeBackend();

function nativeBackend(): SignatureBackend {
  assert.ok(native, 'the native secp256k1 binding must load on this machine');
  return native;
}

/** Runs both backends and requires the same answer; returns it. */
function recoverBoth(digest: Uint8Array, sig: RecoverableSignature): Uint8Array | null {
  const a = noble.recoverPublicKey(digest, sig);
  const b = nativeBackend().recoverPublicKey(digest, sig);
  assert.deepEqual(a, b, `backends disagree on r=${sig.r} s=${sig.s} v=${sig.yParity}`);
  return a;
}

function verifyBoth(digest: Uint8Array, sig: RecoverableSignature, publicKey: Uint8Array): boolean {
  const a = noble.verify(digest, sig, publicKey);
  const b = nativeBackend().verify(digest, sig, publicKey);
  assert.equal(a, b, `verify verdicts differ on r=${sig.r} s=${sig.s} v=${sig.yParity}`);
  return a;
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const secretArb = bytes32.filter(isValidSecretKey);
const scalarArb = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });
const parityArb = fc.constantFrom<0 | 1>(0, 1);

describe('signature backends', () => {
  it('loads the compiled libsecp256k1 addon, not the elliptic fallback, and prefers it', () => {
    const backend = nativeBackend();
    assert.equal(backend.name, 'native');
    assert.equal(defaultBackend().name, 'native');
    assert.equal(defaultBackend(), defaultBackend(), 'memoised');
    // A compiled addon shows up in the module cache as a .node file of the package.
    const require = createRequire(import.meta.url);
    const addons = Object.keys(require.cache).filter((p) => p.includes('secp256k1') && p.endsWith('.node'));
    assert.ok(addons.length > 0, 'no secp256k1 .node addon in the module cache');
    // And the package's own entry point chose the same binding rather than elliptic.
    assert.equal(require('secp256k1'), require('secp256k1/bindings'));
  });

  it('recovers the signer from valid signatures identically', () => {
    fc.assert(
      fc.property(secretArb, bytes32, (secret, digest) => {
        const sig = signDigest(digest, secret);
        const expected = publicKeyOf(secret, false);
        assert.deepEqual(recoverBoth(digest, sig), expected);
        assert.equal(verifyBoth(digest, sig, expected), true);
        assert.equal(verifyBoth(digest, sig, compressPublicKey(expected)), true);
        // Wrong parity: a different key (or none), so verification against the signer fails.
        const flipped = { ...sig, yParity: (1 - sig.yParity) as 0 | 1 };
        assert.notDeepEqual(recoverBoth(digest, flipped), expected);
        assert.equal(verifyBoth(digest, flipped, expected), false);
        // The high-s twin is a valid ECDSA signature elsewhere, but not here (EIP-2).
        const twin = { r: sig.r, s: SECP256K1_N - sig.s, yParity: flipped.yParity };
        assert.equal(recoverBoth(digest, twin), null);
        assert.equal(verifyBoth(digest, twin, expected), false);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('signs with identical bytes (RFC 6979, low-s, recovery id), which both verify', () => {
    fc.assert(
      fc.property(secretArb, bytes32, (secret, digest) => {
        const a = noble.sign(digest, secret);
        const b = nativeBackend().sign(digest, secret);
        assert.deepEqual(b, a);
        assert.ok(a.s <= SECP256K1_HALF_N, 'low-s');
        const key = publicKeyOf(secret, false);
        assert.equal(verifyBoth(digest, a, key), true);
        assert.deepEqual(recoverBoth(digest, b), key);
      }),
      { seed: SEED + 5, numRuns: 200 },
    );
  });

  it('agrees on random signatures, digests and junk public keys', () => {
    fc.assert(
      fc.property(
        scalarArb,
        scalarArb,
        parityArb,
        bytes32,
        fc.uint8Array({ minLength: 65, maxLength: 65 }),
        (r, s, yParity, digest, junk) => {
          const sig = { r, s, yParity };
          const recovered = recoverBoth(digest, sig);
          if (r === 0n || r >= SECP256K1_N || s === 0n || s > SECP256K1_HALF_N) assert.equal(recovered, null);
          else if (recovered !== null) {
            // Recovery by construction yields a key the signature verifies against.
            assert.equal(verifyBoth(digest, sig, recovered), true);
            assert.equal(verifyBoth(bytes32Plus1(digest), sig, recovered), false);
          }
          for (const prefix of [0x04, 0x06, 0x07]) {
            junk[0] = prefix;
            assert.equal(verifyBoth(digest, sig, junk), false);
          }
          assert.equal(verifyBoth(digest, sig, junk.subarray(0, 33)), false);
        },
      ),
      { seed: SEED + 1, numRuns: 400 },
    );
  });

  it('treats boundary scalars, bad parity and bad lengths the same way, without throwing', () => {
    const secret = new Uint8Array(32).fill(7);
    const digest = new Uint8Array(32).fill(9);
    const good = signDigest(digest, secret);
    const pub = publicKeyOf(secret, false);
    const cases: [string, RecoverableSignature, boolean][] = [
      ['valid', good, true],
      ['r = 0', { ...good, r: 0n }, false],
      ['s = 0', { ...good, s: 0n }, false],
      ['r = n', { ...good, r: SECP256K1_N }, false],
      ['r = n + 1', { ...good, r: SECP256K1_N + 1n }, false],
      ['s = n', { ...good, s: SECP256K1_N }, false],
      ['s = n - 1', { ...good, s: SECP256K1_N - 1n }, false],
      ['s = n/2 + 1', { ...good, s: SECP256K1_HALF_N + 1n }, false],
      ['r = 2^256', { ...good, r: 1n << 256n }, false],
      ['negative r', { ...good, r: -good.r }, false],
      ['yParity 2', { ...good, yParity: 2 as 0 }, false],
      ['yParity -1', { ...good, yParity: -1 as 0 }, false],
    ];
    for (const [name, sig, ok] of cases) {
      const recovered = recoverBoth(digest, sig);
      assert.equal(recovered !== null && recovered.length === 65, ok, name);
      assert.equal(verifyBoth(digest, sig, pub), ok, name);
    }
    // s = n/2 exactly is still low-s: recovery yields some key, the same in both.
    const atHalf = recoverBoth(digest, { ...good, s: SECP256K1_HALF_N });
    assert.ok(atHalf !== null && atHalf.length === 65);
    // Digests of the wrong length and public keys of the wrong length.
    for (const bad of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33)]) {
      assert.equal(recoverBoth(bad, good), null);
      assert.equal(verifyBoth(bad, good, pub), false);
    }
    for (const badKey of [new Uint8Array(0), pub.subarray(0, 64), new Uint8Array([...pub, 0])]) {
      assert.equal(verifyBoth(digest, good, badKey), false);
    }
    // A compressed key of the wrong parity.
    const compressed = compressPublicKey(pub).slice();
    compressed[0] ^= 1;
    assert.equal(verifyBoth(digest, good, compressed), false);
  });

  it('recovers exactly when r is the x-coordinate of a curve point', () => {
    // Euler's criterion, independent of both libraries: x is on y^2 = x^3 + 7 iff
    // x^3 + 7 is a square mod p.
    const P = 2n ** 256n - 2n ** 32n - 977n;
    const isX = (x: bigint) => modPow((x ** 3n + 7n) % P, (P - 1n) / 2n, P) === 1n;
    const digest = new Uint8Array(32).fill(3);
    let offCurve = 0;
    for (let r = 1n; r <= 40n; r++) {
      for (const yParity of [0, 1] as const) {
        const recovered = recoverBoth(digest, { r, s: 1n, yParity });
        assert.equal(recovered !== null, isX(r), `r = ${r}`);
      }
      if (!isX(r)) offCurve++;
    }
    assert.ok(offCurve > 5, 'the sample must include r values with no point');
  });
});

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  for (let b = base % mod, e = exp; e > 0n; e >>= 1n, b = (b * b) % mod)
    if (e & 1n) result = (result * b) % mod;
  return result;
}

function bytes32Plus1(digest: Uint8Array): Uint8Array {
  return bigintToFixed((bytesToBigint(digest) + 1n) % (1n << 256n), 32);
}
