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
 *   staleAfterRounds rounds older than round [L2], a block of H was the newest committed
 *   one before a gap of stallGapRounds or more between commits [L3], or A has fewer than
 *   n - f or all n members:                                  leader = round mod n
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
 * history, where every node reads the same: two commits far apart in rounds (a 2-chain
 * commits the lower block and all below it, so the commits' targets follow from the chain).
 * So round-robin stays on while H holds a block from before such a gap; H is then learned
 * from the blocks committed since, which the validators that are up proposed and signed.
 * Round-robin itself commits at least once per cycle of n rounds (f dead leave a run of
 * three live leaders in it), so its commits lie at most n rounds apart: stallGapRounds is
 * above that. A stall [L2] ends has commits staleAfterRounds - 1 rounds apart or more (the
 * fallback's first round can complete a 2-chain of the two rounds before it): stallGapRounds
 * is at most that while n < staleAfterRounds - 1; for larger n [L3] marks longer stalls only.
 * Like [L2], [L3] reads commits newer than X: the node that applies a commit first (the
 * next leader, which formed its QC) may pick another leader for a round than the others.
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
   * Two commits this many rounds apart or more mark a stall: round-robin while H holds a
   * block committed before one [L3]. Above the n rounds round-robin may take between
   * commits and, for n up to staleAfterRounds - 2, not above the gap of a stall [L2] ended.
   */
  stallGapRounds: number;
}

export function defaultReputation(n?: number): ReputationConfig {
  const staleAfterRounds = 10;
  return {
    enabled: true,
    windowBlocks: 10,
    lagRounds: 20,
    probationPeriodRounds: 100,
    staleAfterRounds,
    stallGapRounds: Math.max(staleAfterRounds - 1, (n ?? 0) + 1),
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
 * [L3] Whether a block of history[from..] was the newest committed one when a stall began:
 * the next commit came `gap` rounds after it or later. A commit's target is the lower block
 * of a 2-chain, a committed block followed by one of the next round, and every block below
 * it is committed with it; so the targets are those blocks and the newest one, and each was
 * the newest committed block until the next.
 */
function stallAfter(history: readonly HistoryEntry[], from: number, gap: number): boolean {
  let nextTarget = history[history.length - 1].round;
  for (let i = history.length - 2; i >= from; i--) {
    if (history[i + 1].round !== history[i].round + 1) continue;
    if (nextTarget - history[i].round >= gap) return true;
    nextTarget = history[i].round;
  }
  return false;
}

/**
 * How many blocks of an ascending committed history a validator had committed when it
 * entered `round`. A block of round r is committed once the QC of its child of round r + 1
 * forms, which starts round r + 2, and the blocks below it with it: so the blocks up to the
 * last one of round <= round - 2 whose child is of the next round (a block certified in a
 * stall is committed only with the 2-chain that ends it); the newest block of the history
 * had such a child.
 */
export function committedInRound(history: readonly HistoryEntry[], round: number): number {
  let count = lastAtOrBelow(history, round - 2) + 1;
  while (count > 0 && count < history.length && history[count].round !== history[count - 1].round + 1)
    count--;
  return count;
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
  if (stallAfter(history, end - cfg.windowBlocks + 1, cfg.stallGapRounds)) return roundRobin;
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
