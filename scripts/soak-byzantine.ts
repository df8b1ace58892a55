/**
 * Byzantine-validator soak (issue 10): three honest `ledger node` processes and validator
 * 3's genuine key in an attacker process (scripts/soak/attacker.ts) that runs every attack
 * of docs/PROTOCOL.md "Threats" in turn at fixed message rates, under a steady client load.
 * The same load runs first against four honest validators (the baseline), on a fresh chain.
 *
 * Reported for each honest node: the longest gap between two commits, blocks and
 * transactions committed per second (and as a ratio to the baseline), RSS over time
 * (sampled every 5 s from /proc), and how often it left consensus for sync ("sync
 * started" in its log). The last line printed is JSON.
 *
 *   npm run soak:byzantine [-- --seconds 600 --base-timeout-ms 400 --tx-rate 100 --attack-rate 50
 *                             --phase-seconds 30 --phases a,b,... --no-baseline]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toHex } from '../src/crypto/bytes.js';
import { type SignedTransfer, signTransfer } from '../src/tx/index.js';
import {
  createTestNet,
  freePorts,
  getJson,
  type NodeProcess,
  PASSPHRASE,
  postJson,
  ROOT,
  spawnNode,
  stopCleanly,
  type TestNet,
  validatorArgs,
  waitUntil,
} from '../test/e2e/helpers.js';
import { ATTACKS, type AttackerConfig, type AttackName, PHASES } from './soak/attacker-config.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    /** Load runs (and the attacker stays silent) this long before anything is measured. */
    'warmup-seconds': { type: 'string', default: '20' },
    'base-timeout-ms': { type: 'string', default: '400' },
    'tx-rate': { type: 'string', default: '100' },
    'attack-rate': { type: 'string', default: '50' },
    'phase-seconds': { type: 'string', default: '30' },
    'no-baseline': { type: 'boolean', default: false },
    /** Comma-separated phases to run in turn (default: every attack); `idle` is the silent control. */
    phases: { type: 'string', default: ATTACKS.join(',') },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP_SECONDS = Number(values['warmup-seconds']);
const BASE_TIMEOUT_MS = Number(values['base-timeout-ms']);
const TX_RATE = Number(values['tx-rate']);
const ATTACK_RATE = Number(values['attack-rate']);
const PHASE_SECONDS = Number(values['phase-seconds']);
const PHASE_LIST = values.phases.split(',').map((name) => {
  if (!(PHASES as readonly string[]).includes(name))
    throw new Error(`unknown phase '${name}': one of ${PHASES.join(', ')}`);
  return name as AttackName;
});
const N = 4;
const ATTACKER = 3;
const HONEST = [0, 1, 2];
const LOAD_SENDERS = 50;
const ATTACK_SENDERS = 20;
const GWEI = 1_000_000_000n;
const SAMPLE_MS = 100;
const RSS_EVERY_MS = 5_000;
const LONG_GAP_MS = 2_000;

interface NodeFigures {
  node: number;
  blocks: number;
  blocksPerSecond: number;
  maxCommitGapMs: number;
  /** Gaps between commits longer than LONG_GAP_MS: when they ended (ms since the start), how long, in which attack. */
  longGaps: Array<{ endedAtMs: number; gapMs: number; phase: string }>;
  /** Times the node logged "sync started" (left consensus to catch up). */
  syncStarts: number;
  rssMb: number[];
}

interface RunFigures {
  kind: 'baseline' | 'byzantine';
  seconds: number;
  submitted: number;
  committedTxs: number;
  nodes: NodeFigures[];
  attackPhases?: Array<{ phase: string; sent: number; startedAtMs: number; seconds: number }>;
}

function rssMbOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Pre-signed transfers: `perSender` nonces of each load sender, interleaved by nonce. */
function loadTransfers(net: TestNet, perSender: number): SignedTransfer[] {
  const senders = net.senders.slice(0, LOAD_SENDERS);
  const signed = senders.map((secret, s) =>
    Array.from({ length: perSender }, (_, nonce) =>
      signTransfer(
        {
          chainId: net.genesis.chainId,
          nonce: BigInt(nonce),
          maxPriorityFeePerGas: GWEI,
          maxFeePerGas: 2n * GWEI,
          gasLimit: 21_000n,
          to: senders[(s + 1) % senders.length].subarray(0, 20),
          value: 1n,
        },
        secret,
      ),
    ),
  );
  return signed.flat().sort((a, b) => Number(a.nonce - b.nonce));
}

