/**
 * Issue 10, item 1 (halt through block sync) on real nodes in one process over 127.0.0.1:
 * three honest LedgerNodes and validator 3's genuine key driven from this process. The
 * adversary serves block sync with a lie: every answer claims a committed head of 2^40 and
 * carries one genuine certified block (read from an honest node's store), and after a few
 * answers it withholds everything. Before the fix, one such answer to a probe took every
 * honest validator out of consensus for good. Now a claim is only a fetch target: leaving
 * consensus needs a proof of commit, which the liar cannot make for heights that do not
 * exist, so the honest validators probe it, never leave consensus, and keep committing.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeBlock } from '../../src/chain/index.js';
import { secp256k1Verifier, type ValidatorSet } from '../../src/consensus/index.js';
import { writeKeystoreFile } from '../../src/crypto/keystore.js';
import { createGenesis, type Genesis } from '../../src/genesis/index.js';
import { createNetwork, type Network, syncProtocolFor } from '../../src/network/index.js';
import { genesisBlockOf, LedgerNode, type NodeLogger, silentLogger } from '../../src/node/index.js';
import type { LedgerStore } from '../../src/store/index.js';
import { Libp2pSyncNetwork, type SyncSource } from '../../src/sync/index.js';
import { freePorts, waitUntil } from '../e2e/helpers.js';

const PASSPHRASE = 'byzantine-sync';
const ADVERSARY = 3;
const FAR = 2 ** 40;

describe('block sync against a Byzantine validator with a genuine key (in-process nodes)', {
  timeout: 90_000,
}, () => {
  const honest: LedgerNode[] = [];
  const logs: string[] = [];
  let adversary: Network;
  let liarServer: Libp2pSyncNetwork;
  let dir = '';
  /** Sync requests the liar answered with its lie, and those it withheld. */
  const liar = { lied: 0, withheld: 0 };

  const storeOf = (n: LedgerNode) => (n as unknown as { store: LedgerStore }).store;
  const heights = () => honest.map((n) => n.status().height);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'byzantine-sync-'));
    const created = createGenesis({ validators: 4, chainId: 4344n, params: { baseRoundTimeoutMs: 300 } });
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(created.json));
    const genesis: Genesis = created.genesis;
    const secrets = created.secrets;
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
    const logger = (name: string): NodeLogger => ({
      ...silentLogger,
      info: (o, msg) => {
        if (/sync/.test(msg)) logs.push(`${name}: ${msg} ${JSON.stringify(o)}`);
      },
      warn: (o, msg) => logs.push(`${name} WARN: ${msg} ${JSON.stringify(o)}`),
      error: (o, msg) => logs.push(`${name} ERROR: ${msg} ${JSON.stringify(o)}`),
    });
    const start = async (i: number) => {
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
        network: { heartbeatIntervalMs: 100, redialMinDelayMs: 50, redialMaxDelayMs: 400 },
        // probe often, so the liar is asked many times within the test
        sync: { probeIntervalMs: 300, peerHeadTtlMs: 200, tickMs: 50 },
      });
      honest.push(node);
      await node.start();
    };
    await Promise.all([0, 1, 2].map(start));
    adversary = await createNetwork(
      {
        listenAddresses: [p2p(ADVERSARY)],
        bootstrapAddresses: bootstrap(ADVERSARY),
        heartbeatIntervalMs: 100,
      },
      {
        genesis,
        validatorSet,
        verifier: secp256k1Verifier(genesis.validators.map((v) => v.publicKey)),
        secretKey: secrets[ADVERSARY].slice(),
        onConsensusMessage: () => undefined,
        onTransactions: () => undefined,
      },
    );
    await adversary.start();
    // the lie: a head of 2^40; the first answers carry one genuine certified block, then nothing
    const genuine = storeOf(honest[0]);
    const lyingSource: SyncSource = {
      headHeight: () => FAR,
      getBlockBytes: (h) => {
        const block = liar.lied < 10 ? genuine.getBlock(h) : undefined;
        if (block) liar.lied++;
        else liar.withheld++;
        return block && encodeBlock(block);
      },
      getCommitQc: (h) => genuine.getCommitQc(h),
    };
    liarServer = new Libp2pSyncNetwork({
      libp2p: adversary.libp2p,
      protocol: syncProtocolFor(validatorSet.genesisId),
      maxFrameBytes: 2 << 20,
      peers: () => [],
      penalize: () => undefined,
      maxInboundStreams: 16,
      logger: { info() {}, warn() {}, debug() {} },
    });
    await liarServer.start(lyingSource, 5_000);
    await waitUntil(
      'the honest validators to commit 3 blocks',
      async () => (Math.min(...heights()) >= 3 ? true : undefined),
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logs.slice(-20).join('\n')}`);
    });
  });

  after(async () => {
    await liarServer?.stop();
    await adversary?.stop();
    await Promise.all(honest.map((n) => n.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a sync server that claims a head of 2^40 and then withholds never takes a validator out of consensus', async () => {
    await waitUntil(
      'the liar to be asked, lie with genuine blocks, and then withhold',
      async () => (liar.lied >= 3 && liar.withheld >= 3 ? true : undefined),
      30_000,
    );
    const before = Math.min(...heights());
    await waitUntil(
      'the honest validators to commit 5 more blocks while the liar keeps lying',
      async () => (Math.min(...heights()) >= before + 5 ? true : undefined),
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logs.slice(-20).join('\n')}`);
    });
    const started = logs.filter((l) => /sync started/.test(l));
    assert.deepEqual(started, [], 'no honest validator left consensus');
    for (const n of honest) assert.equal(n.status().syncing, false);
    assert.ok(liar.lied >= 3, `the liar answered ${liar.lied} requests with its lie`);
  });
});
