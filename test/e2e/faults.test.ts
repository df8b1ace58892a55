/**
 * Four `ledger node` processes on 127.0.0.1 under faults, with transfers flowing all along:
 * - one validator is killed with SIGKILL; the other three keep committing; restarted on
 *   its data directory it catches up and takes part again, and no validator holds
 *   evidence of it (or anyone) signing two different votes or proposals for one round;
 * - one validator is frozen with SIGSTOP (a partition as the others see it: connections
 *   open, nothing answers) and resumed with SIGCONT; it catches up and takes part again;
 * - every transaction submitted is committed exactly once, on one chain everywhere.
 * Transactions go to the two validators that are never faulted, so none is lost with a
 * killed node's mempool.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashHeader } from '../../src/chain/index.js';
import { decodeQc } from '../../src/consensus/index.js';
import { equalBytes, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/hash.js';
import { genesisBlockOf } from '../../src/node/index.js';
import { LedgerStore } from '../../src/store/index.js';
import { signTransfer } from '../../src/tx/index.js';
import {
  createTestNet,
  getJson,
  killNode,
  metricsOf,
  type NodeProcess,
  postJson,
  respawnNode,
  spawnValidators,
  type TestNet,
  tailOf,
  waitUntil,
} from './helpers.js';

const N = 4;
const SENDERS = 2;
const GWEI = 1_000_000_000n;
/** Blocks the others commit while a validator is down: more than block sync's lag threshold (8). */
const BLOCKS_WHILE_DOWN = 40;

