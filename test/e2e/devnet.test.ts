/**
 * `npm start` (scripts/devnet.ts) as a user meets it, on ports and a data directory of the
 * test's own: the start block, the height advancing in the progress lines, a validator
 * killed with SIGKILL reported with its log's tail and started again while the others run,
 * Ctrl-C stopping every child, a second start resuming the same chain and `--reset`
 * beginning a new one. Block 1's hash tells the chains apart: a new chain's block 1 has
 * another timestamp, so another hash.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getJson, ROOT, waitUntil } from './helpers.js';

/** Ports the devnet takes from --base-port P: P to P+20 (scripts/devnet/options.ts). */
const PORT_RANGE_SIZE = 21;
/** Generous: four nodes start on a shared 2-core machine. */
const STEP_TIMEOUT_MS = 90_000;
const FAUCET = '0x5dad552083C94a632cCcF466E6317bb891c82A51';

/** A base port under the kernel's ephemeral range with the whole range free; candidates from a printed seed. */
async function freePortRange(size: number): Promise<number> {
  const seed = Number(process.env.DEVNET_TEST_SEED ?? process.pid);
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + (next() % 12_000);
    const servers: Server[] = [];
    try {
      for (let port = base; port < base + size; port++) {
        servers.push(
          await new Promise<Server>((ok, fail) => {
            const s = createServer();
            s.once('error', fail);
            s.listen(port, '127.0.0.1', () => ok(s));
          }),
        );
      }
      return base;
    } catch {
      // Taken: try another candidate.
    } finally {
      await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
    }
  }
  throw new Error(`no free range of ${size} ports found (DEVNET_TEST_SEED=${seed})`);
}

