/**
 * A four-validator network in one process over 127.0.0.1 for adversary tests: a fresh
 * genesis, honest `LedgerNode`s started on demand, and a libp2p node holding a validator's
 * genuine key built by the project's own createNetwork (so it is admitted and meshed),
 * driven by the test as the Byzantine member. One network per test file.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1Verifier, type ValidatorSet } from '../../src/consensus/index.js';
import { writeKeystoreFile } from '../../src/crypto/keystore.js';
import { createGenesis, type Genesis, type GenesisParams } from '../../src/genesis/index.js';
import {
  createNetwork,
  type Network,
  type NetworkComponents,
  type NetworkOptions,
} from '../../src/network/index.js';
import {
  genesisBlockOf,
  LedgerNode,
  type NodeLogger,
  type NodeOptions,
  silentLogger,
} from '../../src/node/index.js';
import { freePorts } from '../e2e/helpers.js';

const PASSPHRASE = 'byzantine-net';

export interface ByzantineNet {
  dir: string;
  genesis: Genesis;
  secrets: Uint8Array[];
  validatorSet: ValidatorSet;
  /** Validator i's listen address, and the addresses of every other validator. */
  p2p(i: number): string;
  bootstrap(i: number): string[];
  /** Validator i's data directory. */
  dataDir(i: number): string;
  /** Warnings and errors of every node, and info lines that match `infoPattern`. */
  logs: string[];
  /** The honest nodes started so far, in the order their starts completed. */
  nodes: LedgerNode[];
  /** Starts validator i as an honest LedgerNode with its own data directory. */
  startNode(i: number, options?: Partial<NodeOptions>): Promise<LedgerNode>;
  /** Starts a bare libp2p node with validator i's genuine key: the adversary. */
  startAdversary(
    i: number,
    components?: Partial<Pick<NetworkComponents, 'onConsensusMessage' | 'onTransactions'>>,
    options?: Partial<NetworkOptions>,
  ): Promise<Network>;
  /** Stops every adversary and node, and removes the directory. */
  stop(): Promise<void>;
}

export async function byzantineNet(config: {
  chainId: bigint;
  params?: Partial<GenesisParams>;
  /** Funded accounts at genesis (default none). */
  alloc?: Array<{ address: Uint8Array; balance: bigint }>;
  /** Info lines to keep in `logs` (default: those about sync). */
  infoPattern?: RegExp;
}): Promise<ByzantineNet> {
  const dir = await mkdtemp(join(tmpdir(), 'byzantine-net-'));
  const created = createGenesis({
    validators: 4,
    chainId: config.chainId,
    params: config.params,
    alloc: config.alloc,
  });
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(created.json));
  const { genesis, secrets } = created;
  const validatorSet: ValidatorSet = {
    chainId: genesis.chainId,
    genesisId: genesisBlockOf(genesis).hash,
    validators: genesis.validators.map((v) => ({ address: v.address, publicKey: v.publicKey })),
  };
  await mkdir(join(dir, 'keys'));
  const ports = await freePorts(4);
  const p2p = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]}`;
  const bootstrap = (i: number) =>
    genesis.validators.flatMap((v, j) => (j === i ? [] : [`${p2p(j)}/p2p/${v.peerId}`]));
  const logs: string[] = [];
  const infoPattern = config.infoPattern ?? /sync/;
  const logger = (name: string): NodeLogger => ({
    ...silentLogger,
    info: (o, msg) => {
      if (infoPattern.test(msg)) logs.push(`${name}: ${msg} ${JSON.stringify(o)}`);
    },
    warn: (o, msg) => logs.push(`${name} WARN: ${msg} ${JSON.stringify(o)}`),
    error: (o, msg) => logs.push(`${name} ERROR: ${msg} ${JSON.stringify(o)}`),
  });
  const nodes: LedgerNode[] = [];
  const adversaries: Network[] = [];

  return {
    dir,
    genesis,
    secrets,
    validatorSet,
    p2p,
    bootstrap,
    dataDir: (i) => join(dir, `data-${i}`),
    logs,
    nodes,
    async startNode(i, options = {}) {
      const keyPath = join(dir, 'keys', `key-${i}.json`);
      await writeKeystoreFile(keyPath, secrets[i], PASSPHRASE, { scryptN: 16 });
      const node = await LedgerNode.init({
        genesisPath: join(dir, 'genesis.json'),
        keyPath,
        passphrase: PASSPHRASE,
        dataDir: join(dir, `data-${i}`),
        listen: [p2p(i)],
        bootstrap: bootstrap(i),
        apiPort: 0,
        apiHost: '127.0.0.1',
        logger: logger(`v${i}`),
        ...options,
        network: {
          heartbeatIntervalMs: 100,
          redialMinDelayMs: 50,
          redialMaxDelayMs: 400,
          ...options.network,
        },
      });
      nodes.push(node);
      await node.start();
      return node;
    },
    async startAdversary(i, components = {}, options = {}) {
      const adversary = await createNetwork(
        { listenAddresses: [p2p(i)], bootstrapAddresses: bootstrap(i), heartbeatIntervalMs: 100, ...options },
        {
          genesis,
          validatorSet,
          verifier: secp256k1Verifier(genesis.validators.map((v) => v.publicKey)),
          secretKey: secrets[i].slice(),
          onConsensusMessage: components.onConsensusMessage ?? (() => undefined),
          onTransactions: components.onTransactions ?? (() => undefined),
        },
      );
      adversaries.push(adversary);
      await adversary.start();
      return adversary;
    },
    async stop() {
      // a test may have stopped an adversary itself (one that leaves)
      await Promise.allSettled(adversaries.map((a) => a.stop()));
      await Promise.all(nodes.map((n) => n.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
