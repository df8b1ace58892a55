/**
 * Leader choice: round-robin plus leader reputation (docs/PROTOCOL.md, "Leaders").
 * A pure function of the round and the committed history, so every honest node that has
 * committed the same blocks, up to round - lagRounds and since the first block of H, and
 * agrees on whether anything was committed in the last staleAfterRounds rounds, computes
 * the same leader.
 *
 *   X = round - lagRounds; H = the last windowBlocks committed blocks with round <= X
 *   A = validators that proposed a block of H or signed the QC in a header of H
 *   if reputation is off, |H| < windowBlocks, the newest committed block is more than
 *   staleAfterRounds rounds older than round [L2], a block from the first of H to the newest
 *   was committed more than lateCommitRounds rounds after its own round [L3], or A has
 *   fewer than n - f or all n members:                      leader = round mod n
 *   else with E = validators not in A (sorted):
 *     round mod probationPeriodRounds == 0:  leader = E[floor(round / period) mod |E|]
 *     otherwise:                             leader = A[round mod |A|]
 * Exclusion is capped at f validators, so at least f + 1 honest ones stay in A, and every
 * excluded validator gets a probation round to prove it is back.
 *
 * Why the staleness fallback [L2]: A is learned from commits, and commits need three live
 * leaders in a row (2-chain). A can be wrong: a live but slow validator whose votes never
 * make the first 2f + 1 is left out, and a validator that crashes since stays in. With
 * n = 4 that leaves A = {live, live, dead}, a period of 3 with no three live leaders in a
 * row: nothing commits, so A never changes (an e2e run stalled like this for good). With
 * at most f of n = 3f + 1 validators down, round-robin always has a run of three live
 * leaders, so falling back to it once commits have stopped restores liveness; its commits
 * then teach A who is really up. Staleness is measured from the newest commit, not from X:
 * the fallback then starts staleAfterRounds rounds into a stall instead of lagRounds more.
 * In a stall every node has the same commits, so all agree on it; at its edges a node
 * that has not yet applied the commit everyone else has may pick another leader for a
 * round, which costs that round, never safety.
 *
 * Why [L3]: [L2] alone gives the stalled network one commit (of the blocks certified in
 * the stall), and that commit turns the learned schedule back on, with an H from before
 * the stall that still counts the crashed validator: the network stalls again for
 * staleAfterRounds rounds, commits once, and so on, until windowBlocks blocks from after
 * the crash have pushed the old ones out of H. A stall leaves its mark in the committed
 * history: blocks committed more than lateCommitRounds rounds after their own round (one
 * certified as the stall began waits for the fallback's first 2-chain, staleAfterRounds - 1
 * rounds). So round-robin stays on while H or a block after it bears that mark; H is then
 * learned from blocks committed on time, under round-robin, by the validators that are up.
 * Round-robin itself commits a block at most f + 3 rounds after its round: f dead leaders
 * in a row fail f rounds and orphan the block before them, so the block before that waits
 * for the next 2-chain; lateCommitRounds is above that for every n.
 */
import { type HistoryEntry, maxFaulty } from './types.js';

export interface ReputationConfig {
  enabled: boolean;
  windowBlocks: number;
  lagRounds: number;
  probationPeriodRounds: number;
  /** Round-robin while the newest commit is more than this many rounds old [L2]. */
  staleAfterRounds: number;
  /**
   * Round-robin while H or a block after it was committed more than this many rounds
   * after its own round [L3]: the mark a stall leaves, below staleAfterRounds.
   */
  lateCommitRounds: number;
}

export function defaultReputation(n?: number): ReputationConfig {
  // above the f + 3 rounds round-robin may take to commit a block with f dead leaders in a row
  const lateCommitRounds = Math.max(6, (n === undefined ? 1 : maxFaulty(n)) + 4);
  return {
    enabled: true,
    windowBlocks: 10,
    lagRounds: 20,
    probationPeriodRounds: 100,
    // a block certified at a stall's start is committed staleAfterRounds - 1 rounds later
    // (the fallback's first 2-chain): above lateCommitRounds, so [L3] marks every such stall
    staleAfterRounds: Math.max(10, lateCommitRounds + 4),
    lateCommitRounds,
  };
}

/** Index of the last entry with round <= x in an ascending history, or -1. */
function lastAtOrBelow(history: readonly HistoryEntry[], x: number): number {
  let lo = 0;
  let hi = history.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (history[mid].round <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * [L3] Whether a block of history[from..] was committed more than `late` rounds after its
 * own round. A block is committed by the first 2-chain at or above it: a committed block of
 * the next round certified, whose QC forms in that next round. Commits come in such pairs,
 * so the newest block's certified child of the next round is known to exist, and each
 * older block's commit round is that of the nearest pair above it.
 */
function committedLate(history: readonly HistoryEntry[], from: number, late: number): boolean {
  let commitRound = history[history.length - 1].round + 1;
  for (let i = history.length - 2; i >= from; i--) {
    if (history[i + 1].round === history[i].round + 1) commitRound = history[i + 1].round;
    if (commitRound - history[i].round > late) return true;
  }
  return false;
}

export function leaderForRound(
  round: number,
  n: number,
  history: readonly HistoryEntry[],
  cfg: ReputationConfig,
): number {
  const roundRobin = round % n;
  if (!cfg.enabled) return roundRobin;
  const end = lastAtOrBelow(history, round - cfg.lagRounds);
  if (end + 1 < cfg.windowBlocks) return roundRobin;
  if (round - history[history.length - 1].round > cfg.staleAfterRounds) return roundRobin;
  if (committedLate(history, end - cfg.windowBlocks + 1, cfg.lateCommitRounds)) return roundRobin;
  const seen = new Uint8Array(n);
  for (let i = end - cfg.windowBlocks + 1; i <= end; i++) {
    const e = history[i];
    if (e.proposer >= 0 && e.proposer < n) seen[e.proposer] = 1;
    for (const s of e.signers) if (s >= 0 && s < n) seen[s] = 1;
  }
  const active: number[] = [];
  const excluded: number[] = [];
  for (let v = 0; v < n; v++) (seen[v] ? active : excluded).push(v);
  if (excluded.length === 0 || active.length < n - maxFaulty(n)) return roundRobin;
  if (round % cfg.probationPeriodRounds === 0) {
    return excluded[Math.floor(round / cfg.probationPeriodRounds) % excluded.length];
  }
  return active[round % active.length];
}