async function status(node: NodeProcess): Promise<{ height: number; peers: number } | undefined> {
  try {
    const { status: code, body } = await getJson(`${node.apiUrl}/api/v1/status`);
    return code === 200 ? { height: body.height ?? 0, peers: body.peers ?? 0 } : undefined;
  } catch {
    return undefined;
  }
}

async function run(kind: RunFigures['kind']): Promise<RunFigures> {
  const net = await createTestNet(N, LOAD_SENDERS + ATTACK_SENDERS, {
    baseRoundTimeoutMs: BASE_TIMEOUT_MS,
    maxBlockTxs: 1000,
  });
  const ports = await freePorts(2 * N);
  const p2pPorts = ports.slice(0, N);
  const running = kind === 'baseline' ? [...HONEST, ATTACKER] : HONEST;
  const nodes = running.map((i) =>
    spawnNode(i, validatorArgs(net, i, p2pPorts, ports[N + i], 'info'), ports[N + i]),
  );
  const honest = nodes.filter((n) => HONEST.includes(n.index));
  let attacker: NodeProcess | undefined;
  const phases: NonNullable<RunFigures['attackPhases']> = [];
  try {
    for (const node of nodes)
      await waitUntil(
        `node ${node.index} to commit a block with its peers`,
        async () => {
          const s = await status(node);
          return s && s.peers >= HONEST.length - 1 && s.height >= 1 ? true : undefined;
        },
        90_000,
      );
    const measureFrom = Date.now() + WARMUP_SECONDS * 1000;
    if (kind === 'byzantine') {
      const p2p = (j: number) => `/ip4/127.0.0.1/tcp/${p2pPorts[j]}`;
      const config: AttackerConfig = {
        genesisPath: net.genesisPath,
        keyPath: net.keyPaths[ATTACKER],
        passphrase: PASSPHRASE,
        listen: p2p(ATTACKER),
        bootstrap: HONEST.map((j) => `${p2p(j)}/p2p/${net.genesis.validators[j].peerId}`),
        honest: honest.map((n) => ({ index: n.index, apiUrl: n.apiUrl })),
        senders: net.senders.slice(LOAD_SENDERS).map((s) => toHex(s)),
        rate: ATTACK_RATE,
        phaseSeconds: PHASE_SECONDS,
        phases: PHASE_LIST,
        seconds: SECONDS,
        startAtMs: measureFrom,
      };
      attacker = spawnAttacker(config);
      attacker.child.stdout?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.startsWith('{')) phases.push(JSON.parse(line));
      });
    }

    // the client load: an open loop of TX_RATE transfers per second, in batches of 10,
    // round-robin over the honest nodes' APIs
    const transfers = loadTransfers(
      net,
      Math.ceil((TX_RATE * (WARMUP_SECONDS + SECONDS + 30)) / LOAD_SENDERS),
    );
    let submitted = 0;
    let target = 0;
    const loadStart = Date.now();
    const load = setInterval(() => {
      const due = Math.min(transfers.length, Math.floor(((Date.now() - loadStart) / 1000) * TX_RATE));
      if (due <= submitted) return;
      const batch = transfers.slice(submitted, due);
      submitted = due;
      const node = honest[target++ % honest.length];
      void postJson(
        `${node.apiUrl}/api/v1/txs`,
        batch.map((t) => toHex(t.raw)),
      ).catch(() => undefined);
    }, 100);

    await new Promise((r) => setTimeout(r, Math.max(0, measureFrom - Date.now())));
    const start = Date.now();
    // commits: each honest node's height every SAMPLE_MS; RSS every RSS_EVERY_MS
    const lastChange = honest.map(() => Date.now());
    const lastHeight = honest.map(() => 0);
    const firstHeight: number[] = [];
    const maxGap = honest.map(() => 0);
    const longGaps: Array<Array<{ endedAtMs: number; gapMs: number }>> = honest.map(() => []);
    const rss: number[][] = honest.map(() => []);
    const sampler = setInterval(async () => {
      const now = Date.now();
      await Promise.all(
        honest.map(async (node, i) => {
          const s = await status(node);
          if (!s) return;
          firstHeight[i] ??= s.height;
          if (s.height > lastHeight[i]) {
            const gap = now - lastChange[i];
            if (gap > LONG_GAP_MS) longGaps[i].push({ endedAtMs: now - start, gapMs: gap });
            maxGap[i] = Math.max(maxGap[i], gap);
            lastChange[i] = now;
            lastHeight[i] = s.height;
          }
        }),
      );
    }, SAMPLE_MS);
    const rssSampler = setInterval(() => {
      honest.forEach((node, i) => {
        rss[i].push(rssMbOf(node.child.pid));
      });
    }, RSS_EVERY_MS);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    clearInterval(load);
    clearInterval(sampler);
    clearInterval(rssSampler);
    const end = Date.now();
    // a gap still open at the end counts too
    for (let i = 0; i < honest.length; i++) maxGap[i] = Math.max(maxGap[i], end - lastChange[i]);

    // how many of the submitted transfers committed: a sample, asked of node 0
    const sample = transfers
      .slice(0, submitted)
      .filter((_, k) => k % Math.max(1, Math.floor(submitted / 200)) === 0);
    let committed = 0;
    for (const t of sample) {
      const { body } = await getJson(`${honest[0].apiUrl}/api/v1/txs/${toHex(t.hash)}`).catch(() => ({
        body: {} as { status?: string },
      }));
      if (body.status === 'committed') committed++;
    }
    const seconds = (end - start) / 1000;
    /** The attack phase running at wall-clock time `t` (when a gap began). */
    const phaseAt = (t: number) => phases.findLast((p) => p.startedAtMs <= t)?.phase ?? 'none';
    return {
      kind,
      seconds,
      submitted,
      committedTxs: Math.round((committed / Math.max(1, sample.length)) * submitted),
      nodes: honest.map((node, i) => {
        const blocks = lastHeight[i] - (firstHeight[i] ?? 0);
        return {
          node: node.index,
          blocks,
          blocksPerSecond: Math.round((blocks / seconds) * 100) / 100,
          maxCommitGapMs: maxGap[i],
          longGaps: longGaps[i].map((g) => ({ ...g, phase: phaseAt(start + g.endedAtMs - g.gapMs) })),
          syncStarts: node.output
            .join('')
            .split('\n')
            .filter((l) => l.includes('sync started')).length,
          rssMb: rss[i],
        };
      }),
      ...(kind === 'byzantine' ? { attackPhases: phases } : {}),
    };
  } finally {
    if (attacker && attacker.child.exitCode === null) attacker.child.kill('SIGKILL');
    await stopCleanly(nodes, 20_000).catch((err) => console.error((err as Error).message));
    await rm(net.dir, { recursive: true, force: true });
  }
}