describe('validators as processes under faults', { timeout: 300_000 }, () => {
  let net: TestNet;
  let nodes: NodeProcess[] = [];
  /** Node 0's store, read from this process while the node runs (lmdb allows it). */
  let observerStore: LedgerStore | undefined;
  const submitted: string[] = [];
  let load: NodeJS.Timeout | undefined;
  let loadError: Error | undefined;

  const height = async (node: NodeProcess) =>
    (await getJson(`${node.apiUrl}/api/v1/status`)).body.height ?? 0;

  /**
   * Resolves once `node`'s API reports at least `target` committed blocks. On a timeout
   * the error also holds where every running node's consensus stood (round, highest QC
   * and TC, whether its driver runs) and its network counters: what a stall needs.
   */
  const reach = async (node: NodeProcess, target: number, what: string, timeoutMs = 60_000) => {
    try {
      await waitUntil(
        `${what} (node ${node.index} to reach height ${target})\n${tailOf(node)}`,
        async () => ((await height(node)) >= target ? true : undefined),
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await metricsOf(nodes)}`);
    }
  };

  /** Resolves once a block above `above` was proposed by validator `v` or certified with its vote. */
  const takesPart = (v: number, above: number) =>
    waitUntil(
      `validator ${v} to propose or vote for a block above height ${above}\n${tailOf(nodes[v])}`,
      async () => {
        const store = observerStore!;
        const address = net.genesis.validators[v].address;
        // the store's head is cached at open: walk up while blocks exist instead
        for (let h = above + 1; ; h++) {
          const block = store.getBlock(h);
          if (!block) return undefined;
          if (equalBytes(block.header.proposer, address)) return true;
          const qc = store.getCommitQc(h);
          if (qc && decodeQc(qc).signers.includes(v)) return true;
        }
      },
      60_000,
      200,
    );

  before(async () => {
    net = await createTestNet(N, SENDERS);
    nodes = await spawnValidators(net);
    for (const node of nodes) {
      await waitUntil(
        `node ${node.index} to serve status with 3 peers and height >= 2\n${tailOf(node)}`,
        async () => {
          const { body } = await getJson(`${node.apiUrl}/api/v1/status`);
          return (body.peers ?? 0) >= N - 1 && (body.height ?? 0) >= 2 ? true : undefined;
        },
        60_000, // a cold machine compiles the TypeScript of 4 processes at once
      );
    }
    observerStore = LedgerStore.open(join(net.dir, 'data-0', 'chain'), genesisBlockOf(net.genesis).hash);
    // transfers all along: one every 100 ms, alternating senders and the two unfaulted nodes
    const nonces = new Array<bigint>(SENDERS).fill(0n);
    let i = 0;
    load = setInterval(() => {
      const s = i % SENDERS;
      const node = nodes[i % 2 === 0 ? 0 : 3];
      i++;
      const tx = signTransfer(
        {
          chainId: net.genesis.chainId,
          nonce: nonces[s]++,
          maxPriorityFeePerGas: GWEI,
          maxFeePerGas: 2n * GWEI,
          gasLimit: 21_000n,
          to: net.genesis.validators[i % N].address,
          value: BigInt(i),
        },
        net.senders[s],
      );
      submitted.push(toHex(tx.hash));
      postJson(`${node.apiUrl}/api/v1/txs`, toHex(tx.raw))
        .then((res) => {
          if (res.status !== 202) loadError ??= new Error(`submission refused: ${JSON.stringify(res.body)}`);
        })
        .catch((err: Error) => {
          loadError ??= err;
        });
    }, 100);
  });

  after(async () => {
    clearInterval(load);
    for (const node of nodes) await killNode(node);
    await observerStore?.close();
    await rm(net.dir, { recursive: true, force: true });
  });

  it('kill -9: the others keep committing; restarted, it catches up and takes part again', async () => {
    const victim = 1;
    await killNode(nodes[victim]);
    const atKill = await height(nodes[0]);
    await reach(nodes[0], atKill + BLOCKS_WHILE_DOWN, 'three validators to keep committing');
    await reach(nodes[2], atKill + BLOCKS_WHILE_DOWN, 'three validators to keep committing');

    nodes[victim] = respawnNode(nodes[victim]);
    const atRestart = await height(nodes[0]);
    await reach(nodes[victim], atRestart, 'the restarted validator to catch up');
    await takesPart(victim, atRestart);

    // no validator signed two different votes or proposals for one round
    for (const node of nodes) {
      const { status, body } = await getJson<{ evidence: unknown[] }>(`${node.apiUrl}/api/v1/evidence`);
      assert.equal(status, 200);
      assert.deepEqual(body.evidence, [], `evidence held by node ${node.index}`);
    }
  });

  it('SIGSTOP / SIGCONT: a frozen validator rejoins, catches up and takes part again', async () => {
    const victim = 2;
    const pid = nodes[victim].child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const atStop = await height(nodes[0]);
      await reach(nodes[0], atStop + BLOCKS_WHILE_DOWN, 'three validators to keep committing');
      await reach(nodes[3], atStop + BLOCKS_WHILE_DOWN, 'three validators to keep committing');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const atResume = await height(nodes[0]);
    await reach(nodes[victim], atResume, 'the resumed validator to catch up');
    await takesPart(victim, atResume);
  });

  it('every transaction submitted is committed exactly once, on one chain everywhere', async () => {
    clearInterval(load);
    load = undefined;
    assert.equal(loadError, undefined, `the load generator failed: ${loadError?.message}`);
    assert.ok(submitted.length > 50, `only ${submitted.length} transactions submitted`);
    for (const hash of submitted) {
      await waitUntil(
        `tx ${hash} committed on node 0\n${tailOf(nodes[0])}`,
        async () =>
          (await getJson(`${nodes[0].apiUrl}/api/v1/txs/${hash}`)).body.status === 'committed'
            ? true
            : undefined,
        30_000,
        50,
      );
    }
    const top = await height(nodes[0]);
    for (const node of nodes) await reach(node, top, 'every node to hold every transaction');
    for (const node of nodes) {
      const { body } = await getJson<{ evidence: unknown[] }>(`${node.apiUrl}/api/v1/evidence`);
      assert.deepEqual(body.evidence, [], `evidence held by node ${node.index}`);
    }

    for (const node of nodes) node.child.kill('SIGTERM');
    for (const node of nodes) {
      const exit = await node.exit;
      assert.deepEqual(exit, { code: 0, signal: null }, `node ${node.index} exit\n${tailOf(node)}`);
    }
    await observerStore?.close();
    observerStore = undefined;
    const genesisHash = genesisBlockOf(net.genesis).hash;
    const stores = nodes.map((_, i) => LedgerStore.open(join(net.dir, `data-${i}`, 'chain'), genesisHash));
    try {
      const reference = stores[0];
      for (const [i, store] of stores.entries()) {
        assert.ok(store.head().height >= top, `node ${i} head ${store.head().height} < ${top}`);
        for (let h = 1; h <= top; h++) {
          assert.equal(
            toHex(hashHeader(store.getBlock(h)!.header)),
            toHex(hashHeader(reference.getBlock(h)!.header)),
            `block ${h} of node ${i}`,
          );
        }
      }
      const count = new Map<string, number>();
      for (let h = 1; h <= reference.head().height; h++) {
        for (const raw of reference.getBlock(h)!.transactions) {
          const tx = toHex(keccak256(raw));
          count.set(tx, (count.get(tx) ?? 0) + 1);
        }
      }
      for (const hash of submitted)
        assert.equal(count.get(hash), 1, `tx ${hash} committed ${count.get(hash) ?? 0} times`);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
