/**
 * End-to-end helpers: a fresh test network on disk (genesis with fresh keys, cheap
 * scrypt, funded senders), free ports, and `ledger node` child processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launcherNodeFlags } from '../../scripts/devnet/launcher-flags.js';
import { addressOf, generateSecretKey, publicKeyOf } from '../../src/crypto/keys.js';
import { writeKeystoreFile } from '../../src/crypto/keystore.js';
import {
  createGenesis,
  type Genesis,
  type GenesisParams,
  peerIdOfPublicKey,
} from '../../src/genesis/index.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PASSPHRASE = 'e2e-test';

export interface TestNet {
  dir: string;
  genesisPath: string;
  genesis: Genesis;
  keyPaths: string[];
  /** Keystores of the observers listed in genesis (named observer-<i>). */
  observerKeyPaths: string[];
  /** Funded accounts (not validators). */
  senders: Uint8Array[];
}

export async function createTestNet(
  validators: number,
  senders: number,
  params: Partial<GenesisParams> = {},
  options: { observers?: number } = {},
): Promise<TestNet> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-e2e-'));
  const funded = Array.from({ length: senders }, () => generateSecretKey());
  const observerSecrets = Array.from({ length: options.observers ?? 0 }, () => generateSecretKey());
  const { json, genesis, secrets } = createGenesis({
    validators,
    chainId: 4343n,
    alloc: funded.map((s) => ({ address: addressOf(s), balance: 10n ** 24n })),
    observers: observerSecrets.map((s, i) => ({
      name: `observer-${i}`,
      peerId: peerIdOfPublicKey(publicKeyOf(s, true)),
    })),
    params: { baseRoundTimeoutMs: 400, ...params },
  });
  const genesisPath = join(dir, 'genesis.json');
  await writeFile(genesisPath, JSON.stringify(json));
  await mkdir(join(dir, 'keys'));
  const keyPaths: string[] = [];
  for (const [i, secret] of secrets.entries()) {
    const path = join(dir, 'keys', `validator-${i}.json`);
    await writeKeystoreFile(path, secret, PASSPHRASE, { scryptN: 16 });
    keyPaths.push(path);
  }
  const observerKeyPaths: string[] = [];
  for (const [i, secret] of observerSecrets.entries()) {
    const path = join(dir, 'keys', `observer-${i}.json`);
    await writeKeystoreFile(path, secret, PASSPHRASE, { scryptN: 16 });
    observerKeyPaths.push(path);
  }
  return { dir, genesisPath, genesis, keyPaths, observerKeyPaths, senders: funded };
}

