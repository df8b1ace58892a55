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

/**
 * Verified certificates by digest (positive verdicts only, oldest evicted first). A
 * certificate seen again, e.g. the same high QC on every vote and timeout of a round, or a
 * re-sent message, costs one hash instead of 2f + 1 signature checks. Failures are not kept:
 * a forger can make any number of distinct bad certificates, and each is rejected anyway.
 */
export interface CertificateVerdicts {
  has(digest: string): boolean;
  add(digest: string): void;
}

/** Certificates remembered by the gate when no option names a number. */
export const DEFAULT_CERTIFICATE_CACHE_ENTRIES = 4096;

export function certificateVerdicts(maxEntries = DEFAULT_CERTIFICATE_CACHE_ENTRIES): CertificateVerdicts {
  const verified = new Set<string>();
  return {
    has: (digest) => verified.has(digest),
    add(digest) {
      if (verified.has(digest)) return;
      if (verified.size >= maxEntries) {
        const oldest = verified.values().next().value;
        if (oldest !== undefined) verified.delete(oldest);
      }
      verified.add(digest);
    },
  };
}
