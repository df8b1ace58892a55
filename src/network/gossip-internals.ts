/**
 * The parts of gossipsub 17 that are public on its class but missing from its exported
 * interface (FACTS.md: getMeshPeers / reportMessageValidationResult need a cast). Kept in
 * one place so an upgrade that changes them breaks here.
 */
import type { GossipSub, TopicValidatorResult } from '@libp2p/gossipsub';

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
}

export function gossipInternals(pubsub: GossipSub): GossipsubInternals {
  return pubsub as unknown as GossipsubInternals;
}

/** How many peers' gossip streams hold more than `bytes` unsent bytes. */
export function peersWithBacklogOver(pubsub: GossipSub, bytes: number): number {
  let count = 0;
  for (const stream of gossipInternals(pubsub).streamsOutbound.values()) {
    if (stream.rawStream.writeBufferLength > bytes) count++;
  }
  return count;
}
