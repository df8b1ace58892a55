/**
 * The safety rules of the core, as one small component: the voting rule [V1-V2], the commit
 * rule [C1] and what counts of a signer's second message in a round [V1, V5]. The core
 * asks them and does everything else (verification, bookkeeping, persistence) itself.
 *
 * Why a component: the simulator must prove that its checkers catch a broken core, so it
 * needs broken rules; they live under test/ and are handed in through `CoreConfig.rules`.
 * The only implementation in src/ is the correct one below, so the safety path carries no
 * test branches. The calls are plain method calls on a frozen object.
 */
import { maxHighQcRound } from './certificates.js';
import type { TimeoutCertificate } from './types.js';

/** What this validator has signed so far ([S1] safety data). */
export interface SignedRounds {
  lastVotedRound: number;
  highestTimeoutRound: number;
}

/** A block the core is about to vote for, with what its proposal carries. */
export interface VoteCandidate {
  round: number;
  blockId: Uint8Array;
  /** Round of the QC in the block's header (its parent's certificate). */
  qcRound: number;
  /** The TC of round - 1 the proposal carries, when round - 1 failed. */
  tc: TimeoutCertificate | undefined;
}

/**
 * What a newly certified block commits:
 * - `commitParent`: its parent (the certificate is the QC in the block's header);
 * - `fetchParent`: nothing until the parent is known;
 * - `commitCertified`: the certified block itself (never the correct rule);
 * - `none`: nothing.
 */
export type CommitRuling = 'commitParent' | 'fetchParent' | 'commitCertified' | 'none';

/** A signer's second proposal or vote in one round. */
export type RepeatKind = 'proposal' | 'vote';

export interface SafetyRules {
  /** [V1-V2] May this validator vote for `candidate`, given what it has signed? */
  safeToVote(candidate: VoteCandidate, signed: SignedRounds): boolean;
  /**
   * [C1] A block of `certifiedRound` has a QC; `parentRound` is its parent's round, or
   * undefined while the parent is unknown.
   */
  commitRuling(certifiedRound: number, parentRound: number | undefined): CommitRuling;
  /**
   * [V1, V5] A signer's second proposal or vote of a round has arrived (evidence is already
   * reported if it differs from the first; `identical` if it does not): is it processed too?
   */
  processesRepeat(kind: RepeatKind, identical: boolean): boolean;
}

/** The rules of docs/PROTOCOL.md: 2-chain commit, one vote per round, first message counts. */
export const jolteonRules: SafetyRules = Object.freeze({
  safeToVote(candidate: VoteCandidate, signed: SignedRounds): boolean {
    const { round, qcRound, tc } = candidate;
    // [V1] at most one vote per round, and none in a round this validator timed out in
    if (round <= signed.lastVotedRound || round <= signed.highestTimeoutRound) return false;
    // [V2] extend the previous round's QC, or the highest QC a TC of round - 1 reports
    if (round === qcRound + 1) return true;
    return tc !== undefined && round === tc.round + 1 && qcRound >= maxHighQcRound(tc);
  },

  commitRuling(certifiedRound: number, parentRound: number | undefined): CommitRuling {
    if (parentRound === undefined) return 'fetchParent';
    // [C1] a 2-chain of consecutive rounds commits the parent
    return parentRound + 1 === certifiedRound ? 'commitParent' : 'none';
  },

  processesRepeat(): boolean {
    // [V1] a signer's first proposal or vote of a round is the only one that counts
    return false;
  },
});
