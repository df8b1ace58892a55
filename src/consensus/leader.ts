/**
 * Leader choice: round-robin plus leader reputation (docs/PROTOCOL.md, "Leaders").
 * A pure function of the round and the committed history, so every honest node that has
 * committed the same blocks up to round - lagRounds, and agrees on whether anything was
 * committed in the last staleAfterRounds rounds, computes the same leader.
 *
 *   X = round - lagRounds; H = the last windowBlocks committed blocks with round <= X
 *   A = validators that proposed a block of H or signed the QC in a header of H
 *   if reputation is off, |H| < windowBlocks, the newest committed block is more than
 *   staleAfterRounds rounds older than round, or A has fewer than n - f or all n
 *   members:                                                leader = round mod n
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
 */
import { type HistoryEntry, maxFaulty } from './types.js';

export interface ReputationConfig {
  enabled: boolean;
  windowBlocks: number;
  lagRounds: number;
  probationPeriodRounds: number;
  /** Round-robin while the newest commit is more than this many rounds old [L2]. */
  staleAfterRounds: number;
}

export function defaultReputation(_n?: number): ReputationConfig {
  return { enabled: true, windowBlocks: 10, lagRounds: 20, probationPeriodRounds: 100, staleAfterRounds: 10 };
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
