/**
 * Four real `ledger node` processes on 127.0.0.1 commit a stream of signed transfers
 * submitted over HTTP: every transaction commits exactly once, at the same place on every
 * node, and all nodes hold the same chain (same block hashes and state roots).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashHeader } from '../../src/chain/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/hash.js';
import { genesisBlockOf } from '../../src/node/index.js';
import { LedgerStore } from '../../src/store/index.js';
import { signTransfer } from '../../src/tx/index.js';
import {
  createTestNet,
  getJson,
  type NodeProcess,
  postJson,
  spawnValidators,
  stopCleanly,
  type TestNet,
  tailOf,
  waitUntil,
} from './helpers.js';

const N = 4;
const SENDERS = 4;
const TXS_PER_SENDER = 12;
const GWEI = 1_000_000_000n;

describe('four validators as processes', { timeout: 180_000 }, () => {
  let net: TestNet;
  let nodes: NodeProcess[] = [];

  before(async () => {
    net = await createTestNet(N, SENDERS);
    nodes = await spawnValidators(net);
  });

  after(async () => {
    for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    await rm(net.dir, { recursive: true, force: true });
  });

  it('commit every submitted transaction exactly once, on the same chain everywhere', async () => {
    // 1. every node is up, connected to the three others, and committing blocks
    for (const node of nodes) {
      await waitUntil(
        `node ${node.index} to serve status with 3 peers and height >= 1\n${tailOf(node)}`,
        async () => {
          if (node.child.exitCode !== null) throw new Error(`node ${node.index} exited\n${tailOf(node)}`);
          const { body } = await getJson(`${node.apiUrl}/api/v1/status`);
          return (body.peers ?? 0) >= N - 1 && (body.height ?? 0) >= 1 ? body : undefined;
        },
        60_000, // generous: a cold CI machine compiles the TypeScript of 4 processes at once
      );
    }

    // 2. a stream of transfers: each sender's txs go to one node, alternately one by one and in a batch
    const chainId = net.genesis.chainId;
    const hashes: string[] = [];
    for (let s = 0; s < SENDERS; s++) {
      const raws = Array.from({ length: TXS_PER_SENDER }, (_, nonce) => {
        const tx = signTransfer(
          {
            chainId,
            nonce: BigInt(nonce),
            maxPriorityFeePerGas: GWEI,
            maxFeePerGas: 2n * GWEI,
            gasLimit: 21_000n,
            to: net.genesis.validators[(s + nonce) % N].address,
            value: 1000n + BigInt(nonce),
          },
          net.senders[s],
        );
        hashes.push(toHex(tx.hash));
        return toHex(tx.raw);
      });
      const url = `${nodes[s % N].apiUrl}/api/v1/txs`;
      const half = TXS_PER_SENDER / 2;
      for (const raw of raws.slice(0, half)) {
        const res = await postJson(url, raw);
        assert.equal(res.status, 202, `single submission refused: ${JSON.stringify(res.body)}`);
      }
      const batch = await postJson(url, raws.slice(half));
      assert.equal(batch.status, 200);
      for (const r of batch.body.results ?? [])
        assert.ok(r.hash && !r.error, `batch item refused: ${JSON.stringify(r)}`);
      // a duplicate is a typed rejection
      const dup = await postJson(url, raws[0]);
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error, 'ALREADY_KNOWN');
    }

    // 3. every transaction is committed on every node
    const locations = new Map<string, string>();
    for (const node of nodes) {
      for (const hash of hashes) {
        const body = await waitUntil(
          `tx ${hash} committed on node ${node.index}\n${tailOf(node)}`,
          async () => {
            const res = await getJson(`${node.apiUrl}/api/v1/txs/${hash}`);
            return res.body.status === 'committed' ? res.body : undefined;
          },
          20_000,
          50,
        );
        const where = `${body.height}:${body.index}`;
        const seen = locations.get(hash);
        if (seen === undefined) locations.set(hash, where);
        else assert.equal(where, seen, `tx ${hash} at ${where} on node ${node.index}, ${seen} elsewhere`);
      }
    }
    const unknown = await getJson(`${nodes[0].apiUrl}/api/v1/txs/0x${'ab'.repeat(32)}`);
    assert.equal(unknown.body.status, 'unknown');

    // 4. clean shutdown on SIGTERM
    const exits = await stopCleanly(nodes);
    for (const [i, e] of exits.entries())
      assert.deepEqual(e, { code: 0, signal: null }, `node ${i} exit\n${tailOf(nodes[i])}`);

    // 5. the stores: one chain, the same hashes and state roots, each tx exactly once
    const genesisHash = genesisBlockOf(net.genesis).hash;
    const stores = nodes.map((_, i) => LedgerStore.open(join(net.dir, `data-${i}`, 'chain'), genesisHash));
    try {
      const heights = stores.map((s) => s.head().height);
      const top = Math.max(...heights);
      const longest = stores[heights.indexOf(top)];
      for (const [i, store] of stores.entries()) {
        for (let h = 0; h <= store.head().height; h++) {
          const mine = store.getBlock(h)!;
          const ref = longest.getBlock(h)!;
          assert.equal(
            toHex(mine.header.stateRoot),
            toHex(ref.header.stateRoot),
            `state root, node ${i}, height ${h}`,
          );
          assert.equal(
            toHex(mine.header.parentHash),
            toHex(ref.header.parentHash),
            `parent, node ${i}, height ${h}`,
          );
        }
        const head = store.head();
        // every node's head is a block of the longest chain
        assert.equal(
          toHex(hashHeader(longest.getBlock(head.height)!.header)),
          toHex(head.hash),
          `head of node ${i}`,
        );
      }
      const count = new Map<string, number>();
      for (let h = 1; h <= top; h++) {
        for (const raw of longest.getBlock(h)!.transactions) {
          const tx = toHex(keccak256(raw));
          count.set(tx, (count.get(tx) ?? 0) + 1);
        }
      }
      for (const hash of hashes)
        assert.equal(count.get(hash), 1, `tx ${hash} committed ${count.get(hash) ?? 0} times`);
      assert.equal(count.size, hashes.length, 'no other transaction was committed');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
