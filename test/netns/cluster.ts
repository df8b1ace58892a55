/**
 * A test network of validators on separate "hosts": each `ledger node` runs inside its own
 * network namespace (topology.ts) and reaches every other one only through a delaying TCP
 * relay in the root namespace (relay.ts): host k's relay listens on k's stand-in address
 * at the p2p port, so `/ip4/<stand-in k>/tcp/P2P_PORT` is where every other host reaches
 * k. The relay knows the dialling host by its address, holds its chunks for that link's
 * seeded delay and connects out from the dialler's stand-in address. Nodes dial (and,
 * where the node can, announce) the relay addresses; a direct connection is refused by
 * the target namespace's firewall, so traffic the nodes exchange is traffic relays carry.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTestNet,
  keepOutput,
  type NodeProcess,
  PASSPHRASE,
  ROOT,
  type TestNet,
} from '../e2e/helpers.js';
import { DEFAULT_RELAY_MAX_QUEUED_BYTES, DelayRelay } from './relay.js';
import { createTopology, hostAddressOf, namespaceOf, removeLeftovers, standInAddressOf } from './topology.js';

export const P2P_PORT = 7000;
export const API_PORT = 8080;

export interface ClusterOptions {
  validators: number;
  senders: number;
  baseRoundTimeoutMs: number;
  lossPercent: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Seed of the per-link delays. */
  seed: number;
  logLevel: string;
}

/** mulberry32: a small seeded generator, so a failing run's delays can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Whether `ledger node` takes `--announce` (addresses identify hands out instead of the
 * listen addresses): read from its source so the test uses it as soon as the node has it.
 */
function nodeHasAnnounceOption(): boolean {
  try {
    return readFileSync(join(ROOT, 'src/cli/commands/node.ts'), 'utf8').includes("'--announce <");
  } catch {
    return false;
  }
}

export class Cluster {
  nodes: NodeProcess[] = [];
  /** relays[k] carries every connection to host k. */
  relays: DelayRelay[] = [];
  /** The seeded delay of each link, by `${low}-${high}` host indexes. */
  readonly delays = new Map<string, number>();
  net!: TestNet;
  readonly announces = nodeHasAnnounceOption();

  constructor(readonly options: ClusterOptions) {}

  async start(): Promise<void> {
    const o = this.options;
    await removeLeftovers();
    this.net = await createTestNet(o.validators, o.senders, { baseRoundTimeoutMs: o.baseRoundTimeoutMs });
    await createTopology({ hosts: o.validators, p2pPort: P2P_PORT, lossPercent: o.lossPercent });
    const random = seeded(o.seed);
    for (let i = 0; i < o.validators; i++)
      for (let j = i + 1; j < o.validators; j++)
        this.delays.set(`${i}-${j}`, o.minDelayMs + Math.floor(random() * (o.maxDelayMs - o.minDelayMs + 1)));
    const hostByAddress = new Map(Array.from({ length: o.validators }, (_, i) => [hostAddressOf(i), i]));
    for (let to = 0; to < o.validators; to++) {
      const relay = new DelayRelay({
        listenHost: standInAddressOf(to),
        listenPort: P2P_PORT,
        targetHost: hostAddressOf(to),
        targetPort: P2P_PORT,
        route: (remote) => {
          const from = hostByAddress.get(remote);
          if (from === undefined || from === to) return undefined;
          return { sourceHost: standInAddressOf(from), delayMs: this.delayOf(from, to) };
        },
        maxQueuedBytes: DEFAULT_RELAY_MAX_QUEUED_BYTES,
      });
      await relay.start();
      this.relays.push(relay);
    }
    this.nodes = this.net.genesis.validators.map((_, i) => this.spawn(i));
  }

  delayOf(a: number, b: number): number {
    return this.delays.get(`${Math.min(a, b)}-${Math.max(a, b)}`)!;
  }

  /** Bytes the relays carried between hosts `a` and `b`, both ways, whoever dialled. */
  relayedBytes(a: number, b: number): number {
    const of = (from: number, to: number) => {
      const c = this.relays[to].bySource.get(hostAddressOf(from));
      return c ? c.forwardBytes + c.backwardBytes : 0;
    };
    return of(a, b) + of(b, a);
  }

  private spawn(i: number): NodeProcess {
    const { net } = this;
    const peers = net.genesis.validators.flatMap((v, j) =>
      j === i ? [] : [`/ip4/${standInAddressOf(j)}/tcp/${P2P_PORT}/p2p/${v.peerId}`],
    );
    const args = [
      '--genesis',
      net.genesisPath,
      '--key',
      net.keyPaths[i],
      '--data',
      join(net.dir, `data-${i}`),
      '--listen',
      `/ip4/${hostAddressOf(i)}/tcp/${P2P_PORT}`,
      // identify then hands out the relay's address, never the one around it
      ...(this.announces ? ['--announce', `/ip4/${standInAddressOf(i)}/tcp/${P2P_PORT}`] : []),
      ...peers.flatMap((p) => ['--bootstrap', p]),
      '--api-host',
      hostAddressOf(i),
      '--api-port',
      String(API_PORT),
      '--no-explorer',
      '--log-level',
      this.options.logLevel,
    ];
    const child: ChildProcess = spawn(
      'ip',
      ['netns', 'exec', namespaceOf(i), process.execPath, join(ROOT, 'bin/ledger.js'), 'node', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, LEDGER_PASSPHRASE: PASSPHRASE },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const { output, exit } = keepOutput(child, i);
    return {
      index: i,
      child,
      apiUrl: `http://${hostAddressOf(i)}:${API_PORT}`,
      apiPort: API_PORT,
      args,
      output,
      exit,
    };
  }

  /** Kills the nodes, closes the relays, removes the namespaces and the test network's files. */
  async stop(): Promise<void> {
    for (const node of this.nodes) {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    }
    await Promise.all(this.nodes.map((n) => n.exit));
    await Promise.all(this.relays.map((r) => r.close()));
    await removeLeftovers();
    if (this.net) await rm(this.net.dir, { recursive: true, force: true });
  }
}
