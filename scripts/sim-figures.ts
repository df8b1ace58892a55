/**
 * Consensus figures from the deterministic simulator (docs/PROTOCOL.md, "Figures").
 *   npx tsx scripts/sim-figures.ts [--seeds 4] [--rounds 1000]
 * 1. Happy path: proposal-to-commit latency in message delays (every link a fixed delay,
 *    no jitter), and messages per committed block at n = 4 and n = 100 (jittered links).
 * 2. A leader crash at n = 4: virtual time from the crash of the next leader to the next
 *    commit, and the share of the first `rounds` rounds that commit no block (lost to
 *    timeouts) with one validator of 4 down from the start, with and without reputation.
 * Every run is seeded, so the figures are exact for a given commit. The last line is JSON.
 */
import { parseArgs } from 'node:util';
import { scenarioConfig } from '../test/sim/scenarios.js';
import { type SimConfig, type SimResult, Simulation } from '../test/sim/simulator.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '1000' },
  },
});
const seedCount = Number(values.seeds);
const roundsJudged = Number(values.rounds);
const seeds = Array.from({ length: seedCount }, (_, i) => 7000 + i);
const started = Date.now();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const round2 = (x: number) => Math.round(x * 100) / 100;

function run(cfg: SimConfig): SimResult {
  const r = new Simulation(cfg).run();
  if (r.violations.length > 0) {
    throw new Error(`violations in ${cfg.scenario} seed ${cfg.seed}: ${r.violations.join('; ')}`);
  }
  return r;
}

// ---- 1a. latency in message delays (fixed delay per link, no jitter)
const delayMs = 100;
function latency(n: number) {
  const firsts: number[] = [];
  const alls: number[] = [];
  for (const seed of seeds) {
    const cfg = scenarioConfig('happy', seed, n);
    cfg.fixedDelayMs = delayMs;
    cfg.baseRoundTimeoutMs = 20 * delayMs; // no round times out on a fixed 100 ms link
    cfg.targetHeight = 40;
    const r = run(cfg);
    // skip the first blocks (start-up) and the last (their successors were cut off)
    for (const b of r.chain.filter((c) => c.height > 5 && c.height < r.minHonestHeight - 5)) {
      firsts.push((b.firstCommitAtMs - b.proposedAtMs) / delayMs);
      alls.push((b.lastCommitAtMs - b.proposedAtMs) / delayMs);
    }
  }
  // local work (payload build/validate 0.5 ms, safety writes 0.2-2 ms) adds a fraction
  return { firstCommitDelays: round2(median(firsts)), allCommittedDelays: round2(median(alls)) };
}

// ---- 1b. messages per committed block (jittered links)
function messagesPerBlock(n: number, height: number) {
  const cfg = scenarioConfig('happy', seeds[0], n);
  cfg.targetHeight = height;
  const r = run(cfg);
  return {
    n,
    blocks: r.minHonestHeight,
    messages: r.messages,
    perBlock: round2(r.messages / r.minHonestHeight),
  };
}

// ---- 2a. time from the crash of the next leader to the next commit
function crashRecovery() {
  const gaps: number[] = [];
  const steady: number[] = [];
  for (const seed of seeds) {
    const cfg = scenarioConfig('happy', seed, 4);
    cfg.crashNextLeaderAtMs = 2000 + (seed % 7) * 13;
    cfg.durationMs = 8000;
    const r = run(cfg);
    const at = cfg.crashNextLeaderAtMs;
    const times = r.chain.map((c) => c.firstCommitAtMs);
    const next = times.find((t) => t > at);
    if (next === undefined) throw new Error(`no commit after the crash, seed ${seed}`);
    gaps.push(next - at);
    const before = times.filter((t) => t > 500 && t <= at);
    for (let i = 1; i < before.length; i++) steady.push(before[i] - before[i - 1]);
  }
  return {
    baseRoundTimeoutMs: scenarioConfig('happy', 0, 4).baseRoundTimeoutMs,
    medianMsToNextCommit: round2(median(gaps)),
    maxMsToNextCommit: round2(Math.max(...gaps)),
    medianMsBetweenCommitsBefore: round2(median(steady)),
  };
}

// ---- 2b. rounds lost over `roundsJudged` rounds with one of 4 validators down from t = 0
function roundsLost(reputation: boolean) {
  const shares: number[] = [];
  const warmUp: number[] = [];
  for (const [k, seed] of seeds.entries()) {
    const cfg = scenarioConfig('happy', seed, 4);
    cfg.reputation = reputation;
    cfg.permanentCrashes = [k % 4];
    cfg.permanentCrashAtMs = 0;
    cfg.durationMs = 10_000_000;
    cfg.targetHeight = roundsJudged + 20;
    const r = run(cfg);
    if (r.maxRound < roundsJudged) throw new Error(`only ${r.maxRound} rounds, seed ${seed}`);
    const committed = r.chain.filter((c) => c.round >= 1 && c.round <= roundsJudged).length;
    shares.push(1 - committed / roundsJudged);
    // of which in the first 100 rounds (reputation needs a window of committed blocks)
    warmUp.push(100 - r.chain.filter((c) => c.round >= 1 && c.round <= 100).length);
  }
  return {
    meanShareLost: round2(shares.reduce((a, b) => a + b, 0) / shares.length),
    maxShareLost: round2(Math.max(...shares)),
    perSeed: shares.map((x) => Math.round(x * 1000) / 1000),
    lostInFirst100Rounds: warmUp,
  };
}

const figures = {
  seeds,
  latencyMessageDelays: { n4: latency(4), n100: latency(100) },
  messagesPerBlock: [messagesPerBlock(4, 500), messagesPerBlock(100, 300)],
  leaderCrash: crashRecovery(),
  roundsLost: {
    rounds: roundsJudged,
    crashed: '1 of 4, from t = 0',
    withReputation: roundsLost(true),
    withoutReputation: roundsLost(false),
  },
  wallSeconds: Math.round((Date.now() - started) / 1000),
};
console.log(JSON.stringify(figures));
