/**
 * Four validators on four "hosts" (issue 14): each `ledger node` in its own Linux network
 * namespace, the namespaces joined by veth pairs and a bridge, every link delayed 20-50 ms
 * by a relay in the root namespace and every namespace dropping 1% of its input packets
 * with nftables (test/netns). Under a load of transfers posted to the nodes' APIs from the
 * root namespace:
 * - the network commits, and the nodes' traffic goes through the relays only;
 * - one host cut off (all its traffic dropped) and restored: the others keep committing,
 *   and it catches up;
 * - the network cut in two halves of two: no half commits; healed, commits resume;
 * - at the end every transaction accepted is committed, once, and all nodes hold the same
 *   block and state root at one height, with no evidence of a double vote.
 * Skipped, with the reason printed, only where `ip netns add` itself fails (it needs
 * CAP_SYS_ADMIN).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../src/crypto/bytes.js';
import { addressOf } from '../../src/crypto/keys.js';
import { signTransfer } from '../../src/tx/index.js';
import { Cluster } from '../netns/cluster.js';
import {
  bypassAttempts,
  CONTROL_ADDRESS,
  cut,
  establishedRemotes,
  heal,
  standInAddressOf,
  whyNamespacesUnavailable,
} from '../netns/topology.js';
import { getJson, metricsOf, type NodeProcess, postJson, tailOf, waitUntil } from './helpers.js';

const N = 4;
const SENDERS = 4;
const TXS_PER_SENDER = 150;
const LOAD_INTERVAL_MS = 50;
/**
 * Transfers go to hosts 0-2 only: host 3 is the one cut off, and a transfer only it holds
 * waits for it to propose (see the report of issue 14: a restored host follows by sync).
 */
const LOADED_HOSTS = 3;
const GWEI = 1_000_000_000n;
/** Blocks the others commit while one host is cut off. */
const BLOCKS_WHILE_CUT = 12;
/** Repeats of its partner's timeout each node of a half processes while watched committing nothing. */
const NO_QUORUM_REPEATS = 3;

/** Prints how long each phase of a test took, as it ends (so the phases before a failure show). */
class PhaseClock {
  private last = performance.now();
  lap(phase: string): void {
    const now = performance.now();
    console.log(`# ${phase}: ${Math.round(now - this.last)} ms`);
    this.last = now;
  }
}

const unavailable = await whyNamespacesUnavailable();
if (unavailable) console.log(`# multi-host test skipped: ${unavailable}`);

