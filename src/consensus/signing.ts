/**
 * Signature schemes behind two small interfaces, so the core never knows which curve or
 * backend it runs on. Digests are already domain-separated (codec.ts).
 * secp256k1 is the production scheme (65-byte r || s || yParity, low-s, RFC 6979); the
 * simulator's cheaper HMAC scheme is test code (test/sim/hmac-scheme.ts).
 */
import { bytesToBigint } from '../crypto/bytes.js';
import { encodeSignature } from '../crypto/keys.js';
import { defaultBackend, type SignatureBackend } from '../crypto/verifier.js';

export interface Signer {
  sign(digest: Uint8Array): Uint8Array;
}

export interface Verifier {
  verify(digest: Uint8Array, signature: Uint8Array, validatorIndex: number): boolean;
}

export function secp256k1Signer(secret: Uint8Array, backend: SignatureBackend = defaultBackend()): Signer {
  // native libsecp256k1 when it loads: noble's signing was 2% of a node's CPU under load
  return { sign: (digest) => encodeSignature(backend.sign(digest, secret)) };
}

/**
 * Verifies 65-byte r || s || yParity signatures against the validators' public keys
 * (index = position) with a secp256k1 backend of src/crypto/verifier.ts: native
 * libsecp256k1 when it loads (noble's verify costs ~2 ms, and every proposal, vote,
 * timeout and certificate carries signatures), noble otherwise. The backends give
 * identical verdicts: low-s only, and yParity must be R's, so signature bytes are not
 * malleable.
 */
export function secp256k1Verifier(
  publicKeys: Uint8Array[],
  backend: SignatureBackend = defaultBackend(),
): Verifier {
  return {
    verify(digest, signature, index) {
      const key = publicKeys[index];
      if (key === undefined || signature.length !== 65 || signature[64] > 1) return false;
      const sig = {
        r: bytesToBigint(signature.subarray(0, 32)),
        s: bytesToBigint(signature.subarray(32, 64)),
        yParity: signature[64] as 0 | 1,
      };
      return backend.verify(digest, sig, key);
    },
  };
}
