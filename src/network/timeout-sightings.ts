/**
 * The distinct timeouts the gate has accepted per signer and round. An honest validator
 * signs one timeout per round and repeats those same bytes; after a restart inside a round
 * it timed out in, it signs once more, with a high QC at least as high (src/consensus,
 * `localTimeout`). A validator's key can sign any number of timeouts for one round, though
 * (one per genuine QC below the round, and each may carry any genuine high TC outside its
 * signature), and each distinct encoding is new to gossipsub's seen-cache: without a bound
 * every honest node would verify and forward all of them. The gate accepts up to
 * `perSignerRound` distinct timeouts of a signer for a round; identical bytes seen again
 * stay accepted (gossip and direct repeats), and any other is ignored, not punished, since
 * an honest peer may have forwarded the ones it saw first.
 *
 * Only timeouts whose signature verified are counted, so no one can use up an honest
 * signer's allowance. Rounds are kept from the gate's round window only: at most `maxRounds`
 * of them, the lowest dropped first.
 */
export interface TimeoutSightings {
  /**
   * Records a verified timeout's encoding (`key`, a digest of its bytes); 'over' when the
   * signer already has `perSignerRound` other timeouts for `round`.
   */
  admit(signer: number, round: number, key: string): 'new' | 'known' | 'over';
  /** Rounds held now (tests, metrics). */
  readonly rounds: number;
}

/** Two: the timeout a validator signed, and the one it signs again after a restart. */
export const TIMEOUTS_PER_SIGNER_ROUND = 2;

export function timeoutSightings(
  maxRounds: number,
  perSignerRound = TIMEOUTS_PER_SIGNER_ROUND,
): TimeoutSightings {
  if (!Number.isSafeInteger(maxRounds) || maxRounds < 1)
    throw new RangeError(`timeout sightings: maxRounds must be a positive integer, got ${maxRounds}`);
  const byRound = new Map<number, Map<number, string[]>>();
  return {
    admit(signer, round, key) {
      let signers = byRound.get(round);
      if (!signers) {
        if (byRound.size >= maxRounds) {
          const lowest = Math.min(...byRound.keys());
          // below every round held: counting it would need a round held now, so it is refused
          if (round < lowest) return 'over';
          byRound.delete(lowest);
        }
        signers = new Map();
        byRound.set(round, signers);
      }
      const keys = signers.get(signer) ?? [];
      if (keys.includes(key)) return 'known';
      if (keys.length >= perSignerRound) return 'over';
      keys.push(key);
      signers.set(signer, keys);
      return 'new';
    },
    get rounds() {
      return byRound.size;
    },
  };
}
