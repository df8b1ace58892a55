/** Options of the chaos soak (`npm run soak`), with their defaults. */

/**
 * A fault the soak can inflict on one validator at a time (faults.ts holds one entry per
 * kind). `partition` needs root and network namespaces (netns.ts); where the machine has
 * neither, the soak reports why and draws from the other kinds.
 */
export type FaultKind = 'kill' | 'stop' | 'partition';
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'stop', 'partition'];

export interface SoakOptions {
  /** Length of the loaded, faulted part of the run. */
  minutes: number;
  /** Seeds every random choice: which fault, which validator, when, how long. */
  seed: number;
  /**
   * Offered load in transfers per second: about half of what this network commits at
   * saturation, as the issue asks. Its four validators share the machine with an observer,
   * the load and the faults, so it saturates well below `npm run bench`'s four validators
   * alone: offered 1,000 tx/s on 2 cores it acknowledged 520-650 tx/s and refused
   * 145,000-190,000 requests as MEMPOOL_FULL (BENCHMARKS.md, chaos soak, sessions 10-16).
   */
  tps: number;
  /** Funded senders the load spreads over (a wallet each). */
  senders: number;
  /**
   * Faults drawn from: dealt from a seeded shuffle holding each kind once, so every kind
   * comes up once in each run of `faults.length` faults, also in a short soak.
   */
  faults: FaultKind[];
  /** The kind of the first fault (a short run that must see one kind starts with it); a seeded draw when unset. */
  firstFault?: FaultKind;
  /** A fault starts this long after the previous one ended: uniform in [min, max]. */
  faultEveryMinMs: number;
  faultEveryMaxMs: number;
  /** A killed validator restarts after a time uniform in [min, max]. */
  killDownMinMs: number;
  killDownMaxMs: number;
  /** A stopped (SIGSTOP) validator continues after a time uniform in [min, max]. */
  stopMinMs: number;
  stopMaxMs: number;
  /** A validator cut off from every other node (its packets dropped) is healed after a time uniform in [min, max]. */
  partitionMinMs: number;
  partitionMaxMs: number;
  /**
   * How often each node's resident set is read from /proc/<pid>/status. The file-backed part
   * swings by tens of MB within a second (lmdb pages mapped by a write, then dropped by the
   * node's upkeep), so the growth fitted over it needs many samples.
   */
  memorySampleMs: number;
  /** Every this many samples, also smaps and the node's heap and malloc gauges (GET /metrics). */
  detailedSampleEvery: number;
  /** How often each node's height is read (the resolution of the longest stall). */
  heightSampleMs: number;
  /** After the load stops, how long every accepted transfer may take to commit on every node. */
  settleTimeoutMs: number;
  /** The genesis round timeout of the throwaway chain. */
  baseRoundTimeoutMs: number;
  /** Node log level (node output is kept in memory, the tail shown when a node dies). */
  logLevel: string;
  /** Where each node's whole output goes (node-<i>.log); none when empty. */
  logDir: string;
  /**
   * The checkout whose bin/ledger.js runs the nodes (default: this one). Another one, e.g.
   * a `git worktree` of a commit, soaks that code while this tree is being edited.
   */
  ledgerRoot: string;
  /** Keep the throwaway chain's directory at the end (its path is in the report). */
  keepData: boolean;
  /**
   * Extra environment for the node processes (e.g. MALLOC_ARENA_MAX=2, or
   * NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2 for heap snapshots).
   */
  nodeEnv: Record<string, string>;
  /** Extra arguments for every `ledger node` (e.g. --malloc-trim-ms=0). */
  nodeArgs: readonly string[];
  /** Progress lines (stderr in the command). */
  log: (line: string) => void;
}

export const DEFAULT_SOAK_OPTIONS: Readonly<
  Omit<SoakOptions, 'log' | 'nodeEnv' | 'nodeArgs' | 'faults' | 'firstFault'>
> = Object.freeze({
  minutes: 30,
  seed: 1,
  tps: 325,
  senders: 500,
  faultEveryMinMs: 15_000,
  faultEveryMaxMs: 30_000,
  killDownMinMs: 5_000,
  killDownMaxMs: 15_000,
  stopMinMs: 10_000,
  stopMaxMs: 20_000,
  partitionMinMs: 10_000,
  partitionMaxMs: 20_000,
  memorySampleMs: 1_000,
  detailedSampleEvery: 5,
  heightSampleMs: 250,
  settleTimeoutMs: 120_000,
  baseRoundTimeoutMs: 400,
  logLevel: 'info',
  logDir: '',
  ledgerRoot: '',
  keepData: false,
});

export function resolveSoakOptions(partial: Partial<SoakOptions>): SoakOptions {
  const options: SoakOptions = {
    ...DEFAULT_SOAK_OPTIONS,
    faults: [...FAULT_KINDS],
    nodeEnv: {},
    nodeArgs: [],
    log: () => {},
    ...partial,
  };
  const positive = [
    'minutes',
    'tps',
    'senders',
    'memorySampleMs',
    'detailedSampleEvery',
    'heightSampleMs',
  ] as const;
  for (const name of positive)
    if (!(Number.isFinite(options[name]) && options[name] > 0)) throw new Error(`--${name} must be above 0`);
  if (!Number.isSafeInteger(options.seed)) throw new Error('--seed must be an integer');
  for (const [min, max] of [
    ['faultEveryMinMs', 'faultEveryMaxMs'],
    ['killDownMinMs', 'killDownMaxMs'],
    ['stopMinMs', 'stopMaxMs'],
    ['partitionMinMs', 'partitionMaxMs'],
  ] as const)
    if (!(options[min] >= 0 && options[max] >= options[min]))
      throw new Error(`${min} must be within 0..${max}`);
  for (const kind of options.faults)
    if (!FAULT_KINDS.includes(kind))
      throw new Error(`unknown fault '${kind}': one of ${FAULT_KINDS.join(', ')}`);
  if (options.firstFault !== undefined && !options.faults.includes(options.firstFault))
    throw new Error(
      `first fault '${options.firstFault}' is not among the faults (${options.faults.join(', ')})`,
    );
  return options;
}
