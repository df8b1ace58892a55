/**
 * The parts of gossipsub 17 that are public on its class but missing from its exported
 * interface (FACTS.md: getMeshPeers / reportMessageValidationResult need a cast). Kept in
 * one place so an upgrade that changes them breaks here.
 */
import type { GossipSub, TopicValidatorResult } from '@libp2p/gossipsub';
import type { Connection, PeerId } from '@libp2p/interface';

export interface GossipsubInternals {
  getMeshPeers(topic: string): string[];
  getScore(peerId: string): number;
  reportMessageValidationResult(
    msgId: string,
    propagationSource: string,
    acceptance: TopicValidatorResult,
  ): void;
  /** Per-peer outbound gossip streams; their unsent bytes are gossipsub's queue. */
  readonly streamsOutbound: Map<string, { rawStream: { writeBufferLength: number } }>;
  /**
   * What the registrar calls when a peer connects: adds the peer to the router when it is
   * missing and queues its outbound stream on gossipsub's sequential queue (gossip-streams.ts).
   */
  onPeerConnected(peerId: PeerId, connection: Connection): void;
  /** The queue of outbound streams to open, one at a time (entries not yet taken). */
  readonly outboundInflightQueue: { readonly readableLength: number };
}

export function gossipInternals(pubsub: GossipSub): GossipsubInternals {
  const internals = pubsub as unknown as GossipsubInternals;
  if (typeof internals.onPeerConnected !== 'function' || !(internals.streamsOutbound instanceof Map))
    throw new Error('gossipsub lacks onPeerConnected or streamsOutbound: gossip-internals.ts needs updating');
  return internals;
}

/** How many of the peers that `counts` selects hold more than `bytes` unsent gossip bytes. */
export function peersWithBacklogOver(
  pubsub: GossipSub,
  bytes: number,
  counts: (peerId: string) => boolean,
): number {
  let count = 0;
  for (const [peer, stream] of gossipInternals(pubsub).streamsOutbound) {
    if (stream.rawStream.writeBufferLength > bytes && counts(peer)) count++;
  }
  return count;
}
