/**
 * Quorum arithmetic for n validators of equal power.
 *
 * f = floor((n - 1) / 3) Byzantine validators are tolerated, and a quorum is q = n - f:
 * - safety: any two quorums share 2q - n = n - 2f >= f + 1 validators, so an honest one;
 * - liveness: the n - f honest validators can form a quorum on their own.
 *
 * When n = 3f + 1 this is the familiar 2f + 1. For other n, 2f + 1 is NOT a safe quorum:
 * with n = 6 (f = 1) two disjoint sets of 3 could certify conflicting blocks.
 * n = 1: q = 1; 2: 2; 3: 3; 4: 3; 5: 4; 6: 5; 7: 5; 10: 7.
 *
 * This is the one definition: the consensus core re-exports it (src/consensus/types.ts).
 */

/** The number of Byzantine validators tolerated: floor((n - 1) / 3). */
export function faultTolerance(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`validator count must be >= 1, got ${n}`);
  return Math.floor((n - 1) / 3);
}

/** The votes a certificate needs: n - f, which is 2f + 1 when n = 3f + 1. */
export function quorumSize(n: number): number {
  return n - faultTolerance(n);
}