class DevnetRun {
  readonly child: ChildProcess;
  output = '';
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/devnet.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.output += chunk;
      });
    }
    this.exit = new Promise((ok) => this.child.once('exit', (code, signal) => ok({ code, signal })));
  }

  /** The first match of `pattern` in the output from `from` on. */
  async waitFor(what: string, pattern: RegExp, from = 0): Promise<RegExpExecArray> {
    return waitUntil(
      `${what}; output so far:\n${this.output.slice(-3000)}`,
      async () => pattern.exec(this.output.slice(from)) ?? undefined,
      STEP_TIMEOUT_MS,
    );
  }

  /** Heights of the progress lines printed from `from` on. */
  heights(from = 0): number[] {
    return [...this.output.slice(from).matchAll(/ height (\d+) /g)].map((m) => Number(m[1]));
  }

  async waitForHeight(atLeast: number, from = 0): Promise<number> {
    return waitUntil(
      `a progress line at height ${atLeast} or above; output so far:\n${this.output.slice(-3000)}`,
      async () => this.heights(from).find((h) => h >= atLeast),
      STEP_TIMEOUT_MS,
    );
  }

  /** The node processes it runs now: its children, with their command lines. */
  async children(): Promise<Array<{ pid: number; cmdline: string }>> {
    const pid = this.child.pid as number;
    const list = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    const pids = list.split(' ').filter(Boolean).map(Number);
    return Promise.all(
      pids.map(async (p) => ({
        pid: p,
        cmdline: (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' '),
      })),
    );
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGINT');
    return this.exit;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function blockOneHash(apiUrl: string): Promise<string> {
  return waitUntil(
    `block 1 at ${apiUrl}`,
    async () => {
      const { status, body } = await getJson<{ hash?: string }>(`${apiUrl}/api/v1/blocks/1`);
      return status === 200 ? body.hash : undefined;
    },
    STEP_TIMEOUT_MS,
    250,
  );
}

describe('npm start: the devnet launcher', { timeout: 360_000 }, () => {
  const runs: DevnetRun[] = [];
  let dataDir = '';

  after(async () => {
    // Whatever failed: no node outlives the test, and the data goes.
    for (const run of runs) {
      const pids =
        run.child.exitCode === null ? (await run.children().catch(() => [])).map((c) => c.pid) : [];
      run.child.kill('SIGKILL');
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a bad flag, or a --data directory that is not a devnet data directory, before starting anything', async () => {
    const badFlag = new DevnetRun(['--validators', '3']);
    runs.push(badFlag);
    assert.deepEqual(await badFlag.exit, { code: 2, signal: null });
    assert.match(badFlag.output, /--validators must be between 4 and 10/);
    assert.match(badFlag.output, /usage: npm start/);

    const foreign = await mkdtemp(join(tmpdir(), 'devnet-foreign-'));
    try {
      await writeFile(join(foreign, 'precious.txt'), 'not devnet data');
      const refused = new DevnetRun(['--data', foreign, '--reset']);
      runs.push(refused);
      assert.deepEqual(await refused.exit, { code: 2, signal: null });
      assert.match(refused.output, /is not empty and not a devnet data directory/);
      assert.equal(await readFile(join(foreign, 'precious.txt'), 'utf8'), 'not devnet data');
    } finally {
      await rm(foreign, { recursive: true, force: true });
    }
  });

  it('starts, restarts a killed validator, stops on Ctrl-C, resumes, and --reset starts over', async (t) => {
    const startedMs = Date.now();
    const done = (step: string) => t.diagnostic(`${step}: ${Date.now() - startedMs} ms`);
    dataDir = await mkdtemp(join(tmpdir(), 'devnet-test-'));
    const base = await freePortRange(PORT_RANGE_SIZE);
    const apiUrl = `http://127.0.0.1:${base + 10}`;
    const args = ['--data', dataDir, '--base-port', String(base), '--progress-interval-ms', '500'];

    // 1. The start block: explorer, JSON-RPC and chain id, faucet, wallet commands.
    const first = new DevnetRun(args);
    runs.push(first);
    await first.waitFor('the start block', /Ctrl-C stops the devnet/);
    assert.match(first.output, /a new chain in/);
    assert.match(first.output, new RegExp(`explorer +${apiUrl.replaceAll('.', '\\.')}`));
    assert.match(first.output, new RegExp(`JSON-RPC +http://127\\.0\\.0\\.1:${base + 20} +chain id 1337`));
    assert.match(first.output, new RegExp(`faucet +${FAUCET}`));
    for (const command of ['new', 'faucet', 'send', 'balance'])
      assert.match(first.output, new RegExp(`npm run wallet -- ${command}`));

    done('start block');

    // 2. Progress: the height advances.
    const h1 = await first.waitForHeight(1);
    await first.waitForHeight(h1 + 2);
    const chainBlockOne = await blockOneHash(apiUrl);

    done('height advanced');

    // 3. SIGKILL one validator: reported with its log's tail, started again; the chain goes on.
    const victim = (await first.children()).find((c) => c.cmdline.includes('validator-1.json'));
    assert.ok(victim, `no child runs validator-1; children: ${JSON.stringify(await first.children())}`);
    const mark = first.output.length;
    process.kill(victim.pid, 'SIGKILL');
    await first.waitFor(
      'the crash report',
      /devnet: v1 exited \(signal SIGKILL\); its last log lines:\n {2}\| /,
      mark,
    );
    await first.waitFor('the restart notice', /devnet: restarting v1 in 1 s/, mark);
    const restarted = await first.waitFor('v1 started again', /devnet: v1 started again \(pid (\d+)\)/, mark);
    assert.notEqual(Number(restarted[1]), victim.pid);
    const afterRestart = first.output.length;
    const h2 = Math.max(...first.heights());
    await first.waitForHeight(h2 + 2, afterRestart);
    await first.waitFor('v1 answering again', / v1:\d/, afterRestart);

    done('validator restarted');

    // The log file holds readable lines, not JSON.
    const log = await readFile(join(dataDir, 'logs', 'v1.log'), 'utf8');
    assert.match(log, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}node started /m);
    assert.doesNotMatch(log, /^\{"level"/m);

    // 4. Ctrl-C: every node stops, the launcher exits 0.
    const nodes = await first.children();
    assert.equal(nodes.length, 4, `expected 4 node processes, got ${JSON.stringify(nodes)}`);
    const heightBeforeStop = Math.max(...first.heights());
    assert.deepEqual(await first.stop(), { code: 0, signal: null }, first.output.slice(-2000));
    assert.deepEqual(
      nodes.filter((n) => isAlive(n.pid)),
      [],
      'node processes outlived the launcher',
    );

    done('stopped');

    // 5. A second start resumes the same chain at or above the old height.
    const second = new DevnetRun(args);
    runs.push(second);
    await second.waitFor('the start block', /resuming the chain in/);
    // The first line in which every validator answers: a node that lagged when it was
    // stopped (the one killed above may still have been catching up) reopens at its own
    // lower height, and may answer first.
    const allAnswering = / height (\d+) [^\n]*peers v0:\d+[^\n]* v1:\d+[^\n]* v2:\d+[^\n]* v3:\d+/;
    const resumedAt = Number(
      (await second.waitFor('a progress line with every validator answering', allAnswering))[1],
    );
    assert.ok(resumedAt >= heightBeforeStop, `resumed at ${resumedAt}, below ${heightBeforeStop}`);
    assert.equal(await blockOneHash(apiUrl), chainBlockOne, 'block 1 changed: not the same chain');
    assert.deepEqual(await second.stop(), { code: 0, signal: null }, second.output.slice(-2000));

    done('resumed');

    // 6. --reset: the data directory emptied, a new chain from genesis.
    await writeFile(join(dataDir, 'left-from-before'), 'x');
    const third = new DevnetRun([...args, '--reset']);
    runs.push(third);
    await third.waitFor('the start block', /a new chain in/);
    assert.equal(existsSync(join(dataDir, 'left-from-before')), false, '--reset kept the old data directory');
    await third.waitForHeight(0);
    assert.notEqual(await blockOneHash(apiUrl), chainBlockOne, '--reset kept the old chain');
    assert.deepEqual(await third.stop(), { code: 0, signal: null }, third.output.slice(-2000));
    done('reset');
  });
});
