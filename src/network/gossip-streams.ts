/**
 * Keeps a gossipsub outbound stream open to every connected peer.
 *
 * gossipsub 17 opens its one outbound stream to a peer only when the registrar reports the
 * peer connected or when the peer opens a stream to us, and it never opens another while
 * one exists. Two ordinary events then leave a peer that stays connected without any
 * stream, so that nothing this node publishes reaches it again (and, for a validator,
 * no proposal: it follows the chain by sync but never votes):
 * - a second connection to the peer opens beside the first (a redial after an outage that
 *   neither side noticed yet), then the first one, which carried the streams, closes:
 *   libp2p emits no peer:disconnect while the second stays, so gossipsub is told nothing;
 * - a stream is reset while its connection stays open: gossipsub forgets the peer (its
 *   read error counts as a disconnect, ChainSafe/js-libp2p-gossipsub#456) and the
 *   connection manager never reports it connected again.
 * libp2p/js-libp2p#3531 removed closed streams from gossipsub's registry but leaves
 * re-opening them as a follow-up. This module does it: after each gossipsub heartbeat it
 * re-announces, through gossipsub's own sequential queue, every peer with an open
 * connection that gossipsub has no outbound stream for. The peer's side then sees our new
 * inbound stream and opens its own outbound one in turn.
 *
 * Work per heartbeat is one pass over the open connections; a peer is re-announced at
 * most once per RETRY_HEARTBEATS heartbeats, so a peer whose streams keep failing costs
 * at most one stream negotiation every few seconds.
 */
import type { GossipSub } from '@libp2p/gossipsub';
import type { Connection, Libp2p } from '@libp2p/interface';
import { gossipInternals } from './gossip-internals.js';

/** Heartbeats between two attempts for the same peer (an attempt negotiates one stream). */
export const RETRY_HEARTBEATS = 3;

export interface GossipStreamKeeper {
  stop(): void;
}

export function keepGossipStreams(
  libp2p: Libp2p,
  pubsub: GossipSub,
  /** Called for each peer about to be re-announced (metrics, logs). */
  onReopen: (peerId: string) => void = () => {},
): GossipStreamKeeper {
  const internals = gossipInternals(pubsub);
  /** Peer -> the heartbeat of its last attempt; only peers with an attempt in flight. */
  const attemptedAt = new Map<string, number>();
  /** Peers connected at the previous heartbeat: a new connection is gossipsub's own to handle first. */
  let connectedBefore = new Set<string>();
  let heartbeat = 0;

  const check = () => {
    heartbeat++;
    const newest = new Map<string, Connection>();
    for (const connection of libp2p.getConnections()) {
      if (connection.status !== 'open') continue;
      // the newest open connection: an older one may be the half-dead one being replaced
      newest.set(connection.remotePeer.toString(), connection);
    }
    for (const id of attemptedAt.keys()) if (!newest.has(id)) attemptedAt.delete(id);
    const previous = connectedBefore;
    connectedBefore = new Set(newest.keys());
    for (const [id, connection] of newest) {
      if (!previous.has(id)) continue;
      if (internals.streamsOutbound.has(id)) {
        attemptedAt.delete(id);
        continue;
      }
      const last = attemptedAt.get(id);
      if (last !== undefined && heartbeat - last < RETRY_HEARTBEATS) continue;
      attemptedAt.set(id, heartbeat);
      onReopen(id);
      // adds the peer back to the router when gossipsub dropped it, and queues the stream
      internals.onPeerConnected(connection.remotePeer, connection);
    }
  };

  pubsub.addEventListener('gossipsub:heartbeat', check);
  return {
    stop() {
      pubsub.removeEventListener('gossipsub:heartbeat', check);
      attemptedAt.clear();
      connectedBefore.clear();
    },
  };
}
