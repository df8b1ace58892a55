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
 * Bounds, since a peer can make an attempt hang (its side never answers the stream's
 * protocol negotiation, which libp2p gives up on after seconds) and gossipsub's queue runs
 * one attempt at a time: the keeper adds to that queue only when it is empty, so its own
 * entries never pile up behind a hanging one and gossipsub's own (a peer connecting) never
 * wait behind more than one pass of the keeper's; within a pass the peers whose attempts
 * failed least go first, so an honest peer reconnecting is not queued behind one that
 * keeps failing; and a peer's attempts back off from RETRY_HEARTBEATS heartbeats,
 * doubling up to MAX_RETRY_HEARTBEATS. Work per heartbeat is one pass over the open
 * connections.
 */
import type { GossipSub } from '@libp2p/gossipsub';
import type { Connection, Libp2p } from '@libp2p/interface';
import { gossipInternals } from './gossip-internals.js';

/** Heartbeats before a peer's second attempt (an attempt negotiates one stream)... */
export const RETRY_HEARTBEATS = 3;
/** ...doubling with each attempt that opened nothing, up to this many. */
export const MAX_RETRY_HEARTBEATS = 96;

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
  if (typeof internals.outboundInflightQueue?.readableLength !== 'number')
    throw new Error('gossipsub has no outboundInflightQueue: gossip-internals.ts needs updating');
  /** Peers with an attempt that has not opened a stream yet: its heartbeat and their count. */
  const attempts = new Map<string, { atHeartbeat: number; count: number }>();
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
    for (const id of attempts.keys()) if (!newest.has(id)) attempts.delete(id);
    const previous = connectedBefore;
    connectedBefore = new Set(newest.keys());
    // an attempt still queued or negotiating: nothing is added behind it
    if (internals.outboundInflightQueue.readableLength > 0) return;
    const due: Array<{ id: string; connection: Connection; count: number }> = [];
    for (const [id, connection] of newest) {
      if (!previous.has(id)) continue;
      if (internals.streamsOutbound.has(id)) {
        attempts.delete(id);
        continue;
      }
      const last = attempts.get(id);
      const count = last?.count ?? 0;
      const waitHeartbeats = Math.min(MAX_RETRY_HEARTBEATS, RETRY_HEARTBEATS * 2 ** Math.max(0, count - 1));
      if (last !== undefined && heartbeat - last.atHeartbeat < waitHeartbeats) continue;
      due.push({ id, connection, count });
    }
    due.sort((a, b) => a.count - b.count);
    for (const { id, connection, count } of due) {
      attempts.set(id, { atHeartbeat: heartbeat, count: count + 1 });
      onReopen(id);
      // adds the peer back to the router when gossipsub dropped it, and queues the stream
      internals.onPeerConnected(connection.remotePeer, connection);
    }
  };

  pubsub.addEventListener('gossipsub:heartbeat', check);
  return {
    stop() {
      pubsub.removeEventListener('gossipsub:heartbeat', check);
      attempts.clear();
      connectedBefore.clear();
    },
  };
}
