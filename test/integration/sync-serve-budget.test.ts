/**
 * Issue 10 item 3, the sync protocol's side: a 10-byte request returns up to 32 blocks, so
 * a Byzantine validator (validator 3's genuine key) asking again and again, or opening
 * streams it never finishes, must not make the server read and send without bound. Real
 * libp2p networks on loopback, the real Libp2pSyncNetwork on both ends, the server's chain
 * in memory (40 committed blocks of 32 kB).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNetwork, frame, type Network, syncProtocolFor } from '../../src/network/index.js';
import { encodeSyncRequest, MAX_BLOCKS_PER_REQUEST } from '../../src/sync/codec.js';
import type { SyncSource } from '../../src/sync/interface.js';
import { Libp2pSyncNetwork } from '../../src/sync/libp2p.js';
import { fixture, verifierOf, waitFor } from '../unit/network/helpers.js';

const f = fixture(4);
const protocol = syncProtocolFor(f.validatorSet.genesisId);
const BLOCK_BYTES = 32 * 1024;
const HEAD = 40;
const source: SyncSource = {
  headHeight: () => HEAD,
  getBlockBytes: (h) => (h >= 1 && h <= HEAD ? new Uint8Array(BLOCK_BYTES).fill(h) : undefined),
  getCommitQc: (h) => (h >= 1 && h <= HEAD ? new Uint8Array(100).fill(h) : undefined),
};
const silent = { info() {}, warn() {}, debug() {} };

async function startPeer(index: number): Promise<{ net: Network; sync: Libp2pSyncNetwork }> {
  const net = await createNetwork(
    { listenAddresses: ['/ip4/127.0.0.1/tcp/0'], redialMinDelayMs: 50, redialMaxDelayMs: 400 },
    {
      genesis: f.genesis,
      validatorSet: f.validatorSet,
      verifier: verifierOf(f),
      secretKey: f.secrets[index],
      onConsensusMessage() {},
      onTransactions: () => undefined,
    },
  );
  await net.start();
  const sync = new Libp2pSyncNetwork({
    libp2p: net.libp2p,
    protocol,
    maxFrameBytes: BLOCK_BYTES + 1024,
    peers: () => net.connectedPeers(),
    penalize() {},
    maxInboundStreams: 4,
    server: { requestReadTimeoutMs: 300, maxConcurrentServes: 4 },
    logger: silent,
  });
  await sync.start(source, 5_000);
  return { net, sync };
}

describe('sync server budgets: a Byzantine validator against the server', { timeout: 60_000 }, () => {
  let server: Awaited<ReturnType<typeof startPeer>>;
  let attacker: Awaited<ReturnType<typeof startPeer>>;
  let honest: Awaited<ReturnType<typeof startPeer>>;
  /** A second Byzantine key, whose request budget the first test leaves whole. */
  let holder: Awaited<ReturnType<typeof startPeer>>;

  before(async () => {
    [server, attacker, honest, holder] = await Promise.all([
      startPeer(0),
      startPeer(3),
      startPeer(1),
      startPeer(2),
    ]);
    for (const p of [attacker, honest, holder]) p.net.addBootstrap(server.net.getMultiaddrs()[0]);
    await waitFor('all connected to the server', () =>
      [attacker, honest, holder].every((p) => server.net.connectedPeers().includes(p.net.peerId)),
    );
  });

  after(async () => {
    await Promise.all([server, attacker, honest, holder].filter(Boolean).map((p) => p.net.stop()));
  });

  it('a peer that opens streams and never reads the answers holds at most its share of the serve slots', async () => {
    const request = encodeSyncRequest({ fromHeight: 1, count: MAX_BLOCKS_PER_REQUEST });
    const refusedBefore = server.sync.serverStats().refused;
    // as many streams as the server has slots (4 here), each a full request whose answer
    // (1 MiB) is never read: the server's writes wait for a window that never opens
    const streams = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const stream = await holder.net.libp2p.dialProtocol(server.net.libp2p.peerId, protocol);
        try {
          stream.send(frame(request));
          await stream.close();
        } catch {
          // the server may refuse (abort) the stream before the request is out
        }
        return stream;
      }),
    );
    try {
      await waitFor(
        'the server to refuse the streams past the per-peer share',
        () => server.sync.serverStats().refused >= refusedBefore + 2,
        3_000,
      );
      // the honest validator is served while the holder keeps its streams open
      const frames = await honest.sync.request(server.net.peerId, request, 3_000);
      assert.equal(frames.length, 1 + MAX_BLOCKS_PER_REQUEST);
    } finally {
      for (const stream of streams) stream.abort(new Error('done'));
    }
  });

  it('full-range requests as fast as the streams allow are served within the budgets', async (t) => {
    const request = encodeSyncRequest({ fromHeight: 1, count: MAX_BLOCKS_PER_REQUEST });
    const requests = 100;
    let served = 0;
    let blocks = 0;
    let refused = 0;
    const startedMs = performance.now();
    // four at a time: the most streams one connection may have open on the protocol
    for (let i = 0; i < requests; i += 4) {
      await Promise.all(
        Array.from({ length: 4 }, () =>
          attacker.sync.request(server.net.peerId, request, 5_000).then(
            (frames) => {
              if (frames.length > 1) served++;
              blocks += frames.length - 1;
            },
            () => {
              refused++;
            },
          ),
        ),
      );
    }
    const elapsedS = (performance.now() - startedMs) / 1000;
    t.diagnostic(
      `${requests} requests in ${elapsedS.toFixed(2)} s: ${served} answered with blocks (${blocks} blocks, ` +
        `${((blocks * BLOCK_BYTES) / 2 ** 20).toFixed(1)} MiB), ${refused} refused`,
    );
    // the defaults: 20 requests, then 10 a second
    assert.ok(
      served <= 20 + 10 * elapsedS + 2,
      `served ${served} of ${requests} in ${elapsedS.toFixed(2)} s`,
    );
    assert.ok(refused > 0);
    // the honest validator is still served (budgets are per peer)
    const frames = await honest.sync.request(server.net.peerId, request, 5_000);
    assert.equal(frames.length, 1 + MAX_BLOCKS_PER_REQUEST);
  });

  it('a request stream that never finishes its request is closed at the read deadline', async () => {
    // the holder: the attacker spent its request budget above, and a stream over budget is
    // refused when it opens
    const stream = await holder.net.libp2p.dialProtocol(server.net.libp2p.peerId, protocol);
    let closed = false;
    stream.addEventListener('close', () => {
      closed = true;
    });
    stream.send(new Uint8Array([0, 0, 0])); // three bytes of a length prefix, and nothing more
    await waitFor('the server to close the stream', () => closed, 3_000);
    assert.ok(server.sync.serverStats().readTimeouts >= 1);
  });
});
