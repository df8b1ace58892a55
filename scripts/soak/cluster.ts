/**
 * The soak's processes: four validators and an observer of a throwaway chain, each a
 * `ledger node` child on ports from the OS and its own temp data directory. A node keeps its
 * identity, data and ports across restarts; every incarnation's exit is recorded, so the
 * report can tell a kill the soak made from a process that died on its own.
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
  validatorArgs,
  waitUntil,
} from '../../test/e2e/helpers.js';
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

/** One node of the soak: its fixed identity and its current process. */
export class SoakNode {
  readonly apiUrl: string;
  readonly incarnations: Incarnation[] = [];
  /** The last lines it printed, for a report on a node that died. */
  private readonly tail: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<Exit>;
  private log?: WriteStream;

  constructor(
    /** 0..3 for validators, 100 for the observer (as test/e2e/helpers names them). */
    readonly index: number,
    readonly name: string,
    readonly args: readonly string[],
    readonly apiPort: number,
    readonly p2pPort: number,
    private readonly env: Record<string, string>,
    logDir: string,
    private readonly ledgerRoot: string,
  ) {
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    if (logDir) this.log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
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
    const child = spawn(process.execPath, [join(this.ledgerRoot, 'bin/ledger.js'), 'node', ...this.args], {
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

/** A throwaway chain with funded senders, its nodes started and connected (height >= 1 on all). */
export async function startCluster(options: SoakOptions): Promise<SoakCluster> {
  const net = await createTestNet(
    VALIDATORS,
    options.senders,
    { baseRoundTimeoutMs: options.baseRoundTimeoutMs, maxBlockTxs: 1000 },
    { observers: 1 },
  );
  const ports = await freePorts(2 * VALIDATORS + 2);
  const p2pPorts = ports.slice(0, VALIDATORS);
  const validators = net.genesis.validators.map(
    (_, i) =>
      new SoakNode(
        i,
        `validator-${i}`,
        [...validatorArgs(net, i, p2pPorts, ports[VALIDATORS + i], options.logLevel), ...API_LIMITS],
        ports[VALIDATORS + i],
        p2pPorts[i],
        options.nodeEnv,
        options.logDir,
        options.ledgerRoot || ROOT,
      ),
  );
  const [observerP2p, observerApi] = ports.slice(2 * VALIDATORS);
  const observer = new SoakNode(
    100,
    'observer-0',
    [
      '--genesis',
      net.genesisPath,
      '--key',
      net.observerKeyPaths[0],
      '--data',
      join(net.dir, 'observer-0'),
      '--listen',
      `/ip4/127.0.0.1/tcp/${observerP2p}`,
      ...net.genesis.validators.flatMap((v, j) => [
        '--bootstrap',
        `/ip4/127.0.0.1/tcp/${p2pPorts[j]}/p2p/${v.peerId}`,
      ]),
      '--api-port',
      String(observerApi),
      '--log-level',
      options.logLevel,
      ...API_LIMITS,
    ],
    observerApi,
    observerP2p,
    options.nodeEnv,
    options.logDir,
    options.ledgerRoot || ROOT,
  );
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