/** The attacker process (scripts/soak/attacker.ts) with its config as its one argument. */
function spawnAttacker(config: AttackerConfig): NodeProcess {
  const args = [JSON.stringify(config)];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/soak/attacker.ts'), ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once('exit', (code, signal) => ok({ code, signal })),
  );
  return { index: ATTACKER, child, apiUrl: '', apiPort: 0, args, output, exit };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
};

const runs: RunFigures[] = [];
if (!values['no-baseline']) {
  console.error(`baseline: four honest validators, ${SECONDS} s`);
  runs.push(await run('baseline'));
  console.error(JSON.stringify(runs.at(-1)));
}
console.error(`byzantine: three honest validators and validator ${ATTACKER} attacking, ${SECONDS} s`);
runs.push(await run('byzantine'));
console.error(JSON.stringify(runs.at(-1)));
const [baseline, byzantine] = runs.length === 2 ? runs : [undefined, runs[0]];
const summary = {
  seconds: SECONDS,
  warmupSeconds: WARMUP_SECONDS,
  baseRoundTimeoutMs: BASE_TIMEOUT_MS,
  txRate: TX_RATE,
  attackRate: ATTACK_RATE,
  phaseSeconds: PHASE_SECONDS,
  phases: PHASE_LIST,
  honest: byzantine.nodes.map((n) => {
    const base = baseline?.nodes.find((b) => b.node === n.node);
    return {
      node: n.node,
      maxCommitGapMs: n.maxCommitGapMs,
      longGaps: n.longGaps,
      blocksPerSecond: n.blocksPerSecond,
      ...(base ? { baselineBlocksPerSecond: base.blocksPerSecond } : {}),
      ...(base
        ? { commitRateRatio: Math.round((n.blocksPerSecond / base.blocksPerSecond) * 1000) / 1000 }
        : {}),
      syncStarts: n.syncStarts,
      rssMb: {
        first: n.rssMb[0] ?? 0,
        median: median(n.rssMb),
        max: Math.max(0, ...n.rssMb),
        last: n.rssMb.at(-1) ?? 0,
      },
    };
  }),
  txs: {
    submitted: byzantine.submitted,
    committed: byzantine.committedTxs,
    ...(baseline ? { baselineSubmitted: baseline.submitted, baselineCommitted: baseline.committedTxs } : {}),
  },
  attackPhases: byzantine.attackPhases,
};
console.log(JSON.stringify(summary));
