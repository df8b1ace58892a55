/**
 * The soak's processes: four validators and an observer of a throwaway chain, each a
 * `ledger node` child with its own temp data directory: on loopback ports from the OS, or,
 * when the soak partitions, each in its own network namespace at its own address
 * (netns.ts). A node keeps its identity, data and addresses across restarts; every
 * incarnation's exit is recorded, so the report can tell a kill the soak made from a
 * process that died on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTestNet,
  freePorts,
  getJson,
  PASSPHRASE,
  ROOT,
  type TestNet,
  waitUntil,
} from '../../test/e2e/helpers.js';
import { launcherNodeFlags } from '../devnet/launcher-flags.js';
import { NETNS_API_PORT, NETNS_P2P_PORT, type SoakNetwork } from './netns.js';
import type { SoakOptions } from './options.js';

export const VALIDATORS = 4;
/** The soak's client load and its checks make many requests from one address. */
/** Start-up runs the TypeScript through tsx when dist/ is stale: slow on a busy machine. */
const JOIN_TIMEOUT_MS = 240_000;
const API_LIMITS = ['--api-requests-per-second', '100000', '--api-max-concurrent-requests', '1000'];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Incarnation {
  pid: number;
  startedAtMs: number;
  exitedAtMs?: number;
  exit?: Exit;
  /** The soak sent this incarnation SIGKILL or SIGTERM: its exit is expected. */
  killedBySoak: boolean;
}

export interface SoakNodeSpec {
  /** 0..3 for validators, 100 for the observer (as test/e2e/helpers names them). */
  index: number;
  name: string;
  args: readonly string[];
  apiHost: string;
  apiPort: number;
  p2pPort: number;
  /** Its place in the soak's network: validators 0..3, the observer 4 (its namespace when there are any). */
  host: number;
  env: Record<string, string>;
  logDir: string;
  ledgerRoot: string;
  /** The namespaces it runs in, when the soak partitions. */
  network?: SoakNetwork;
}

/** One node of the soak: its fixed identity and its current process. */
export class SoakNode {
  readonly index: number;
  readonly name: string;
  readonly args: readonly string[];
  readonly apiUrl: string;
  readonly apiPort: number;
  readonly p2pPort: number;
  readonly host: number;
  readonly incarnations: Incarnation[] = [];
  private readonly env: Record<string, string>;
  private readonly ledgerRoot: string;
  private readonly network?: SoakNetwork;
  /** The last lines it printed, for a report on a node that died. */
  private readonly tail: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<Exit>;
  private log?: WriteStream;

  constructor(spec: SoakNodeSpec) {
    this.index = spec.index;
    this.name = spec.name;
    this.args = spec.args;
    this.apiPort = spec.apiPort;
    this.p2pPort = spec.p2pPort;
    this.host = spec.host;
    this.env = spec.env;
    this.ledgerRoot = spec.ledgerRoot;
    this.network = spec.network;
    this.apiUrl = `http://${spec.apiHost}:${spec.apiPort}`;
    if (spec.logDir) this.log = createWriteStream(join(spec.logDir, `${spec.name}.log`), { flags: 'a' });
  }