/** `count` distinct free TCP ports on 127.0.0.1 (bound to port 0, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const s = createServer();
          s.once('error', fail);
          s.listen(0, '127.0.0.1', () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

export interface NodeProcess {
  index: number;
  child: ChildProcess;
  apiUrl: string;
  apiPort: number;
  /** The `ledger node` arguments, for a restart with the same identity and data. */
  args: string[];
  /** Its libp2p address with /p2p/<peer id> (set by spawnValidators / spawnObserver). */
  p2pAddress?: string;
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnNode(index: number, args: string[], apiPort: number): NodeProcess {
  // BENCH_NODE_EXEC_ARGV: extra node flags for the node processes, e.g. "--cpu-prof
  // --cpu-prof-dir=/tmp/prof" to profile a benchmark (node refuses those in NODE_OPTIONS)
  const execArgv = (process.env.BENCH_NODE_EXEC_ARGV ?? '').split(' ').filter(Boolean);
  const launcher = join(ROOT, 'bin/ledger.js');
  const child = spawn(
    process.execPath,
    [...launcherNodeFlags(launcher), ...execArgv, launcher, 'node', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, LEDGER_PASSPHRASE: PASSPHRASE },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const { output, exit } = keepOutput(child, index);
  return { index, child, apiUrl: `http://127.0.0.1:${apiPort}`, apiPort, args, output, exit };
}

/**
 * A node process's recent output (for failure messages) and its exit. E2E_LOG_DIR: keep
 * every node's whole output there too (node-<index>.log, appended across restarts), e.g.
 * with E2E_LOG_LEVEL=trace for the consensus trace of a stall.
 */
export function keepOutput(child: ChildProcess, index: number): Pick<NodeProcess, 'output' | 'exit'> {
  const output: string[] = [];
  const logFile = process.env.E2E_LOG_DIR ? join(process.env.E2E_LOG_DIR, `node-${index}.log`) : undefined;
  const keep = (chunk: Buffer) => {
    if (logFile) appendFileSync(logFile, chunk);
    output.push(chunk.toString('utf8'));
    if (output.length > 2000) output.splice(0, 1000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once('exit', (code, signal) => ok({ code, signal })),
  );
  return { output, exit };
}

/** Starts the node again with the same arguments (same key, data directory and ports). */
export function respawnNode(node: NodeProcess): NodeProcess {
  return { ...spawnNode(node.index, node.args, node.apiPort), p2pAddress: node.p2pAddress };
}

/** Kills with SIGKILL (if still running) and waits for the exit. */
export async function killNode(node: NodeProcess): Promise<void> {
  if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  await node.exit;
}

/** The last lines a node printed, for failure messages. */
export function tailOf(node: NodeProcess, lines = 15): string {
  const state =
    node.child.exitCode === null && node.child.signalCode === null
      ? 'running'
      : `exited ${node.child.exitCode ?? node.child.signalCode}`;
  return `[node ${node.index}: ${state}; last output:]\n${node.output.join('').split('\n').slice(-lines).join('\n')}`;
}

/** `GET /api/v1/metrics` of every node still running, one line each (for failure messages). */
export async function metricsOf(nodes: readonly NodeProcess[]): Promise<string> {
  const lines: string[] = [];
  for (const node of nodes) {
    if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
    try {
      const { body } = await getJson<object>(`${node.apiUrl}/api/v1/metrics`);
      lines.push(`[node ${node.index} metrics] ${JSON.stringify(body)}`);
    } catch (err) {
      lines.push(`[node ${node.index} metrics] unavailable: ${(err as Error).message}`);
    }
  }
  return lines.join('\n');
}

/** Polls `probe` until it returns a value, or fails with `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The fields of API answers the tests read. */
export interface ApiBody {
  peers?: number;
  height?: number;
  headHash?: string;
  round?: number;
  syncing?: boolean;
  role?: string;
  index?: number;
  status?: string;
  hash?: string;
  error?: string;
  message?: string;
  results?: Array<{ hash?: string; error?: string }>;
}

export async function getJson<T = ApiBody>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: (await res.json()) as T };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

/**
 * Spawns one `ledger node` per validator of `net` on free ports of 127.0.0.1, each
 * bootstrapping from all the others.
 */
export async function spawnValidators(
  net: TestNet,
  logLevel = process.env.E2E_LOG_LEVEL ?? 'info',
): Promise<NodeProcess[]> {
  const n = net.genesis.validators.length;
  const ports = await freePorts(2 * n);
  return net.genesis.validators.map((v, i) => ({
    p2pAddress: `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${v.peerId}`,
    ...spawnNode(i, validatorArgs(net, i, ports.slice(0, n), ports[n + i], logLevel), ports[n + i]),
  }));
}

/**
 * `ledger node` arguments for validator `i` of `net`: its key and data directory, listening
 * on 127.0.0.1:p2pPorts[i] and bootstrapping from every other validator's port.
 */
export function validatorArgs(
  net: TestNet,
  i: number,
  p2pPorts: readonly number[],
  apiPort: number,
  logLevel: string,
): string[] {
  const p2p = (j: number) => `/ip4/127.0.0.1/tcp/${p2pPorts[j]}`;
  return [
    '--genesis',
    net.genesisPath,
    '--key',
    net.keyPaths[i],
    '--data',
    join(net.dir, `data-${i}`),
    '--listen',
    p2p(i),
    ...net.genesis.validators.flatMap((v, j) =>
      j === i ? [] : ['--bootstrap', `${p2p(j)}/p2p/${v.peerId}`],
    ),
    '--api-port',
    String(apiPort),
    '--log-level',
    logLevel,
  ];
}

/** SIGTERM to every node; resolves with their exits, or fails naming a node that hangs. */
export async function stopCleanly(
  nodes: readonly NodeProcess[],
  timeoutMs = 10_000,
): Promise<Array<{ code: number | null; signal: NodeJS.Signals | null }>> {
  for (const node of nodes) node.child.kill('SIGTERM');
  return Promise.all(
    nodes.map((n) =>
      Promise.race([
        n.exit,
        new Promise<never>((_, fail) =>
          setTimeout(() => fail(new Error(`node ${n.index} did not stop\n${tailOf(n)}`)), timeoutMs),
        ),
      ]),
    ),
  );
}

/** Spawns the observer `i` of `net`, bootstrapping from `peers` (their p2pAddress). */
export async function spawnObserver(
  net: TestNet,
  i: number,
  peers: readonly NodeProcess[],
  logLevel = 'info',
): Promise<NodeProcess> {
  const [p2pPort, apiPort] = await freePorts(2);
  const peerId = net.genesis.observers[i].peerId;
  const node = spawnNode(
    100 + i,
    [
      '--genesis',
      net.genesisPath,
      '--key',
      net.observerKeyPaths[i],
      '--data',
      join(net.dir, `observer-${i}`),
      '--listen',
      `/ip4/127.0.0.1/tcp/${p2pPort}`,
      ...peers.flatMap((p) => (p.p2pAddress ? ['--bootstrap', p.p2pAddress] : [])),
      '--api-port',
      String(apiPort),
      '--log-level',
      logLevel,
    ],
    apiPort,
  );
  return { ...node, p2pAddress: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerId}` };
}
