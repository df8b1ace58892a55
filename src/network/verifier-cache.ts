/**
 * A Verifier that remembers signatures it has verified (bounded, positive results only).
 * The gate checks a proposal's signature and certificates before gossipsub forwards it;
 * handing the same instance to the consensus core means each signature is verified once
 * per node. Failures are not cached: a forger cannot fill the cache.
 */
import type { Verifier } from '../consensus/index.js';

/**
 * How many verified signatures a node remembers, for `validators` validators. A consensus
 * signature comes back within a round or two (the gate checks it, then the core), about
 * 2n + 1 of them per round. Block sync checks each response's certificates on arrival and
 * again when it applies the run they belong to: up to maxInFlightRequests x
 * maxBlocksPerRequest blocks (128, src/sync/options.ts) of a quorum's signatures each. The
 * cache holds that run twice over, so the second check is a hit. A cache that fills within minutes stops growing where one sized for hours of rounds
 * looks like a leak for as long.
 */
export function signatureCacheEntries(validators: number): number {
  return Math.max(4096, 192 * validators);
}

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