  get isValidator(): boolean {
    return this.index < VALIDATORS;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get current(): Incarnation | undefined {
    return this.incarnations.at(-1);
  }

  start(nowMs: number): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const launcher = join(this.ledgerRoot, 'bin/ledger.js');
    const nodeArgs = [...launcherNodeFlags(launcher), launcher, 'node', ...this.args];
    // `ip netns exec` execs the node in place: the pid signalled and sampled is the node's
    const { command, args } = this.network
      ? this.network.wrap(this.host, process.execPath, nodeArgs)
      : { command: process.execPath, args: nodeArgs };
    const child = spawn(command, args, {
      cwd: this.ledgerRoot,
      env: { ...process.env, ...this.env, LEDGER_PASSPHRASE: PASSPHRASE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const incarnation: Incarnation = { pid: child.pid ?? -1, startedAtMs: nowMs, killedBySoak: false };
    this.incarnations.push(incarnation);
    const keep = (chunk: Buffer) => {
      this.log?.write(chunk);
      this.tail.push(chunk.toString('utf8'));
      if (this.tail.length > 200) this.tail.splice(0, 100);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise<Exit>((ok) =>
      child.once('exit', (code, signal) => {
        incarnation.exit = { code, signal };
        incarnation.exitedAtMs = Date.now();
        ok({ code, signal });
      }),
    );
    this.child = child;
  }

  /** Sends `signal`; SIGKILL and SIGTERM mark the incarnation's end as the soak's doing. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    if (signal === 'SIGKILL' || signal === 'SIGTERM') {
      const current = this.current;
      if (current) current.killedBySoak = true;
    }
    this.child?.kill(signal);
  }

  async kill(): Promise<Exit | undefined> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** SIGCONT first (a stopped process cannot act on SIGTERM), then SIGTERM, then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<Exit | undefined> {
    if (!this.running) return this.exited;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tailText(lines = 20): string {
    return this.tail.join('').split('\n').slice(-lines).join('\n');
  }

  closeLog(): void {
    this.log?.end();
  }
}

export interface SoakCluster {
  net: TestNet;
  validators: SoakNode[];
  observer: SoakNode;
  all: SoakNode[];
}

/** Where each node (validators 0..3, the observer 4) listens and serves, and its API host. */
interface Placement {
  address: (host: number) => string;
  p2pPort: (host: number) => number;
  apiPort: (host: number) => number;
}

async function placementOf(network: SoakNetwork | undefined): Promise<Placement> {
  if (network)
    return {
      address: (host) => network.addressOf(host),
      p2pPort: () => NETNS_P2P_PORT,
      apiPort: () => NETNS_API_PORT,
    };
  const ports = await freePorts(2 * (VALIDATORS + 1));
  return {
    address: () => '127.0.0.1',
    p2pPort: (host) => ports[host],
    apiPort: (host) => ports[VALIDATORS + 1 + host],
  };
}

/**
 * A throwaway chain with funded senders, its nodes started and connected (height >= 1 on
 * all): on loopback, or each in its namespace of `network`.
 */
export async function startCluster(options: SoakOptions, network?: SoakNetwork): Promise<SoakCluster> {
  const net = await createTestNet(
    VALIDATORS,
    options.senders,
    { baseRoundTimeoutMs: options.baseRoundTimeoutMs, maxBlockTxs: 1000 },
    { observers: 1 },
  );
  const at = await placementOf(network);
  const p2pOf = (host: number) => `/ip4/${at.address(host)}/tcp/${at.p2pPort(host)}`;
  const bootstrapsFor = (host: number) =>
    net.genesis.validators.flatMap((v, j) =>
      j === host ? [] : ['--bootstrap', `${p2pOf(j)}/p2p/${v.peerId}`],
    );
  const nodeOf = (host: number, index: number, name: string, key: string, data: string) =>
    new SoakNode({
      index,
      name,
      args: [
        '--genesis',
        net.genesisPath,
        '--key',
        key,
        '--data',
        join(net.dir, data),
        '--listen',
        p2pOf(host),
        ...bootstrapsFor(host),
        '--api-host',
        at.address(host),
        '--api-port',
        String(at.apiPort(host)),
        '--log-level',
        options.logLevel,
        ...API_LIMITS,
        ...options.nodeArgs,
      ],
      apiHost: at.address(host),
      apiPort: at.apiPort(host),
      p2pPort: at.p2pPort(host),
      host,
      env: options.nodeEnv,
      logDir: options.logDir,
      ledgerRoot: options.ledgerRoot || ROOT,
      network,
    });
  const validators = net.genesis.validators.map((_, i) =>
    nodeOf(i, i, `validator-${i}`, net.keyPaths[i], `data-${i}`),
  );
  const observer = nodeOf(VALIDATORS, 100, 'observer-0', net.observerKeyPaths[0], 'observer-0');
  const all = [...validators, observer];
  const now = Date.now();
  for (const node of all) node.start(now);
  try {
    for (const node of all)
      await waitUntil(
        `${node.name} to join (peers and height >= 1)`,
        async () => {
          if (!node.running) throw new Error(`${node.name} exited`);
          const { body } = await getJson(`${node.apiUrl}/api/v1/status`);
          return (body.peers ?? 0) >= (node.isValidator ? VALIDATORS - 1 : 1) && (body.height ?? 0) >= 1
            ? true
            : undefined;
        },
        JOIN_TIMEOUT_MS,
        250,
      );
  } catch (err) {
    const tails = all.map((n) => `[${n.name}]\n${n.tailText(8)}`).join('\n');
    await Promise.all(all.map((n) => n.stop()));
    for (const n of all) n.closeLog();
    await rm(net.dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
  return { net, validators, observer, all };
}
