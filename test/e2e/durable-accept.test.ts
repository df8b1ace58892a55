/**
 * Issue 10: "a transaction answered 202 is lost when the node that accepted it is killed
 * right after the answer". The node journals admitted API transactions on disk before it
 * answers (src/node/tx-journal.ts) and re-admits them when it starts again. A real
 * `ledger node` process is killed with SIGKILL as soon as the 202 arrives.
 *
 * A transaction with a nonce gap is the witness: it cannot commit before the kill (its
 * predecessor has not been sent), so it is in no block and in no store but the journal.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { addressOf } from '../../src/crypto/keys.js';
import { signTransfer } from '../../src/tx/index.js';
import {
  type ApiBody,
  createTestNet,
  freePorts,
  getJson,
  killNode,
  type NodeProcess,
  postJson,
  respawnNode,
  spawnNode,
  stopCleanly,
  type TestNet,
  tailOf,
  validatorArgs,
  waitUntil,
} from './helpers.js';

function rawHex(net: TestNet, sender: number, nonce: bigint): string {
  const tx = signTransfer(
    {
      chainId: net.genesis.chainId,
      nonce,
      maxPriorityFeePerGas: 1n,
      maxFeePerGas: 2n * net.genesis.params.baseFeePerGas + 1n,
      gasLimit: 21_000n,
      to: addressOf(net.senders[(sender + 1) % net.senders.length]),
      value: 1n,
    },
    net.senders[sender],
  );
  return `0x${Buffer.from(tx.raw).toString('hex')}`;
}

describe('a 202 survives kill -9 of the node that gave it', { timeout: 60_000 }, () => {
  let net: TestNet | undefined;
  let node: NodeProcess | undefined;
  after(async () => {
    if (node) await stopCleanly([node]).catch(() => killNode(node!));
    if (net) await rm(net.dir, { recursive: true, force: true });
  });

  it('the accepted transactions are pending or committed after the restart, and the gapped one commits once its gap is filled', async () => {
    net = await createTestNet(1, 2);
    const [p2pPort, apiPort] = await freePorts(2);
    node = spawnNode(0, validatorArgs(net, 0, [p2pPort], apiPort, 'info'), apiPort);
    const running = node;
    const status = (n: NodeProcess) => getJson(`${n.apiUrl}/api/v1/status`);
    await waitUntil(
      `the node to commit a block\n${tailOf(running)}`,
      async () => ((await status(running)).body.height ?? 0) >= 1 || undefined,
      20_000,
    );

    const gapped = await postJson(`${node.apiUrl}/api/v1/txs`, rawHex(net, 0, 1n));
    const executable = await postJson(`${node.apiUrl}/api/v1/txs`, rawHex(net, 1, 0n));
    // SIGKILL the moment the answer is in: no orderly shutdown, no gossip flush
    await killNode(node);
    assert.equal(gapped.status, 202, JSON.stringify(gapped.body));
    assert.equal((gapped.body as { queued?: boolean }).queued, true, 'a gapped tx is answered as queued');
    assert.equal(executable.status, 202, JSON.stringify(executable.body));

    node = respawnNode(node);
    const restarted = node;
    const txStatus = async (hash: string) =>
      (await getJson<ApiBody & { queued?: boolean }>(`${restarted.apiUrl}/api/v1/txs/${hash}`)).body;
    const afterRestart = await waitUntil(
      `the restarted node's API\n${tailOf(restarted)}`,
      async () => txStatus(gapped.body.hash!),
      20_000,
    );
    assert.deepEqual(
      { hash: afterRestart.hash, status: afterRestart.status, queued: afterRestart.queued },
      { hash: gapped.body.hash, status: 'pending', queued: true },
      `the gapped transaction after the restart\n${tailOf(restarted)}`,
    );
    await waitUntil(
      `the executable transaction to be committed\n${tailOf(restarted)}`,
      async () => ((await txStatus(executable.body.hash!)).status === 'committed' ? true : undefined),
      15_000,
    );

    const filler = await postJson(`${node.apiUrl}/api/v1/txs`, rawHex(net, 0, 0n));
    assert.equal(filler.status, 202, JSON.stringify(filler.body));
    await waitUntil(
      `the re-admitted gapped transaction to be committed\n${tailOf(restarted)}`,
      async () => ((await txStatus(gapped.body.hash!)).status === 'committed' ? true : undefined),
      15_000,
    );
  });
});
