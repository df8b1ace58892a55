/**
 * The simulator's signature scheme: a keyed MAC per validator (HMAC-SHA256), far cheaper
 * than secp256k1 so that runs of thousands of rounds stay fast. A node that lacks a
 * validator's secret cannot produce that validator's tag (HMAC-SHA256 is a PRF), so forgery
 * stays impossible; the shared verifier holding every secret is the only "trusted" part and
 * lives outside the simulated nodes. Test code only: production signs with secp256k1
 * (src/consensus/signing.ts).
 */
import { createHmac } from 'node:crypto';
import type { Signer, Verifier } from '../../src/consensus/index.js';
import { bigintToBytes, concatBytes, equalBytes } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';

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

/** Deterministic per-seed secrets: secret_i = sha256("sim-key" || seed || i). */
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
