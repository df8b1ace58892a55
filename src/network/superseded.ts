/**
 * Closes a connection its peer has given up on.
 *
 * When a link goes dark for a while (a cut cable, a partition, a host paused), each side
 * finds out on its own: libp2p's connection monitor aborts a connection whose ping goes
 * unanswered, and the redialer dials again. The side that did not notice yet still holds
 * its old connection as open: TCP retransmits what it has queued with a backoff that
 * doubles, so the old connection carries nothing for seconds after the link is back (until
 * the next retransmission meets the peer's reset). gossipsub and the direct protocol keep
 * using it, so the node's messages to that peer are lost meanwhile, although the peer's new
 * connection beside it works.
 *
 * A peer that dials this node while they already share an open connection has lost that
 * connection on its side: libp2p's dialer reuses any open connection to the peer. So an
 * inbound connection supersedes the older ones to the same peer. Each is closed, so what
 * it still has to send goes first if it can, and aborted if that takes longer than
 * CLOSE_GRACE_MS (on a dead link it would wait for good). Only connections older than the new one by
 * `afterMs` (the network's supersededAfterMs): two nodes that dial each other at the same time each open one
 * connection, both new, and neither closes the other's. gossip-streams.ts then moves
 * gossip onto the new connection, and the direct protocol opens its next stream there.
 *
 * A peer can only supersede its own connections (noise authenticates the peer id), so a
 * peer that dials again and again costs itself, not the node's other peers.
 */
import type { Connection, Libp2p } from '@libp2p/interface';

/** How long a superseded connection may take to close before it is aborted. */
export const CLOSE_GRACE_MS = 500;

export interface SupersededCloser {
  stop(): void;
}

export function closeSupersededConnections(
  libp2p: Pick<Libp2p, 'addEventListener' | 'removeEventListener' | 'getConnections'>,
  afterMs: number,
  /** Called for each superseded connection, as its close begins (metrics, logs). */
  onClose: (peerId: string) => void = () => {},
): SupersededCloser {
  const onOpen = (event: CustomEvent<Connection>) => {
    const fresh = event.detail;
    if (fresh.direction !== 'inbound') return;
    const peer = fresh.remotePeer;
    for (const old of libp2p.getConnections(peer)) {
      if (old === fresh || old.status !== 'open') continue;
      if (fresh.timeline.open - old.timeline.open < afterMs) continue;
      onClose(peer.toString());
      old
        .close({ signal: AbortSignal.timeout(CLOSE_GRACE_MS) })
        .catch(() => old.abort(new Error('superseded by a newer connection from the same peer')));
    }
  };
  libp2p.addEventListener('connection:open', onOpen);
  return {
    stop() {
      libp2p.removeEventListener('connection:open', onOpen);
    },
  };
}
