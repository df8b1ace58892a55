/**
 * `npm start`: a local devnet of `ledger node` child processes on 127.0.0.1. By default the
 * 4 validators of genesis/devnet.json (test-only keys in genesis/devnet-keys, passphrase
 * `devnet`), data under ./data/devnet/v<i>, p2p ports 7000+i, APIs and explorer on 8080+i,
 * node 0's Ethereum JSON-RPC on 8545 (the port Ethereum tools try first).
 *
 * The terminal shows one block of where things are, then a progress line every few
 * seconds; the nodes' logs go to DATA/logs/v<i>.log as readable lines (and to the terminal
 * with --verbose). A validator that exits on its own is reported with the tail of its log
 * and started again with backoff; the others keep running. Ctrl-C (or SIGTERM) stops every
 * node and waits for them; the next start resumes the same chain, `--reset` starts over.
 * `--help` lists the flags (scripts/devnet/args.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DevnetArgs, DevnetUsageError, parseDevnetArgs, USAGE } from './devnet/args.js';
import {
  committedGenesis,
  type DevnetGenesis,
  DevnetGenesisError,
  throwawayGenesis,
} from './devnet/genesis.js';
import { launcherNodeFlags } from './devnet/launcher-flags.js';
import { DEVNET_PASSPHRASE } from './devnet/options.js';
import { firstPortInUse } from './devnet/ports.js';
import { ProgressMonitor } from './devnet/progress.js';
import { type ExitReport, ValidatorProcess } from './devnet/validator-process.js';

/** A file the launcher writes into its data directory, so that `--reset` never deletes a folder it did not make. */
const MARKER_FILE = 'devnet-data.json';

/** What to tell the user when a validator refuses to start for a reason a restart cannot cure. */
const REFUSAL_HINTS: Record<string, string> = {
  UNSUPPORTED_FORMAT: 'the data was written by an older version: `npm start -- --reset` starts over',
  DATA_DIR_MISMATCH: 'the data directory holds another chain: `npm start -- --reset` starts over',
  DATA_DIR_LOCKED: 'another devnet is running on this data directory: stop it first',
  PORT_IN_USE: 'a port is taken (another devnet?): stop it, or choose other ports with --base-port P',
};

/** The project folder: the nearest parent holding package.json, wherever this file was compiled to. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('devnet: no package.json above the script');
    dir = parent;
  }
  return dir;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : `./${rel}`;
}

/**
 * Refuses a `--data` directory that holds something else than a devnet's data: the
 * launcher writes into it and `--reset` deletes it. The default directories are the
 * launcher's own (older versions wrote no marker there).
 */
async function checkDataDir(dir: string, isDefault: boolean): Promise<void> {
  if (isDefault || !existsSync(dir)) return;
  const entries = await readdir(dir);
  if (entries.length > 0 && !entries.includes(MARKER_FILE))
    throw new DevnetUsageError(
      `${dir} is not empty and not a devnet data directory (no ${MARKER_FILE} in it)`,
      false,
    );
}

async function prepare(args: DevnetArgs, root: string): Promise<{ dataDir: string; genesis: DevnetGenesis }> {
  const defaultDir = join(
    root,
    'data',
    args.validators === undefined ? 'devnet' : `devnet-${args.validators}`,
  );
  const dataDir = args.dataDir ?? defaultDir;
  await checkDataDir(dataDir, dataDir === defaultDir);
  // Before --reset deletes anything: a devnet still running on these ports may be using it.
  const validatorCount = args.validators ?? (await committedGenesis(root)).validators.length;
  const taken = await firstPortInUse(args.ports, validatorCount);
  if (taken !== undefined)
    throw new DevnetUsageError(
      `port ${taken.port} (${taken.use}) is in use: another devnet? Stop it, or choose other ports with --base-port P`,
      false,
    );
  if (args.reset) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const ledgerBin = join(root, 'bin/ledger.js');
  const genesis =
    args.validators === undefined
      ? await committedGenesis(root)
      : await throwawayGenesis(ledgerBin, join(dataDir, 'genesis'), args.validators);
  await writeFile(
    join(dataDir, MARKER_FILE),
    `${JSON.stringify({ genesis: genesis.genesisPath, validators: genesis.validators.length }, null, 2)}\n`,
  );
  return { dataDir, genesis };
}

