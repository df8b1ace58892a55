/**
 * Start-up time of one `ledger node`: from spawning `node bin/ledger.js node ...` until its
 * API answers GET /api/v1/status with 200. Runs validator 0 of genesis/devnet.json alone
 * (it answers status without peers) on a fresh temp data directory, several times, and
 * prints every run and the median. The same command before and after a change to the
 * launcher (tsx at run time vs compiled JavaScript) compares the two.
 *
 *   npx tsx scripts/startup-time.ts [--runs N] [--bin PATH]
 *
 * --runs defaults to 5; --bin (default bin/ledger.js) times another launcher of the same
 * CLI, e.g. a copy of the tsx launcher, so both can be timed back to back on one machine.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(import.meta.dirname, '..');
const DEFAULT_RUNS = 5;
const POLL_INTERVAL_MS = 10;
const START_TIMEOUT_MS = 60_000;

/** A port the OS reports free right now (the node binds it moments later). */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? ok(address.port) : fail()));
    });
  });
}

async function answersStatus(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function oneStart(bin: string): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ledger-startup-'));
  const apiPort = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      'node',
      '--genesis',
      join(ROOT, 'genesis/devnet.json'),
      '--key',
      join(ROOT, 'genesis/devnet-keys/validator-0.json'),
      '--data',
      dataDir,
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--api-port',
      String(apiPort),
    ],
    { cwd: ROOT, env: { ...process.env, LEDGER_PASSPHRASE: 'devnet' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((ok) =>
    child.once('exit', (code) => {
      exitCode = code;
      ok();
    }),
  );
  try {
    const url = `http://127.0.0.1:${apiPort}/api/v1/status`;
    // Polling, not a fixed sleep: the first 200 ends the measurement.
    while (!(await answersStatus(url))) {
      if (exitCode !== undefined)
        throw new Error(`the node exited (${exitCode}) before answering:\n${stderr}`);
      if (performance.now() - started > START_TIMEOUT_MS) {
        throw new Error(`no answer from ${url} within ${START_TIMEOUT_MS} ms:\n${stderr}`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
    return performance.now() - started;
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

function optionValue(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at < 0 ? undefined : argv[at + 1];
}

const argv = process.argv.slice(2);
const runsText = optionValue(argv, '--runs');
const runs = runsText === undefined ? DEFAULT_RUNS : Number(runsText);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
const bin = resolve(optionValue(argv, '--bin') ?? join(ROOT, 'bin/ledger.js'));
const timesMs: number[] = [];
for (let i = 0; i < runs; i++) {
  const ms = await oneStart(bin);
  timesMs.push(ms);
  process.stdout.write(`run ${i + 1}: ${ms.toFixed(0)} ms\n`);
}
const sorted = [...timesMs].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
process.stdout.write(`median of ${runs}: ${median.toFixed(0)} ms (${bin}, node ${process.version})\n`);
