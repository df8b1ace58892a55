/**
 * The gossip publisher's flow control over a fake gossipsub: it pauses while more than
 * `maxLaggingPeers` peers' streams are backed up, and not for f lagging peers (a frozen
 * peer must not stop this node's proposals and timeouts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GossipSub } from '@libp2p/gossipsub';
import { emptyMetrics } from '../../../src/network/network.js';
import { DEFAULT_NETWORK_OPTIONS } from '../../../src/network/options.js';
import { GossipPublisher } from '../../../src/network/publisher.js';
import { topicsFor } from '../../../src/network/topics.js';
import { systemClock } from '../../../src/time/index.js';
import { waitFor } from './helpers.js';

const BOUND = 1000;

function fakePubsub(backlogs: number[]) {
  const published: Uint8Array[] = [];
  const streamsOutbound = new Map<string, { rawStream: { writeBufferLength: number } }>(
    backlogs.map((b, i) => [`peer-${i}`, { rawStream: { writeBufferLength: b } }]),
  );
  const pubsub = {
    streamsOutbound,
    // gossip-internals.ts checks that gossipsub still has the internals it relies on
    onPeerConnected() {},
    publish: async (_topic: string, data: Uint8Array) => {
      published.push(data);
      return { recipients: [] };
    },
  } as unknown as GossipSub;
  return { pubsub, published, streamsOutbound };
}

function publisherOver(pubsub: GossipSub, maxLaggingPeers: number, observers: string[] = []) {
  const metrics = emptyMetrics();
  const publisher = new GossipPublisher(
    { ...DEFAULT_NETWORK_OPTIONS, gossipBacklogMaxBytes: BOUND, backlogPollMs: 5, maxLaggingPeers },
    {
      pubsub,
      topics: topicsFor(new Uint8Array(32)),
      metrics,
      logger: { info() {}, warn() {}, debug() {} },
      clock: systemClock,
      isValidatorPeer: (peer) => !observers.includes(peer),
    },
  );
  publisher.start();
  return { publisher, metrics };
}

describe('gossip publisher flow control', () => {
  it('keeps publishing while at most f peers are backed up', async () => {
    const { pubsub, published } = fakePubsub([0, 10 * BOUND, 0]);
    const { publisher, metrics } = publisherOver(pubsub, 1);
    for (let i = 0; i < 5; i++) publisher.enqueue('proposal', Uint8Array.of(i));
    await waitFor('5 published despite one frozen peer', () => published.length === 5);
    assert.equal(metrics.backpressurePauses, 0);
    publisher.stop();
  });

  it('never pauses for observers, however backed up', async () => {
    const { pubsub, published } = fakePubsub([10 * BOUND, 10 * BOUND, 0]);
    const { publisher, metrics } = publisherOver(pubsub, 1, ['peer-0']);
    for (let i = 0; i < 5; i++) publisher.enqueue('proposal', Uint8Array.of(i));
    await waitFor('5 published: one validator and one observer lag', () => published.length === 5);
    assert.equal(metrics.backpressurePauses, 0);
    publisher.stop();
  });

  it('pauses while more than f peers are backed up, and resumes when they drain', async () => {
    const { pubsub, published, streamsOutbound } = fakePubsub([0, 10 * BOUND, 2 * BOUND]);
    const { publisher, metrics } = publisherOver(pubsub, 1);
    for (let i = 0; i < 5; i++) publisher.enqueue('timeout', Uint8Array.of(i));
    await waitFor('a pause', () => metrics.backpressurePauses > 0);
    assert.equal(published.length, 0);
    assert.equal(publisher.queued('timeout'), 5);
    streamsOutbound.get('peer-2')!.rawStream.writeBufferLength = 0;
    await waitFor('5 published after one peer drained', () => published.length === 5);
    publisher.stop();
  });
});
