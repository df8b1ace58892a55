/**
 * Simulator runner.
 *   npx tsx scripts/sim.ts --seed 42 --scenario crash [--n 7]     replay one run, verbose
 *   npx tsx scripts/sim.ts --seeds 10000 [--from 0] [--scenario X] soak: seed i runs
 *       scenario SCENARIOS[i mod k] (or X); exits 1 on any violation; the last line is JSON.
 *   Add --break doubleVote|oneChainCommit to run a core with broken rules (test/sim/broken-rules.ts).
 *   Add --composed to run the composed node (test/sim/node/composed.ts: the real application,
 *   mempool, admission, gossip gate, assembly and block sync with client transfers), on the
 *   schedules of test/sim/node/scenarios.ts: COMPOSED_SCENARIOS (faults, Byzantine behaviours,
 *   twins) and the hardening attacks COMPOSED_ATTACKS (lyingSyncServer, forgedSyncRanges,
 *   blockRequestFlood, nonceGapFill, farFutureRounds);
 *   its --break names a broken part (COMPOSED_BREAKS): mempoolKeepsCommitted|admissionAcksDropped|
 *   storeLosesTreeWrite|gateLimitsOfOtherGenesis|observerSyncUnwired; --observers K adds K
 *   genesis observers (following the chain by sync, taking client transfers), and the run
 *   lasts long enough for their rebroadcasts to drain.
 */
import { isBrokenRuleName } from '../test/sim/broken-rules.js';
import { ComposedSimulation, isComposedBreak } from '../test/sim/node/composed.js';
import { COMPOSED_SCENARIO_NAMES, composedConfig } from '../test/sim/node/scenarios.js';
import { SCENARIOS, scenarioConfig } from '../test/sim/scenarios.js';
import { Simulation } from '../test/sim/simulator.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seedArg = arg('seed');
const seeds = Number(arg('seeds') ?? (seedArg === undefined ? '100' : '1'));
const from = Number(seedArg ?? arg('from') ?? '0');
const scenarioArg = arg('scenario');
const nArg = arg('n') === undefined ? undefined : Number(arg('n'));
const brk = arg('break');
const composed = process.argv.includes('--composed');
const observers = arg('observers') === undefined ? undefined : Number(arg('observers'));
if (
  observers !== undefined &&
  !(composed && Number.isSafeInteger(observers) && observers >= 0 && observers <= 8)
) {
  console.error('--observers: a whole number from 0 to 8, with --composed');
  process.exit(2);
}
if (composed && brk !== undefined && !isComposedBreak(brk)) {
  console.error(`--break: unknown broken part ${JSON.stringify(brk)} for --composed`);
  process.exit(2);
}
if (!composed && brk !== undefined && !isBrokenRuleName(brk)) {
  console.error(`--break: unknown broken rules ${JSON.stringify(brk)} (doubleVote or oneChainCommit)`);
  process.exit(2);
}
const verbose = seedArg !== undefined;

let violations = 0;
let commits = 0;
let messages = 0;
let virtualMs = 0;
const failed: string[] = [];
const started = Date.now();
for (let k = 0; k < seeds; k++) {
  const seed = from + k;
  const scenarios: readonly string[] = composed ? COMPOSED_SCENARIO_NAMES : SCENARIOS;
  const scenario = scenarioArg ?? scenarios[seed % scenarios.length];
  let r: Awaited<ReturnType<ComposedSimulation['run']>> | ReturnType<Simulation['run']>;
  if (composed) {
    const broken = brk !== undefined && isComposedBreak(brk) ? brk : undefined;
    r = await new ComposedSimulation(
      composedConfig(scenario, seed, nArg, {
        ...(broken ? { broken } : {}),
        ...(observers ? { observers } : {}),
      }),
    ).run();
  } else {
    const cfg = scenarioConfig(scenario, seed, nArg);
    if (brk !== undefined && isBrokenRuleName(brk)) cfg.brokenRules = brk;
    r = new Simulation(cfg).run();
  }
  // the composed result's replay names --n, --break and --observers itself
  const replay = composed
    ? r.replay
    : `${r.replay}${nArg ? ` --n ${nArg}` : ''}${brk ? ` --break ${brk}` : ''}`;
  commits += r.maxHonestHeight;
  messages += r.messages;
  virtualMs += r.virtualMs;
  if (verbose) {
    console.log(
      `seed ${seed} scenario ${scenario} n=${r.n}: height ${r.minHonestHeight}..${r.maxHonestHeight}, ` +
        ('maxRound' in r
          ? `round ${r.maxRound}, ${r.evidence} evidence, `
          : `${r.committed}/${r.acknowledged} acknowledged transfers committed, `) +
        `${r.messages} messages, ${r.virtualMs.toFixed(0)} virtual ms`,
    );
  }
  if (r.violations.length > 0) {
    violations++;
    failed.push(replay);
    console.error(`VIOLATION seed ${seed} scenario ${scenario} n=${r.n}`);
    for (const v of r.violations) console.error(`  ${v}`);
    console.error(`  replay: ${replay}`);
  } else if (!verbose && (k + 1) % 100 === 0) {
    console.error(
      `${k + 1}/${seeds} seeds, ${violations} violations, ${((Date.now() - started) / 1000).toFixed(0)}s`,
    );
  }
}
console.log(
  JSON.stringify({
    seeds,
    from,
    scenario: scenarioArg ?? 'all',
    violations,
    commits,
    messages,
    virtualSeconds: Math.round(virtualMs / 1000),
    wallSeconds: Math.round((Date.now() - started) / 1000),
    failed: failed.slice(0, 10),
  }),
);
process.exit(violations > 0 ? 1 : 0);
