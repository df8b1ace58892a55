/**
 * The timeouts the gate has accepted, per signer and round. A timeout's signature covers
 * only its round and its high QC's round; the high QC's signer set and the high TC ride
 * outside it, so anyone holding a signed timeout can re-wrap it into other encodings, and
 * a signing key can sign one timeout per genuine QC round below the round. Each distinct
 * encoding is new to gossipsub's seen-cache: without a bound every honest node would verify
 * and forward all of them.
 *
 * So per signer and round the gate accepts at most `perSignerRound` signed contents (high
 * QC rounds). An honest validator signs one per round and repeats those bytes; one that
 * restarts inside a round it timed out in signs again, with a high QC at least as high
 * (src/consensus, `localTimeout`), hence an allowance of three. Of each signed content
 * the first encoding accepted is forwarded, as are repeats of those bytes; any other
 * encoding is used here (it may carry a certificate this node needs) but not forwarded.
 * A re-wrap therefore never takes an honest signer's allowance, nor keeps its own bytes
 * out: they are still used here. Only verified timeouts are recorded, so a check before
 * verification (`hasRoom`) can drop a flood without verifying it.
 *
 * At most `maxRounds` rounds are held, the lowest dropped first; a round below all of
 * them is not tracked, and the gate ignores it (on a node this far behind, such rounds are
 * over anyway).
 */
export type TimeoutSighting =
  /** the first encoding of a signed content, or those same bytes again: forward it */
  | 'forward'
  /** another encoding of a signed content already accepted: use it here, do not forward it */
  | 'local'
  /** the signer already has its allowance of other signed contents for the round */
  | 'over'
  /** a round below every round held */
  | 'untracked';

export interface TimeoutSightings {
  /** Whether a timeout with this signed content could be admitted (call before verifying it). */
  hasRoom(signer: number, round: number, content: string): 'yes' | 'over' | 'untracked';
  /** Records a verified timeout: `content` names what is signed, `encoding` its bytes. */
  admit(signer: number, round: number, content: string, encoding: string): TimeoutSighting;
  /** Rounds held now (tests, metrics). */
  readonly rounds: number;
}

/** The timeout a validator signed, and up to two signed again after restarts in that round. */
export const TIMEOUTS_PER_SIGNER_ROUND = 3;

export function timeoutSightings(
  maxRounds: number,
  perSignerRound = TIMEOUTS_PER_SIGNER_ROUND,
): TimeoutSightings {
  if (!Number.isSafeInteger(maxRounds) || maxRounds < 1)
    throw new RangeError(`timeout sightings: maxRounds must be a positive integer, got ${maxRounds}`);
  if (!Number.isSafeInteger(perSignerRound) || perSignerRound < 1)
    throw new RangeError(
      `timeout sightings: perSignerRound must be a positive integer, got ${perSignerRound}`,
    );
  /** round -> signer -> signed content -> the first encoding accepted */
  const byRound = new Map<number, Map<number, Map<string, string>>>();
  const lowestRound = () => Math.min(...byRound.keys());
  const hasRoom = (signer: number, round: number, content: string): 'yes' | 'over' | 'untracked' => {
    const contents = byRound.get(round)?.get(signer);
    if (contents) return contents.has(content) || contents.size < perSignerRound ? 'yes' : 'over';
    if (!byRound.has(round) && byRound.size >= maxRounds && round < lowestRound()) return 'untracked';
    return 'yes';
  };
  return {
    hasRoom,
    admit(signer, round, content, encoding) {
      const room = hasRoom(signer, round, content);
      if (room !== 'yes') return room;
      let signers = byRound.get(round);
      if (!signers) {
        if (byRound.size >= maxRounds) byRound.delete(lowestRound());
        signers = new Map();
        byRound.set(round, signers);
      }
      let contents = signers.get(signer);
      if (!contents) {
        contents = new Map();
        signers.set(signer, contents);
      }
      const first = contents.get(content);
      if (first === undefined) {
        contents.set(content, encoding);
        return 'forward';
      }
      return first === encoding ? 'forward' : 'local';
    },
    get rounds() {
      return byRound.size;
    },
  };
}
