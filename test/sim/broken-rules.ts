/**
 * Deliberately broken safety rules, handed to the core through `CoreConfig.rules`, only to
 * prove that the simulator's checkers catch a broken core (test/sim/sim.test.ts, "the
 * checkers catch broken cores"; `scripts/sim.ts --break NAME`). Each one replaces a rule of
 * the correct `jolteonRules` (src/consensus/rules.ts) and keeps the others.
 */
import {
  type CommitRuling,
  jolteonRules,
  type RepeatKind,
  type SafetyRules,
  type SignedRounds,
  type VoteCandidate,
} from '../../src/consensus/index.js';

export const BROKEN_RULES = ['doubleVote', 'oneChainCommit'] as const;
export type BrokenRuleName = (typeof BROKEN_RULES)[number];

export function isBrokenRuleName(name: string): name is BrokenRuleName {
  return (BROKEN_RULES as readonly string[]).includes(name);
}

/**
 * `doubleVote`: breaks [V1]. Votes again in a round it already voted or timed out in (once
 * per distinct block), and processes a signer's second proposal or vote of a round as if
 * it were the first. Keeps state (the blocks it voted for in the current round), so each
 * core needs its own instance.
 */
/** Nothing signed yet (rounds start at 1): `jolteonRules.safeToVote` then judges [V2] alone. */
const nothingSigned: SignedRounds = { lastVotedRound: 0, highestTimeoutRound: 0 };

function doubleVoteRules(): SafetyRules {
  let votedRound = -1;
  const votedBlocks = new Set<string>();
  return {
    safeToVote(candidate: VoteCandidate, _signed: SignedRounds): boolean {
      // [V2] still holds: judged as if nothing were signed, [V1] drops out
      if (!jolteonRules.safeToVote(candidate, nothingSigned)) return false;
      // The core votes only in its current round, so earlier rounds' blocks can go.
      if (candidate.round !== votedRound) {
        votedRound = candidate.round;
        votedBlocks.clear();
      }
      const block = Buffer.from(candidate.blockId).toString('hex');
      if (votedBlocks.has(block)) return false;
      votedBlocks.add(block);
      return true;
    },
    commitRuling: (certifiedRound, parentRound) => jolteonRules.commitRuling(certifiedRound, parentRound),
    processesRepeat(kind: RepeatKind, identical: boolean): boolean {
      // an identical proposal adds nothing; a second, different one is voted on too
      return kind === 'vote' || !identical;
    },
  };
}

/** `oneChainCommit`: breaks [C1]. Commits a block as soon as it is certified (1-chain). */
function oneChainCommitRules(): SafetyRules {
  return {
    safeToVote: (candidate, signed) => jolteonRules.safeToVote(candidate, signed),
    commitRuling(): CommitRuling {
      return 'commitCertified';
    },
    processesRepeat: (kind, identical) => jolteonRules.processesRepeat(kind, identical),
  };
}

/** A fresh instance of the named broken rules (one per core: some keep state). */
export function brokenRules(name: BrokenRuleName): SafetyRules {
  return name === 'doubleVote' ? doubleVoteRules() : oneChainCommitRules();
}