function startBlock(args: DevnetArgs, dataDir: string, genesis: DevnetGenesis, resumed: boolean): string {
  const n = genesis.validators.length;
  const api = (i: number) => `http://127.0.0.1:${args.ports.api(i)}`;
  const nodeUrl = api(0);
  const env: string[] = [];
  if (nodeUrl !== 'http://127.0.0.1:8080') env.push(`LEDGER_NODE=${nodeUrl}`);
  const walletFlags = genesis.committed ? '' : ` --genesis ${shown(genesis.genesisPath)}`;
  const faucetFlags = genesis.committed ? '' : ` --faucet ${shown(genesis.faucetKeyPath)}`;
  // The same devnet again: the flags that chose it, without the ones that reset it.
  const flags = process.argv
    .slice(2)
    .filter((a) => a !== '--reset' && a !== '--fresh')
    .map((a) => (/^[\w./:=@+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`));
  const again = flags.length > 0 ? `npm start -- ${flags.join(' ')}` : 'npm start';
  const wallet = (command: string, extra = '') => `  npm run wallet -- ${command}${walletFlags}${extra}`;
  return [
    `devnet: ${n} validators of ${shown(genesis.genesisPath)}, ${resumed ? 'resuming the chain in' : 'a new chain in'} ${shown(dataDir)}`,
    `  explorer   ${nodeUrl}   (API /api/v1; validators v1-v${n - 1}: ports ${args.ports.api(1)}-${args.ports.api(n - 1)})`,
    `  JSON-RPC   http://127.0.0.1:${args.ports.rpc}   chain id ${genesis.chainId}`,
    `  faucet     ${genesis.faucetAddress}   key ${shown(genesis.faucetKeyPath)}, passphrase ${DEVNET_PASSPHRASE} (TEST-ONLY)`,
    `  logs       ${shown(join(dataDir, 'logs'))}/v<i>.log${args.verbose ? '' : '   (--verbose shows them here too)'}`,
    'try next:',
    `  export LEDGER_KEYSTORE=./my-key.json${env.map((e) => ` ${e}`).join('')}`,
    wallet('new'),
    wallet('faucet', `${faucetFlags} --value 100`),
    wallet('send', ` --to ${genesis.faucetAddress} --value 1.5`),
    wallet('balance'),
    `Ctrl-C stops the devnet; \`${again}\` resumes this chain, \`${again}${flags.length > 0 ? '' : ' --'} --reset\` starts over.`,
    '',
  ].join('\n');
}

function exitReportText(report: ExitReport, dataDir: string): string {
  const head = `devnet: ${report.name} exited (${report.how})`;
  const tail = report.tail.map((line) => `  | ${line}`).join('\n');
  const next =
    report.fatalCode !== undefined
      ? `devnet: ${report.name} refused to start (${report.fatalCode}): ${REFUSAL_HINTS[report.fatalCode] ?? 'see its log'}; stopping the devnet`
      : `devnet: restarting ${report.name} in ${(report.restartInMs ?? 0) / 1000} s (log: ${shown(join(dataDir, 'logs', `${report.name}.log`))})`;
  return `${head}; its last log lines:\n${tail}\n${next}\n`;
}

/** The exit code when the devnet did not start; undefined once it runs. */
async function main(): Promise<number | undefined> {
  const root = projectRoot();
  let args: DevnetArgs;
  let dataDir: string;
  let genesis: DevnetGenesis;
  try {
    args = parseDevnetArgs(process.argv.slice(2), process.cwd());
    if (args.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    ({ dataDir, genesis } = await prepare(args, root));
  } catch (err) {
    if (err instanceof DevnetUsageError || err instanceof DevnetGenesisError) {
      process.stderr.write(`devnet: ${err.message}\n`);
      if (err instanceof DevnetUsageError && err.showUsage) process.stderr.write(USAGE);
      return 2;
    }
    throw err;
  }

  const resumed = existsSync(join(dataDir, 'v0'));
  const p2p = (i: number) => `/ip4/127.0.0.1/tcp/${args.ports.p2p(i)}`;
  const notes = new Map<number, string>();
  let stopping = false;
  let progressTimer: NodeJS.Timeout | undefined;
  const validators: ValidatorProcess[] = [];

  const stopAll = async (code: number): Promise<void> => {
    // A Ctrl-C reaches the launcher more than once (from the terminal and relayed by tsx or npm).
    if (stopping) return;
    stopping = true;
    clearInterval(progressTimer);
    process.stdout.write('devnet: stopping every validator\n');
    await Promise.all(validators.map((v) => v.stop()));
    process.stdout.write('devnet: stopped\n');
    process.exit(code);
  };

  genesis.validators.forEach((v, i) => {
    const bootstrap = genesis.validators.flatMap((w, j) =>
      j === i ? [] : ['--bootstrap', `${p2p(j)}/p2p/${w.peerId}`],
    );
    const nodeArgs = [
      ...launcherNodeFlags(join(root, 'bin/ledger.js')),
      join(root, 'bin/ledger.js'),
      'node',
      '--genesis',
      genesis.genesisPath,
      '--key',
      v.keyPath,
      '--data',
      join(dataDir, `v${i}`),
      '--listen',
      p2p(i),
      ...bootstrap,
      '--api-port',
      String(args.ports.api(i)),
      ...(i === 0 ? ['--rpc-port', String(args.ports.rpc)] : []),
    ];
    const validator = new ValidatorProcess(
      {
        index: i,
        name: `v${i}`,
        args: nodeArgs,
        env: { ...process.env, LEDGER_PASSPHRASE: DEVNET_PASSPHRASE },
        logPath: join(dataDir, 'logs', `v${i}.log`),
      },
      {
        onLine: (index, line) => {
          if (args.verbose) process.stdout.write(`[v${index}] ${line}\n`);
        },
        onStart: (index, pid, restarts) => {
          notes.set(index, 'starting');
          if (restarts > 0) process.stdout.write(`devnet: v${index} started again (pid ${pid})\n`);
        },
        onExit: (report) => {
          if (stopping) return;
          process.stderr.write(exitReportText(report, dataDir));
          if (report.fatalCode !== undefined) void stopAll(1);
          else notes.set(report.index, 'restarting');
        },
      },
    );
    validators.push(validator);
  });

  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGHUP', () => void stopAll(0));
  // A launcher that died of its own bug would leave the nodes running with nobody to stop them.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`devnet: internal error: ${err.message}\n`);
    void stopAll(1);
  });
  process.stdout.write(startBlock(args, dataDir, genesis, resumed));
  for (const v of validators) v.start();

  const monitor = new ProgressMonitor(
    validators.map((v, i) => ({ name: v.spec.name, apiUrl: `http://127.0.0.1:${args.ports.api(i)}` })),
  );
  let polling = false;
  progressTimer = setInterval(() => {
    // One poll at a time: nodes slow to answer must not pile requests up.
    if (polling || stopping) return;
    polling = true;
    monitor
      .line(Date.now(), notes)
      .then(({ text }) => {
        if (!stopping) process.stdout.write(`${text}\n`);
      })
      .finally(() => {
        polling = false;
      });
  }, args.progressIntervalMs);
  // Runs on until a signal or a fatal refusal calls stopAll, which exits the process.
  return undefined;
}

const exitCode = await main();
if (exitCode !== undefined) process.exitCode = exitCode;
