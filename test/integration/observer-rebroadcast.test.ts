/**
 * A transfer an observer answered 202 for while its gossip reached no one is still
 * committed: the observer gossips its pending API transactions again (src/node/admission.ts).
 * An observer never proposes, so without that the transfer, and every later nonce of its
 * sender, would wait in the observer's pool for good (the chaos soak found 410 of 500
 * senders stuck that way). Real nodes in one process on 127.0.0.1: the observer starts
 * alone, accepts the transfer with no peer, and only then does the validator start.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addressOf, generateSecretKey } from '../../src/crypto/keys.js';
import { LedgerNode, silentLogger } from '../../src/node/index.js';
import { signTransfer } from '../../src/tx/index.js';
import { createTestNet, freePorts, PASSPHRASE, type TestNet, waitUntil } from '../e2e/helpers.js';

describe('an observer gossips its pending API transactions again', { timeout: 90_000 }, () => {
  const nodes: LedgerNode[] = [];
  let net: TestNet | undefined;
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (net) await rm(net.dir, { recursive: true, force: true });
  });

  it('a transfer the observer accepted with no peer is committed once a validator is up', async () => {
    net = await createTestNet(1, 1, { baseRoundTimeoutMs: 150 }, { observers: 1 });
    const keyPaths = [net.keyPaths[0], net.observerKeyPaths[0]];
    const { genesis } = net;
    const sender = net.senders[0];
    const ports = await freePorts(2);
    const p2p = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]}`;
    const peerIds = [genesis.validators[0].peerId, genesis.observers[0].peerId];
    const start = async (i: number) => {
      const node = await LedgerNode.init({
        genesisPath: net!.genesisPath,
        keyPath: keyPaths[i],
        passphrase: PASSPHRASE,
        dataDir: join(net!.dir, `data-${i}`),
        listen: [p2p(i)],
        bootstrap: [`${p2p(1 - i)}/p2p/${peerIds[1 - i]}`],
        apiPort: 0,
        apiHost: '127.0.0.1',
        logger: silentLogger,
        // gossiped again 2 s after the last gossip; the seen-TTL must be shorter
        network: { heartbeatIntervalMs: 100, redialMinDelayMs: 50, redialMaxDelayMs: 500, seenTtlMs: 1000 },
        txRebroadcastMs: 2000,
        emptyBlockDelayMs: 5,
      });
      nodes.push(node);
      await node.start();
      return node;
    };

    const observer = await start(1);
    assert.equal(observer.role.kind, 'observer');
    const tx = signTransfer(
      {
        chainId: genesis.chainId,
        nonce: 0n,
        maxPriorityFeePerGas: 1n,
        maxFeePerGas: 2n * genesis.params.baseFeePerGas + 1n,
        gasLimit: 21_000n,
        to: addressOf(generateSecretKey()),
        value: 1n,
      },
      sender,
    );
    const [outcome] = await observer.submitTransactions([tx.raw]);
    assert.ok(!('error' in outcome), `the observer refused the transfer: ${JSON.stringify(outcome)}`);
    assert.equal(
      observer.status().peers,
      0,
      'the observer had a peer: its first gossip could have reached it',
    );

    const validator = await start(0);
    await waitUntil(
      'the transfer the observer accepted to be committed on the validator',
      async () => (validator.transactionStatus(tx.hash).status === 'committed' ? true : undefined),
      30_000,
    );
    await waitUntil(
      'the observer to follow the validator to the transfer',
      async () => (observer.transactionStatus(tx.hash).status === 'committed' ? true : undefined),
      30_000,
    );
  });
});
