/**
 * Simulator runner.
 *   npx tsx scripts/sim.ts --seed 42 --scenario crash [--n 7]     replay one run, verbose
 *   npx tsx scripts/sim.ts --seeds 10000 [--from 0] [--scenario X] soak: seed i runs
 *       scenario SCENARIOS[i mod k] (or X); exits 1 on any violation; the last line is JSON.
 *   Add --break doubleVote|oneChainCommit to run a core with broken rules (test/sim/broken-rules.ts).
 */
import { isBrokenRuleName } from '../test/sim/broken-rules.js';
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
if (brk !== undefined && !isBrokenRuleName(brk)) {
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
  const scenario = scenarioArg ?? SCENARIOS[seed % SCENARIOS.length];
  const cfg = scenarioConfig(scenario, seed, nArg);
  if (brk !== undefined) cfg.brokenRules = brk;
  const r = new Simulation(cfg).run();
  commits += r.maxHonestHeight;
  messages += r.messages;
  virtualMs += r.virtualMs;
  if (verbose) {
    console.log(
      `seed ${seed} scenario ${scenario} n=${r.n}: height ${r.minHonestHeight}..${r.maxHonestHeight}, ` +
        `round ${r.maxRound}, ${r.messages} messages, ${r.evidence} evidence, ${r.virtualMs.toFixed(0)} virtual ms`,
    );
  }
  if (r.violations.length > 0) {
    violations++;
    failed.push(`${r.replay}${nArg ? ` --n ${nArg}` : ''}${brk ? ` --break ${brk}` : ''}`);
    console.error(`VIOLATION seed ${seed} scenario ${scenario} n=${r.n}`);
    for (const v of r.violations) console.error(`  ${v}`);
    console.error(`  replay: ${r.replay}${nArg ? ` --n ${nArg}` : ''}${brk ? ` --break ${brk}` : ''}`);
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
