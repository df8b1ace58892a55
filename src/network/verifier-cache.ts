/**
 * A Verifier that remembers signatures it has verified (bounded, positive results only).
 * The gate checks a proposal's signature and certificates before gossipsub forwards it;
 * handing the same instance to the consensus core means each signature is verified once
 * per node. Failures are not cached: a forger cannot fill the cache.
 */
import type { Verifier } from '../consensus/index.js';

export function cachingVerifier(inner: Verifier, maxEntries: number): Verifier {
  const verified = new Set<string>();
  return {
    verify(digest, signature, index) {
      const key = `${index}:${Buffer.from(digest).toString('base64')}:${Buffer.from(signature).toString('base64')}`;
      if (verified.has(key)) return true;
      if (!inner.verify(digest, signature, index)) return false;
      if (verified.size >= maxEntries) {
        // Evict the oldest (Set keeps insertion order).
        const oldest = verified.values().next().value;
        if (oldest !== undefined) verified.delete(oldest);
      }
      verified.add(key);
      return true;
    },
  };
}
