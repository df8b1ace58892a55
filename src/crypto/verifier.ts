/**
 * secp256k1 signature backends behind one interface: the pure-JS @noble/secp256k1 (always
 * available) and the native libsecp256k1 binding of the `secp256k1` package (about 30x
 * faster, FACTS.md). Both must give identical verdicts, or two nodes with different
 * backends could disagree on a transaction's validity; so every rule that libraries
 * disagree on (low-s, zero scalars, recovery ids) is enforced here, before either library
 * is called, and `verify` is defined once, on top of `recoverPublicKey`.
 */
import { createRequire } from 'node:module';
import * as secp from '@noble/secp256k1';
import type * as NativeSecp256k1 from 'secp256k1';
import { bigintToFixed, bytesToBigint, equalBytes } from './bytes.js';
import { type RecoverableSignature, SECP256K1_HALF_N, SECP256K1_N, signDigest } from './keys.js';

export interface SignatureBackend {
  readonly name: 'noble' | 'native';
  /**
   * 65-byte uncompressed public key recovered from a 32-byte digest, or null when the
   * signature is invalid (r or s zero or >= n, s > n/2 (high-s), bad parity, no point).
   * Never throws on bad input.
   */
  recoverPublicKey(digest: Uint8Array, sig: RecoverableSignature): Uint8Array | null;
  /**
   * Verifies a signature against a known public key (33 or 65 bytes); false on any invalid
   * input incl. high-s. yParity must also be the one of R: the 65-byte r || s || v encoding
   * then has exactly one valid form per signature, so signature bytes are not malleable.
   */
  verify(digest: Uint8Array, sig: RecoverableSignature, publicKey: Uint8Array): boolean;
  /**
   * Signs a 32-byte digest: RFC 6979 deterministic nonce, low-s, the recovery id of R. Both
   * backends produce the same bytes (tested), so a signer's choice of backend is invisible.
   */
  sign(digest: Uint8Array, secret: Uint8Array): RecoverableSignature;
}

/**
 * The rules both backends share: a 32-byte digest, 1 <= r < n, 1 <= s <= n/2 (EIP-2: the
 * high-s twin of a signature is rejected, so a transaction has one valid signature), and
 * yParity 0 or 1 (ids 2 and 3 mean r overflowed n, which Ethereum does not allow).
 */
function isCanonical(digest: Uint8Array, sig: RecoverableSignature): boolean {
  return (
    digest instanceof Uint8Array &&
    digest.length === 32 &&
    typeof sig.r === 'bigint' &&
    typeof sig.s === 'bigint' &&
    sig.r > 0n &&
    sig.r < SECP256K1_N &&
    sig.s > 0n &&
    sig.s <= SECP256K1_HALF_N &&
    (sig.yParity === 0 || sig.yParity === 1)
  );
}

/** r || s as 64 bytes; only called on canonical signatures, so both fit in 32 bytes. */
function compact(sig: RecoverableSignature): Uint8Array {
  const out = new Uint8Array(64);
  out.set(bigintToFixed(sig.r, 32), 0);
  out.set(bigintToFixed(sig.s, 32), 32);
  return out;
}

/**
 * Compares a recovered 65-byte key with a caller's 33- or 65-byte key by bytes, not by
 * parsing the caller's key: libsecp256k1 accepts "hybrid" 0x06/0x07 keys and noble does
 * not, and a byte comparison sidesteps that difference (neither matches 0x04 || x || y).
 */
function samePublicKey(recovered: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array)) return false;
  if (publicKey.length === 65) return equalBytes(recovered, publicKey);
  if (publicKey.length !== 33) return false;
  const prefix = 0x02 | (recovered[64] & 1);
  return publicKey[0] === prefix && equalBytes(recovered.subarray(1, 33), publicKey.subarray(1));
}

function makeBackend(
  name: SignatureBackend['name'],
  recoverRaw: (digest: Uint8Array, sig: RecoverableSignature) => Uint8Array,
  sign: SignatureBackend['sign'],
): SignatureBackend {
  const recoverPublicKey = (digest: Uint8Array, sig: RecoverableSignature): Uint8Array | null => {
    if (!isCanonical(digest, sig)) return null;
    try {
      // Both libraries throw when r is not the x of a curve point or the result is the
      // point at infinity: that is an invalid signature, not an error.
      return recoverRaw(digest, sig);
    } catch {
      return null;
    }
  };
  return {
    name,
    recoverPublicKey,
    sign,
    verify(digest, sig, publicKey) {
      const recovered = recoverPublicKey(digest, sig);
      return recovered !== null && samePublicKey(recovered, publicKey);
    },
  };
}

/** @noble/secp256k1: pure JS, always available. The digest is already keccak: no prehash. */
export function nobleBackend(): SignatureBackend {
  return makeBackend(
    'noble',
    (digest, sig) => {
      // noble's 'recovered' format puts the recovery byte first.
      const bytes = new Uint8Array(65);
      bytes[0] = sig.yParity;
      bytes.set(compact(sig), 1);
      return secp.recoverPublicKey(bytes, digest, { prehash: false, isCompressed: false });
    },
    signDigest,
  );
}

type NativeApi = typeof NativeSecp256k1;

/**
 * The compiled libsecp256k1 binding, or null. `require('secp256k1')` silently falls back
 * to the pure-JS `elliptic` when the addon does not load (FACTS.md), which would be slow
 * and a third implementation to keep in agreement; `secp256k1/bindings` is the addon
 * alone and throws instead.
 */
function loadBinding(): NativeApi | null {
  try {
    const require = createRequire(import.meta.url);
    return require('secp256k1/bindings') as NativeApi;
  } catch {
    return null;
  }
}

/** The native backend, or null when its compiled binding does not load on this machine. */
export function loadNativeBackend(): SignatureBackend | null {
  const native = loadBinding();
  if (native === null) return null;
  return makeBackend(
    'native',
    (digest, sig) => native.ecdsaRecover(compact(sig), sig.yParity, digest, false),
    (digest, secret) => {
      // libsecp256k1 signs with RFC 6979 and normalises to low-s, as noble does
      const { signature, recid } = native.ecdsaSign(digest, secret);
      return {
        r: bytesToBigint(signature.subarray(0, 32)),
        s: bytesToBigint(signature.subarray(32, 64)),
        yParity: recid as 0 | 1,
      };
    },
  );
}

let memoised: SignatureBackend | undefined;

/** Native when it loads, else noble; decided once per process. */
export function defaultBackend(): SignatureBackend {
  memoised ??= loadNativeBackend() ?? nobleBackend();
  return memoised;
}
