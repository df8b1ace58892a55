/**
 * The gossip stream keeper's bounds (src/network/gossip-streams.ts) against a peer that makes
 * each attempt to open our gossip stream hang until libp2p's protocol negotiation gives up:
 * the real gossipsub 17 (its sequential outbound queue and createOutboundStream) on stub
 * libp2p components, heartbeats driven by hand. Before the bounds, the keeper queued a new
 * attempt every few heartbeats whether or not the last one had finished: the queue grew
 * without end and an honest peer reconnecting waited behind it for good.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { gossipsub } from '@libp2p/gossipsub';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { gossipInternals } from '../../../src/network/gossip-internals.js';
import { keepGossipStreams, MAX_RETRY_HEARTBEATS } from '../../../src/network/gossip-streams.js';

/** gossipsub's default heartbeat, in simulated time. */
const HEARTBEAT_MS = 700;
/** How long libp2p waits for a stream's protocol negotiation before it gives up. */
const NEGOTIATION_TIMEOUT_MS = 10_000;

const turn = () => new Promise((resolve) => setImmediate(resolve));
const silentLog = Object.assign(() => {}, { error() {}, trace() {}, enabled: false });

it('a peer that stalls every stream negotiation neither grows the outbound queue nor delays an honest peer for good', async () => {
  const selfKey = await generateKeyPair('Ed25519');
  const attacker = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
  const honest = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));

  let nowMs = 0;
  const hanging: Array<{ deadlineMs: number; fail: (err: Error) => void }> = [];
  const attempted = { attacker: 0, honest: 0 };
  const connectionTo = (peer: PeerId, newStream: () => Promise<never>) => ({
    status: 'open',
    remotePeer: peer,
    direction: 'outbound',
    remoteAddr: multiaddr('/ip4/10.0.0.2/tcp/4001'),
    newStream,
  });
  // the attacker never answers multistream-select: libp2p aborts each attempt after a timeout
  const attackerConnection = connectionTo(attacker, () => {
    attempted.attacker++;
    return new Promise<never>((_, fail) =>
      hanging.push({ deadlineMs: nowMs + NEGOTIATION_TIMEOUT_MS, fail }),
    );
  });
  // the honest peer's attempts are only counted (and end at once): reaching it is what the test asks
  const honestConnection = connectionTo(honest, () => {
    attempted.honest++;
    return Promise.reject(new Error('counted'));
  });
  const connections: unknown[] = [attackerConnection];

  const pubsub = gossipsub({ heartbeatInterval: 3_600_000 })({
    peerId: peerIdFromPrivateKey(selfKey),
    privateKey: selfKey,
    logger: { forComponent: () => silentLog },
    peerStore: { merge: async () => {}, get: async () => ({}) },
    registrar: {
      handle: async () => {},
      unhandle: async () => {},
      register: async () => 'id',
      unregister() {},
    },
    connectionManager: { getConnections: () => connections },
  } as never);
  const lifecycle = pubsub as unknown as { start(): Promise<void>; stop(): Promise<void> };
  await lifecycle.start();
  const queue = gossipInternals(pubsub).outboundInflightQueue;
  const keeper = keepGossipStreams({ getConnections: () => connections } as never, pubsub);

  let longestQueue = 0;
  const heartbeats = async (count: number) => {
    for (let i = 0; i < count; i++) {
      nowMs += HEARTBEAT_MS;
      for (let k = hanging.length - 1; k >= 0; k--)
        if (hanging[k].deadlineMs <= nowMs) hanging.splice(k, 1)[0].fail(new Error('negotiation timed out'));
      for (let k = 0; k < 3; k++) await turn();
      pubsub.dispatchEvent(new CustomEvent('gossipsub:heartbeat'));
      for (let k = 0; k < 3; k++) await turn();
      longestQueue = Math.max(longestQueue, queue.readableLength);
    }
  };

  try {
    const tenMinutes = Math.round(600_000 / HEARTBEAT_MS);
    await heartbeats(tenMinutes);
    assert.ok(attempted.attacker >= 1, 'the keeper tried the peer without a stream');
    // backed off: at most one attempt per MAX_RETRY_HEARTBEATS once the doubling is capped
    assert.ok(
      attempted.attacker <= 8 + tenMinutes / MAX_RETRY_HEARTBEATS,
      `${attempted.attacker} attempts in ten minutes`,
    );
    // an honest validator (re)connects and the registrar reports it, as gossipsub expects
    connections.push(honestConnection);
    (pubsub as unknown as { onPeerConnected: (p: PeerId, c: unknown) => void }).onPeerConnected(
      honest,
      honestConnection,
    );
    // one negotiation timeout (the attacker's attempt it may queue behind) and a heartbeat
    await heartbeats(Math.ceil(NEGOTIATION_TIMEOUT_MS / HEARTBEAT_MS) + 2);
    assert.ok(attempted.honest >= 1, "the honest peer's stream was attempted within one negotiation timeout");
    await heartbeats(tenMinutes);
    assert.ok(longestQueue <= 2, `the outbound queue held ${longestQueue} entries at most, one per peer`);
  } finally {
    keeper.stop();
    for (const h of hanging.splice(0)) h.fail(new Error('test over'));
    // gossipsub's stop() leaves its next heartbeat (an hour away here) scheduled
    clearTimeout(
      (pubsub as unknown as { status: { heartbeatTimeout?: NodeJS.Timeout } }).status.heartbeatTimeout,
    );
    await lifecycle.stop();
  }
});
