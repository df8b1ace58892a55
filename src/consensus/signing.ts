/**
 * Signature schemes behind two small interfaces, so the core never knows which curve or
 * backend it runs on. Digests are already domain-separated (codec.ts).
 * - secp256k1: the production scheme (65-byte r || s || yParity, low-s, RFC 6979).
 * - HMAC test scheme: a keyed MAC per validator, for the simulator. A node that lacks a
 *   validator's secret cannot produce that validator's tag (HMAC-SHA256 is a PRF), so
 *   forgery stays impossible; the shared verifier holding every secret is the only
 *   "trusted" part and lives outside the simulated nodes.
 */
import { createHmac } from 'node:crypto';
import { bigintToBytes, bytesToBigint, concatBytes, equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
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

export interface TestScheme {
  signers: Signer[];
  verifier: Verifier;
  /** Stand-in public keys (sha256 of the secret) so a ValidatorSet can be filled in. */
  publicKeys: Uint8Array[];
}

function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const tag = createHmac('sha256', key).update(data).digest();
  return new Uint8Array(tag.buffer, tag.byteOffset, tag.byteLength);
}

/** Deterministic per-seed secrets: secret_i = sha256("sim-key" || seed || i). TEST ONLY. */
export function hmacTestScheme(seed: number, n: number): TestScheme {
  const secrets: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    secrets.push(
      sha256(
        concatBytes(
          new TextEncoder().encode('sim-key'),
          bigintToBytes(BigInt(seed)),
          bigintToBytes(BigInt(i)),
        ),
      ),
    );
  }
  // The verifier is shared by every simulated node, so each (validator, digest) tag is
  // computed once and looked up after that (a QC at n = 100 carries 67 tags that all
  // 100 nodes check). Bounded; a pure memo, so results are unchanged.
  const tags = new Map<string, Uint8Array>();
  const tagOf = (index: number, digest: Uint8Array): Uint8Array => {
    const k = `${index}:${Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex')}`;
    let tag = tags.get(k);
    if (tag === undefined) {
      tag = hmac(secrets[index], digest);
      if (tags.size >= 200_000) tags.clear();
      tags.set(k, tag);
    }
    return tag;
  };
  return {
    signers: secrets.map((secret) => ({ sign: (digest: Uint8Array) => hmac(secret, digest) })),
    verifier: {
      verify(digest, signature, index) {
        if (secrets[index] === undefined || signature.length !== 32) return false;
        return equalBytes(tagOf(index, digest), signature);
      },
    },
    publicKeys: secrets.map((s) => sha256(s)),
  };
}
