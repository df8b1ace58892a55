/**
 * Chaos soak (issue 15): four validators and an observer of a throwaway chain under a
 * continuous wallet load, a seeded random fault on one validator every 15-30 s (kill -9 and
 * restart, SIGSTOP/SIGCONT, and as root a network partition and heal, the nodes then each
 * in a network namespace), then: every acknowledged transfer committed on every node at
 * the same place, equal block hashes and state roots per height, no process dead on its
 * own, the longest stall, every validator voting again after each fault, and each node's
 * memory (RSS, anonymous, file-backed, V8 heap) with its growth after the first third.
 * Progress goes to stderr; the last line printed is one JSON object. Exit code 1 when a
 * check failed.
 *
 *   npm run soak [-- --minutes 30 --seed 1 --tps 325 --senders 500 --faults kill,stop,partition
 *                  --first-fault partition --log-dir DIR --ledger-root DIR --keep-data --malloc-arena-max 2 --heap-snapshot-signal
 *                  --node-env NAME=VALUE ... --node-arg=--malloc-trim-ms=0 ...]
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { removeSoakLeftovers } from './soak/netns.js';
import { type FaultKind, resolveSoakOptions } from './soak/options.js';
import { runSoak } from './soak/run.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seed: { type: 'string' },
    tps: { type: 'string' },
    senders: { type: 'string' },
    /** Comma-separated fault kinds, or `none` for a run under load alone (memory). */
    faults: { type: 'string' },
    /** The kind of the first fault (then a seeded deal of all kinds). */
    'first-fault': { type: 'string' },
    'log-level': { type: 'string' },
    'log-dir': { type: 'string' },
    /** Run the nodes from another checkout (e.g. a git worktree of the commit under test). */
    'ledger-root': { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
    /** MALLOC_ARENA_MAX for the node processes: glibc's arenas are one source of anonymous growth. */
    'malloc-arena-max': { type: 'string' },
    /** Nodes write a heap snapshot (into their working directory) on SIGUSR2. */
    'heap-snapshot-signal': { type: 'boolean', default: false },
    /** More environment for the node processes, NAME=VALUE (e.g. LD_PRELOAD of another malloc). */
    'node-env': { type: 'string', multiple: true },
    /** More arguments for every `ledger node` (e.g. --node-arg=--malloc-trim-ms=0). */
    'node-arg': { type: 'string', multiple: true },
  },
});

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const nodeEnv: Record<string, string> = {};
if (values['malloc-arena-max']) nodeEnv.MALLOC_ARENA_MAX = values['malloc-arena-max'];
if (values['heap-snapshot-signal']) nodeEnv.NODE_OPTIONS = '--heapsnapshot-signal=SIGUSR2';
for (const pair of values['node-env'] ?? []) {
  const at = pair.indexOf('=');
  if (at <= 0) {
    process.stderr.write(`[soak] --node-env takes NAME=VALUE, got '${pair}'\n`);
    process.exit(2);
  }
  nodeEnv[pair.slice(0, at)] = pair.slice(at + 1);
}
if (values['log-dir']) mkdirSync(values['log-dir'], { recursive: true });

// interrupted: the namespaces go now, with the nodes in them (the next soak would remove them otherwise)
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    process.stderr.write(`[soak] ${signal}: removing this soak's network namespaces\n`);
    void removeSoakLeftovers(process.pid).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });

try {
  const options = resolveSoakOptions(
    defined({
      minutes: num(values.minutes),
      seed: num(values.seed),
      tps: num(values.tps),
      senders: num(values.senders),
      faults:
        values.faults === undefined
          ? undefined
          : values.faults === 'none'
            ? []
            : (values.faults.split(',') as FaultKind[]),
      firstFault: values['first-fault'] as FaultKind | undefined,
      logLevel: values['log-level'],
      logDir: values['log-dir'],
      ledgerRoot: values['ledger-root'],
      keepData: values['keep-data'],
      nodeEnv,
      nodeArgs: values['node-arg'] ?? [],
      log: (line: string) => process.stderr.write(`[soak] ${line}\n`),
    }),
  );
  const report = await runSoak(options);
  for (const failure of report.failures) process.stderr.write(`[soak] FAILED: ${failure}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
} catch (err) {
  process.stderr.write(`[soak] ${(err as Error).stack ?? err}\n`);
  process.exitCode = 2;
}
