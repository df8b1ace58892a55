/**
 * Leader choice: round-robin plus leader reputation (docs/PROTOCOL.md, "Leaders").
 * A pure function of the round and the committed history, so every honest node that has
 * committed the same blocks up to round - lagRounds computes the same leader.
 *
 *   X = round - lagRounds; H = the last windowBlocks committed blocks with round <= X
 *   A = validators that proposed a block of H or signed the QC in a header of H
 *   if reputation is off, |H| < windowBlocks, or A has fewer than n - f or all n
 *   members:                                                leader = round mod n
 *   else with E = validators not in A (sorted):
 *     round mod probationPeriodRounds == 0:  leader = E[floor(round / period) mod |E|]
 *     otherwise:                             leader = A[round mod |A|]
 * Exclusion is capped at f validators, so at least f + 1 honest ones stay in A, and every
 * excluded validator gets a probation round to prove it is back.
 */
import { type HistoryEntry, maxFaulty } from './types.js';

export interface ReputationConfig {
  enabled: boolean;
  windowBlocks: number;
  lagRounds: number;
  probationPeriodRounds: number;
}

export function defaultReputation(_n?: number): ReputationConfig {
  return { enabled: true, windowBlocks: 10, lagRounds: 20, probationPeriodRounds: 100 };
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
