/**
 * Named schedules of the composed simulator: the consensus simulator's scenarios
 * (test/sim/scenarios.ts, COMPOSED_SCENARIOS) and the hardening attacks (COMPOSED_ATTACKS),
 * each a function of (scenario, seed, n), so `npm run sim -- --composed --scenario X --seed N`
 * replays any run.
 */
import { maxFaulty } from '../../../src/consensus/index.js';
import { DEFAULT_TX_REBROADCAST_MS } from '../../../src/node/index.js';
import { Prng } from '../prng.js';
import { scenarioConfig } from '../scenarios.js';
import {
  COMPOSED_ATTACKS,
  COMPOSED_SCENARIOS,
  type ComposedAttack,
  type ComposedBreak,
  type ComposedConfig,
  isComposedAttack,
} from './composed.js';

/** Every scenario name the composed simulator runs. */
export const COMPOSED_SCENARIO_NAMES: readonly string[] = [...COMPOSED_SCENARIOS, ...COMPOSED_ATTACKS];

export interface ComposedScenarioOptions {
  /** Judge over two liveness bounds after GST instead of three (the tests' shorter runs). */
  short?: boolean;
  broken?: ComposedBreak;
  /** Genesis observers beside the validators (the run is then long enough to drain them). */
  observers?: number;
}

/**
 * How long a run with observers must last: a transfer an observer acknowledged while its
 * gossip was lost (before GST, or while it was cut off) is carried only by its admission's
 * rebroadcast, since an observer never proposes; a pass runs every quarter period, so one
 * is due within 1.25 periods, and then it commits within a liveness bound.
 */
export function observerDrainMs(config: ComposedConfig): number {
  return config.clients.untilMs + 1.25 * DEFAULT_TX_REBROADCAST_MS + config.sim.livenessBoundMs;
}

/**
 * The run a scenario and a seed name. An attack runs on f validators drawn from the seed
 * over the happy schedule (half the seeds add loss and delay before GST); the sync attacks
 * add an honest validator that is down for most of the time before GST, so that it must
 * catch up by block sync while the attackers serve it.
 */
export function composedConfig(
  scenario: string,
  seed: number,
  n?: number,
  options: ComposedScenarioOptions = {},
): ComposedConfig {
  if (!COMPOSED_SCENARIO_NAMES.includes(scenario))
    throw new Error(`unknown composed scenario ${scenario}; one of ${COMPOSED_SCENARIO_NAMES.join(', ')}`);
  const attack = isComposedAttack(scenario) ? scenario : undefined;
  const sim = scenarioConfig(attack ? 'happy' : scenario, seed, n);
  sim.scenario = scenario;
  const config: ComposedConfig = {
    sim,
    clients: { transfers: 120, senders: 12, untilMs: 0 },
    // bounds below the run's totals, so the caps are exercised, not just never reached
    mempool: { maxRecentCommitted: 48, maxRecoveredSenders: 48 },
    ...(options.broken ? { broken: options.broken } : {}),
  };
  // the broken observer wiring needs an observer to break
  const observers = options.observers ?? (options.broken === 'observerSyncUnwired' ? 1 : 0);
  if (observers > 0) config.observers = observers;
  if (attack) scheduleAttack(config, attack, new Prng(seed ^ 0x2545f491));
  sim.durationMs = sim.gstMs + (options.short ? 2 : 3) * sim.livenessBoundMs;
  config.clients.untilMs = Math.max(2000, sim.gstMs);
  if (options.observers) sim.durationMs = Math.max(sim.durationMs, observerDrainMs(config));
  return config;
}

function scheduleAttack(config: ComposedConfig, attack: ComposedAttack, rng: Prng): void {
  const { sim } = config;
  const n = sim.n;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const attackers = order.slice(0, Math.max(1, maxFaulty(n)));
  config.attacks = Object.fromEntries(attackers.map((i) => [i, attack]));
  const syncAttack =
    attack === 'lyingSyncServer' || attack === 'forgedSyncRanges' || attack === 'blockRequestFlood';
  // the sync attacks keep the links clean and the laggard away long enough for the rest to
  // commit many blocks (the first seconds without it are slow, until reputation learns)
  sim.gstMs = syncAttack ? 8000 + rng.int(1000) : 4000 + rng.int(1000);
  if (!syncAttack && rng.chance(0.5)) {
    sim.preGst = {
      lossRate: rng.range(0, 0.1),
      dupRate: rng.range(0, 0.1),
      delayFactor: rng.range(1, 3),
      partitions: false,
    };
  }
  if (syncAttack) {
    const laggard = order[attackers.length];
    config.laggard = {
      index: laggard,
      downAtMs: rng.range(200, 600),
      upAtMs: sim.gstMs - rng.range(800, 1200),
    };
  }
  if (attack === 'nonceGapFill') {
    // a queued share the gapped transfers overfill (GAP_SENDERS x GAPPED_PER_SENDER of them)
    config.mempool = { ...config.mempool, maxQueuedTxs: 32, maxQueuedPerSender: 8 };
  }
}
