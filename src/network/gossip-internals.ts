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

/** The largest number of unsent bytes queued on any peer's gossip stream. */
export function gossipBacklogBytes(pubsub: GossipSub): number {
  let max = 0;
  for (const stream of gossipInternals(pubsub).streamsOutbound.values()) {
    const n = stream.rawStream.writeBufferLength;
    if (n > max) max = n;
  }
  return max;
}
