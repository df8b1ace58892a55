/**
 * Real nodes in one process on 127.0.0.1: three of four validators build a chain; then
 * the fourth validator (fresh data directory) and an observer listed in genesis start,
 * catch up by block sync, and follow the head; the validator rejoins consensus and votes.
 *
 * The first phase also guards two start-up liveness bugs this test used to hit (three
 * validators stuck in one round forever): re-sent timeouts that gossipsub dropped as
 * duplicates, and a round timer that fired 1 ms early and was never armed again. Both are
 * also modelled in the simulator (test/sim). SYNC_TEST_LOG=1 prints progress and the sync log.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashHeader } from '../../src/chain/index.js';
import { decodeQc } from '../../src/consensus/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { generateSecretKey, publicKeyOf } from '../../src/crypto/keys.js';
import { writeKeystoreFile } from '../../src/crypto/keystore.js';
import { createGenesis, peerIdOfPublicKey } from '../../src/genesis/index.js';
import { LedgerNode, type NodeLogger, silentLogger } from '../../src/node/index.js';
import type { LedgerStore } from '../../src/store/index.js';
import { freePorts, waitUntil } from '../e2e/helpers.js';

const PASSPHRASE = 'sync-test';

describe('block sync between real nodes', { timeout: 120_000 }, () => {
  const nodes: LedgerNode[] = [];
  let dir = '';
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a late validator and an observer catch up to the head and follow it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sync-catch-up-'));
    const observerSecret = generateSecretKey();
    const observerPeerId = peerIdOfPublicKey(publicKeyOf(observerSecret, true));
    const { json, genesis, secrets } = createGenesis({
      validators: 4,
      chainId: 4242n,
      observers: [{ name: 'watcher', peerId: observerPeerId }],
      params: { baseRoundTimeoutMs: 150 },
    });
    const genesisPath = join(dir, 'genesis.json');
    await writeFile(genesisPath, JSON.stringify(json));
    await mkdir(join(dir, 'keys'));
    const keyPaths: string[] = [];
    for (const [i, secret] of [...secrets, observerSecret].entries()) {
      const path = join(dir, 'keys', `key-${i}.json`);
      await writeKeystoreFile(path, secret, PASSPHRASE, { scryptN: 16 });
      keyPaths.push(path);
    }
    const ports = await freePorts(5);
    const p2p = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]}`;
    const peerIds = [...genesis.validators.map((v) => v.peerId), observerPeerId];
    const logs: string[] = [];
    const logger = (name: string): NodeLogger => ({
      ...silentLogger,
      info: (o, msg) => {
        if (/sync|rejoined/.test(msg)) logs.push(`${name}: ${msg} ${JSON.stringify(o)}`);
      },
      warn: (o, msg) => logs.push(`${name} WARN: ${msg} ${JSON.stringify(o)}`),
    });
    const start = async (i: number) => {
      const node = await LedgerNode.init({
        genesisPath,
        keyPath: keyPaths[i],
        passphrase: PASSPHRASE,
        dataDir: join(dir, `data-${i}`),
        listen: [p2p(i)],
        bootstrap: peerIds.flatMap((id, j) => (j === i ? [] : [`${p2p(j)}/p2p/${id}`])),
        apiPort: 0,
        apiHost: '127.0.0.1',
        logger: logger(i === 4 ? 'observer' : `v${i}`),
        network: { heartbeatIntervalMs: 100, redialMinDelayMs: 50, redialMaxDelayMs: 500 },
        emptyBlockDelayMs: 5,
        sync: { tickMs: 50, peerHeadTtlMs: 200, lagThresholdBlocks: 8, joinSlackBlocks: 3 },
      });
      nodes.push(node);
      await node.start();
      return node;
    };
    // started together: a validator that starts alone well before its peers can sit in round 1
    const early = await Promise.all([start(0), start(1), start(2)]);
    const progress = setInterval(() => {
      if (process.env.SYNC_TEST_LOG)
        console.log(early.map((n) => `${n.status().height}/${n.status().round}`).join(' '));
    }, 3000);
    await waitUntil(
      'the first validators to commit 24 blocks',
      async () => (early[0].status().height >= 24 ? true : undefined),
      60_000,
    ).finally(() => clearInterval(progress));
    const late = await start(3);
    const observer = await start(4);
    assert.equal(observer.role.kind, 'observer');
    const headOfOthers = () => Math.min(...early.map((n) => n.status().height));
    await waitUntil(
      'the late validator and the observer to reach the head',
      async () => {
        const target = headOfOthers();
        return late.status().height >= target - 3 && observer.status().height >= target - 3
          ? true
          : undefined;
      },
      60_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logs.slice(-30).join('\n')}`);
    });
    assert.ok(
      logs.some((l) => l.startsWith('v3: sync started')),
      logs.join('\n'),
    );
    // both keep following: the observer by sync, the validator by consensus again
    const before = { late: late.status().height, observer: observer.status().height };
    await waitUntil(
      'both to follow the growing chain',
      async () =>
        late.status().height >= before.late + 10 && observer.status().height >= before.observer + 10
          ? true
          : undefined,
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logs.slice(-30).join('\n')}`);
    });
    if (process.env.SYNC_TEST_LOG) console.log(logs.join('\n'));
    assert.equal(late.status().syncing, false);
    assert.ok(
      logs.some((l) => l.startsWith('v3: rejoined consensus')),
      logs.join('\n'),
    );
    // the validator votes again: its signature appears in QCs of blocks after it rejoined
    const rejoinedAt = before.late;
    await waitUntil(
      'a QC signed by the late validator',
      async () => {
        const store = storeOf(early[0]);
        for (let h = rejoinedAt + 1; h <= store.head().height; h++) {
          const qc = store.getCommitQc(h);
          if (qc && decodeQc(qc).signers.includes(3)) return true;
        }
        return undefined;
      },
      30_000,
    );
    // same chain: the block at a common height has the same hash everywhere
    // a height every store has written (status() counts commits still being written)
    const h = Math.min(...[late, observer, early[0]].map((n) => storeOf(n).head().height));
    const hashAt = (n: LedgerNode) => toHex(blockHash(n, h));
    assert.equal(hashAt(late), hashAt(early[0]));
    assert.equal(hashAt(observer), hashAt(early[0]));
  });
});

/** The id of the node's committed block at `height` (read from its store). */
function blockHash(node: LedgerNode, height: number): Uint8Array {
  return hashHeader(storeOf(node).getBlock(height)!.header);
}

function storeOf(node: LedgerNode): LedgerStore {
  return (node as unknown as { store: LedgerStore }).store;
}