describe('four validators on four network namespaces', {
  timeout: 150_000,
  skip: unavailable ?? false,
}, () => {
  const cluster = new Cluster({
    validators: N,
    senders: SENDERS,
    baseRoundTimeoutMs: 300,
    lossPercent: 1,
    minDelayMs: 20,
    maxDelayMs: 50,
    seed: Number(process.env.NETNS_SEED ?? 14),
    logLevel: process.env.E2E_LOG_LEVEL ?? 'warn',
  });
  /** Per sender: transfers the node answered 202, and whether one answer was lost. */
  const accepted = new Array<number>(SENDERS).fill(0);
  const uncertain = new Array<boolean>(SENDERS).fill(false);
  let load: NodeJS.Timeout | undefined;
  /** Submissions not answered yet: the count of a sender's transfers waits for them. */
  const inFlight = new Set<Promise<void>>();
  let loadError: Error | undefined;

  const nodes = (): NodeProcess[] => cluster.nodes;
  const status = async (node: NodeProcess) => (await getJson(`${node.apiUrl}/api/v1/status`)).body;
  const height = async (node: NodeProcess) => (await status(node)).height ?? 0;
  /** Where `node`'s consensus stands: its round and the highest round it timed out in. */
  const consensusOf = async (node: NodeProcess) =>
    (
      await getJson<{ consensus: { round: number; highestTimeoutRound: number } }>(
        `${node.apiUrl}/api/v1/metrics`,
      )
    ).body.consensus;
  /** Timeout messages `node` received, gossiped or direct (where repeats travel), any verdict. */
  const timeoutsReceivedBy = async (node: NodeProcess) => {
    const res = await fetch(`${node.apiUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
    const lines = (await res.text()).matchAll(
      /^ledger_gossip_messages_total\{topic="timeout",[^}]*\} (\d+)$/gm,
    );
    return [...lines].reduce((sum, m) => sum + Number(m[1]), 0);
  };

  /** Resolves once `node` has committed `target` blocks; a timeout says where all stood. */
  const reach = async (node: NodeProcess, target: number, what: string, timeoutMs = 30_000) => {
    try {
      await waitUntil(
        `${what} (node ${node.index} to reach height ${target})\n${tailOf(node)}`,
        async () => ((await height(node)) >= target ? true : undefined),
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await metricsOf(nodes())}`);
    }
  };

  before(async () => {
    await cluster.start();
    for (const node of nodes()) {
      await waitUntil(
        `node ${node.index} to serve status with ${N - 1} peers and height >= 2\n${tailOf(node)}`,
        async () => {
          if (node.child.exitCode !== null) throw new Error(`node ${node.index} exited\n${tailOf(node)}`);
          const body = await status(node);
          return (body.peers ?? 0) >= N - 1 && (body.height ?? 0) >= 2 ? true : undefined;
        },
        60_000, // a cold machine compiles the TypeScript of 4 processes at once
      );
    }
    // pre-signed, so the load costs this process posts only; sender s posts to one node,
    // one transfer at a time, so its nonces arrive in order
    const { net } = cluster;
    const raws = net.senders.map((secret, s) =>
      Array.from({ length: TXS_PER_SENDER }, (_, nonce) =>
        toHex(
          signTransfer(
            {
              chainId: net.genesis.chainId,
              nonce: BigInt(nonce),
              maxPriorityFeePerGas: GWEI,
              maxFeePerGas: 2n * GWEI,
              gasLimit: 21_000n,
              to: net.genesis.validators[(s + nonce) % N].address,
              value: 1000n + BigInt(nonce),
            },
            secret,
          ).raw,
        ),
      ),
    );
    const busy = new Array<boolean>(SENDERS).fill(false);
    let tick = 0;
    load = setInterval(() => {
      const s = tick++ % SENDERS;
      if (busy[s] || uncertain[s] || accepted[s] >= TXS_PER_SENDER) return;
      busy[s] = true;
      const submission = postJson(`${nodes()[s % LOADED_HOSTS].apiUrl}/api/v1/txs`, raws[s][accepted[s]])
        .then((res) => {
          if (res.status === 202) accepted[s]++;
          // more than the mempool keeps ahead of the committed nonce (a partition): later
          else if (res.body.error === 'NONCE_TOO_HIGH') return;
          else loadError ??= new Error(`sender ${s}: submission refused: ${JSON.stringify(res.body)}`);
        })
        .catch(() => {
          // the answer was lost (a timeout under loss): the transfer may or may not be in
          uncertain[s] = true;
        })
        .finally(() => {
          busy[s] = false;
          inFlight.delete(submission);
        });
      inFlight.add(submission);
    }, LOAD_INTERVAL_MS);
  });

  after(async () => {
    clearInterval(load);
    await cluster.stop();
  });

  it('commits under delay and loss, with every byte between hosts through the relays', async () => {
    const start = await height(nodes()[0]);
    const bytesBefore = [cluster.relayedBytes(0, 1), cluster.relayedBytes(2, 3)];
    for (const node of nodes()) await reach(node, start + 20, 'the network to commit under load', 60_000);
    assert.ok(
      accepted.reduce((a, b) => a + b, 0) > 20,
      `only ${accepted.join('+')} transfers accepted (load error: ${loadError?.message})`,
    );
    // every pair of hosts exchanged bytes through its relay, and more while committing
    for (let a = 0; a < N; a++)
      for (let b = a + 1; b < N; b++)
        assert.ok(cluster.relayedBytes(a, b) > 0, `no bytes relayed between hosts ${a} and ${b}`);
    assert.ok(cluster.relayedBytes(0, 1) > bytesBefore[0], 'the relay of hosts 0 and 1 carried nothing new');
    assert.ok(cluster.relayedBytes(2, 3) > bytesBefore[1], 'the relay of hosts 2 and 3 carried nothing new');
    // no connection around them: every peer a namespace talks to is a relay's stand-in
    const allowed = new Set([CONTROL_ADDRESS, ...Array.from({ length: N }, (_, k) => standInAddressOf(k))]);
    for (let i = 0; i < N; i++) {
      const remotes = await establishedRemotes(i);
      assert.ok(remotes.length >= N - 1, `host ${i} has ${remotes.length} connections: ${remotes}`);
      for (const r of remotes) assert.ok(allowed.has(r), `host ${i} is connected to ${r}, around the relays`);
    }
    const bypass = await Promise.all(nodes().map((n) => bypassAttempts(n.index)));
    console.log(
      `# relayed bytes per link: ${[...cluster.delays.keys()]
        .map((k) => {
          const [a, b] = k.split('-').map(Number);
          return `${k} (${cluster.delayOf(a, b)} ms): ${cluster.relayedBytes(a, b)}`;
        })
        .join(', ')}; direct dials refused per host: ${bypass.join(', ')}; announce: ${cluster.announces}`,
    );
    if (cluster.announces)
      assert.deepEqual(bypass, [0, 0, 0, 0], 'a node dialled a direct address although all announce relays');
  });

  it('a host cut off and restored: the others keep committing, and it catches up', async () => {
    const victim = 3;
    await cut(victim, [], true);
    let atCut: number;
    try {
      atCut = await height(nodes()[0]);
      for (const i of [0, 1, 2])
        await reach(nodes()[i], atCut + BLOCKS_WHILE_CUT, 'three hosts to keep committing');
      const victimHeight = await height(nodes()[victim]);
      assert.ok(
        victimHeight <= atCut + 2,
        `the cut-off host went on committing: ${victimHeight} while the others were at ${atCut}`,
      );
    } finally {
      await heal(victim);
    }
    const atHeal = await height(nodes()[0]);
    const phases = new PhaseClock();
    await reach(nodes()[victim], atHeal, 'the restored host to catch up');
    phases.lap('catch-up');
    await reach(nodes()[0], atHeal + 5, 'the chain to stay live after the restore');
    phases.lap('5 blocks after the restore');
    // it takes part again, not only follows: with another host cut off, hosts 1, 2 and the
    // restored one are the only quorum left, so the chain commits only with its votes
    const other = 0;
    await cut(other, [], true);
    try {
      const atSecondCut = Math.max(...(await Promise.all([1, 2, victim].map((i) => height(nodes()[i])))));
      for (const i of [1, 2, victim])
        await reach(nodes()[i], atSecondCut + 5, 'the restored host to vote again (the only quorum left)');
      phases.lap('5 blocks with the restored host in the only quorum');
    } finally {
      await heal(other);
    }
    await reach(nodes()[other], await height(nodes()[1]), 'the second host cut off to catch up');
    phases.lap('the second host to catch up');
  });

  it('two halves: neither commits; healed, commits resume with no fork', async () => {
    const halves = [
      [0, 1],
      [2, 3],
    ];
    for (const [mine, other] of [halves, [halves[1], halves[0]]]) for (const i of mine) await cut(i, other);
    let settled: number[];
    try {
      // a half of two holds no quorum: it can neither certify a block nor form a timeout
      // certificate, so its round stands still. Once every node has timed out in its round
      // (before the cut, or after it) nothing in flight from before the cut can still
      // commit; from then on each node must be seen running consensus without committing:
      // it processes its partner's timeout, repeated every round timeout, several times over
      let standing: Array<{ round: number; highestTimeoutRound: number }> = [];
      await waitUntil(
        'every node to time out in its round, in its half',
        async () => {
          standing = await Promise.all(nodes().map(consensusOf));
          return standing.every((c) => c.highestTimeoutRound >= c.round) ? true : undefined;
        },
        20_000,
      ).catch((err: Error) => {
        const where = standing.map(
          (c, i) => `node ${i}: round ${c.round}, timed out in ${c.highestTimeoutRound}`,
        );
        throw new Error(`${err.message} (${where.join('; ')})`);
      });
      settled = await Promise.all(nodes().map(height));
      const repeatsAtSettled = await Promise.all(nodes().map(timeoutsReceivedBy));
      await waitUntil(
        `every node to process ${NO_QUORUM_REPEATS} repeats of its partner's timeout`,
        async () =>
          (await Promise.all(nodes().map(timeoutsReceivedBy))).every(
            (t, i) => t >= repeatsAtSettled[i] + NO_QUORUM_REPEATS,
          )
            ? true
            : undefined,
        20_000,
      );
      const later = await Promise.all(nodes().map(height));
      // nothing above what was committed before the cut; a node that was behind its partner
      // may still commit up to it (its partner's messages carry the certificates), and then
      // exactly the blocks a node that had them at the cut holds
      const highest = Math.max(...settled);
      assert.ok(
        later.every((h) => h <= highest),
        `a half without a quorum committed: heights ${later}, at most ${highest} before`,
      );
      const holder = nodes()[settled.indexOf(highest)];
      const hashAt = async (n: NodeProcess, h: number) =>
        (await getJson<{ hash: string }>(`${n.apiUrl}/api/v1/blocks/${h}`)).body.hash;
      for (const node of nodes())
        for (let h = settled[node.index] + 1; h <= later[node.index]; h++)
          assert.equal(await hashAt(node, h), await hashAt(holder, h), `node ${node.index}, height ${h}`);
    } finally {
      for (let i = 0; i < N; i++) await heal(i);
    }
    const top = Math.max(...settled);
    for (const node of nodes()) await reach(node, top + 5, 'commits to resume once healed');
    // no fork: every node holds the same block at the first height past the partition
    const blocks = await Promise.all(
      nodes().map(
        async (n) => (await getJson<{ hash: string }>(`${n.apiUrl}/api/v1/blocks/${top + 1}`)).body.hash,
      ),
    );
    assert.equal(new Set(blocks).size, 1, `blocks at height ${top + 1}: ${blocks}`);
  });

  it('every transfer accepted is committed once, and all nodes agree on the state root', async () => {
    clearInterval(load);
    load = undefined;
    await Promise.all(inFlight); // a 202 still on its way counts
    assert.equal(loadError, undefined, `the load failed: ${loadError?.message}`);
    const { net } = cluster;
    // a sender's committed nonce counts its transfers: each committed once, none lost
    for (let s = 0; s < SENDERS; s++) {
      const address = toHex(addressOf(net.senders[s]));
      const expected = [accepted[s], ...(uncertain[s] ? [accepted[s] + 1] : [])];
      const nonces = async () =>
        Promise.all(
          nodes().map(async (n) => {
            const { body } = await getJson<{ nonce: string; pendingNonce: string }>(
              `${n.apiUrl}/api/v1/accounts/${address}`,
            );
            return `node ${n.index}: nonce ${body.nonce}, pending ${body.pendingNonce}`;
          }),
        );
      try {
        await waitUntil(
          `sender ${s}'s ${expected.join(' or ')} transfers committed on node 0`,
          async () => {
            const { body } = await getJson<{ nonce: string }>(
              `${nodes()[0].apiUrl}/api/v1/accounts/${address}`,
            );
            return expected.includes(Number(body.nonce)) ? true : undefined;
          },
          30_000,
        );
      } catch (err) {
        throw new Error(
          `${(err as Error).message}\n${(await nonces()).join('\n')}\n${await metricsOf(nodes())}`,
        );
      }
    }
    const top = await height(nodes()[0]);
    for (const node of nodes()) await reach(node, top, 'every node to hold every transfer');
    const views = await Promise.all(
      nodes().map(
        async (n) =>
          (await getJson<{ hash: string; stateRoot: string }>(`${n.apiUrl}/api/v1/blocks/${top}`)).body,
      ),
    );
    for (const [i, v] of views.entries()) {
      assert.equal(v.hash, views[0].hash, `block at height ${top} on node ${i}`);
      assert.equal(v.stateRoot, views[0].stateRoot, `state root at height ${top} on node ${i}`);
    }
    for (const node of nodes()) {
      const { body } = await getJson<{ evidence: unknown[] }>(`${node.apiUrl}/api/v1/evidence`);
      assert.deepEqual(body.evidence, [], `evidence held by node ${node.index}`);
    }
  });
});
