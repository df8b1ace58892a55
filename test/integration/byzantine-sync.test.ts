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
import { after, before, describe, it } from 'node:test';
import { encodeBlock } from '../../src/chain/index.js';
import { syncProtocolFor } from '../../src/network/index.js';
import type { LedgerNode } from '../../src/node/index.js';
import type { LedgerStore } from '../../src/store/index.js';
import { Libp2pSyncNetwork, type SyncSource } from '../../src/sync/index.js';
import { waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';

const ADVERSARY = 3;
const FAR = 2 ** 40;

describe('block sync against a Byzantine validator with a genuine key (in-process nodes)', {
  timeout: 90_000,
}, () => {
  let net: ByzantineNet;
  let liarServer: Libp2pSyncNetwork;
  /** Sync requests the liar answered with its lie, and those it withheld. */
  const liar = { lied: 0, withheld: 0 };

  const storeOf = (n: LedgerNode) => (n as unknown as { store: LedgerStore }).store;
  const heights = () => net.nodes.map((n) => n.status().height);

  before(async () => {
    net = await byzantineNet({ chainId: 4344n, params: { baseRoundTimeoutMs: 300 } });
    // probe often, so the liar is asked many times within the test
    const sync = { probeIntervalMs: 300, peerHeadTtlMs: 200, tickMs: 50 };
    await Promise.all([0, 1, 2].map((i) => net.startNode(i, { sync })));
    const adversary = await net.startAdversary(ADVERSARY);
    // the lie: a head of 2^40; the first answers carry one genuine certified block, then nothing
    // genuine blocks come from whichever honest store holds them, so that a validator a
    // block behind the others is lied to, not only one behind node 0
    const genuine = (h: number) => net.nodes.map(storeOf).find((s) => s.getBlock(h) !== undefined);
    const lyingSource: SyncSource = {
      headHeight: () => FAR,
      getBlockBytes: (h) => {
        const block = liar.lied < 10 ? genuine(h)?.getBlock(h) : undefined;
        if (block) liar.lied++;
        else liar.withheld++;
        return block && encodeBlock(block);
      },
      getCommitQc: (h) => genuine(h)?.getCommitQc(h),
    };
    liarServer = new Libp2pSyncNetwork({
      libp2p: adversary.libp2p,
      protocol: syncProtocolFor(net.validatorSet.genesisId),
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
      throw new Error(`${(err as Error).message}\n${net.logs.slice(-20).join('\n')}`);
    });
  });

  after(async () => {
    await liarServer?.stop();
    await net?.stop();
  });

  it('a sync server that claims a head of 2^40 and then withholds never takes a validator out of consensus', async () => {
    await waitUntil(
      'the liar to be asked, lie with a genuine block, and withhold',
      async () => (liar.lied >= 1 && liar.withheld >= 3 ? true : undefined),
      30_000,
    );
    const before = Math.min(...heights());
    await waitUntil(
      'the honest validators to commit 5 more blocks while the liar keeps lying',
      async () => (Math.min(...heights()) >= before + 5 ? true : undefined),
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${net.logs.slice(-20).join('\n')}`);
    });
    const started = net.logs.filter((l) => /sync started/.test(l));
    assert.deepEqual(started, [], 'no honest validator left consensus');
    for (const n of net.nodes) assert.equal(n.status().syncing, false);
    assert.ok(liar.lied >= 1, `the liar answered ${liar.lied} requests with its lie and a genuine block`);
  });
});
