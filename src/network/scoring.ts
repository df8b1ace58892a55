/**
 * Peer scoring. gossipsub scores peers per topic; this file sets the weights so that a
 * rejected message costs its sender (P4, invalid deliveries), turns off penalties that
 * make no sense on a small permissioned network (IP colocation: several listed nodes may
 * share a host; mesh delivery rate: proposals are one per round), and adds this node's
 * own penalties for bad direct-protocol messages as the application-specific score (P5).
 */
import { createTopicScoreParams, type PeerScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score';
import type { Topics } from './topics.js';

/** Score lost per rejected gossip message (squared by gossipsub: k rejects cost k^2 * 10). */
export const INVALID_MESSAGE_WEIGHT = -10;
/** Score lost per rejected direct message (linear, decays by half every DIRECT_PENALTY_HALF_LIFE_MS). */
export const DIRECT_PENALTY = 10;
export const DIRECT_PENALTY_HALF_LIFE_MS = 60_000;

/** gossipsub thresholds: below graylist, a peer's messages are dropped unprocessed. */
export const SCORE_THRESHOLDS = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
};

export class PenaltyBook {
  private readonly penalties = new Map<string, { value: number; atMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  add(peerId: string, amount: number): void {
    const value = this.get(peerId) + amount;
    if (this.penalties.size >= 4096 && !this.penalties.has(peerId)) this.prune();
    this.penalties.set(peerId, { value, atMs: this.now() });
  }

  /** The current (decayed) penalty, >= 0. */
  get(peerId: string): number {
    const p = this.penalties.get(peerId);
    if (!p) return 0;
    return p.value * 0.5 ** ((this.now() - p.atMs) / DIRECT_PENALTY_HALF_LIFE_MS);
  }

  private prune(): void {
    for (const [id] of this.penalties) if (this.get(id) < 0.1) this.penalties.delete(id);
  }
}

export function scoreParams(topics: Topics, penalties: PenaltyBook): Partial<PeerScoreParams> {
  const topic = (weight: number): TopicScoreParams =>
    createTopicScoreParams({
      topicWeight: weight,
      timeInMeshWeight: 0.01,
      timeInMeshQuantum: 1000,
      timeInMeshCap: 100,
      firstMessageDeliveriesWeight: 0.1,
      firstMessageDeliveriesDecay: 0.9,
      firstMessageDeliveriesCap: 50,
      meshMessageDeliveriesWeight: 0,
      meshFailurePenaltyWeight: 0,
      invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
      invalidMessageDeliveriesDecay: 0.99,
    });
  return {
    topics: {
      [topics.proposal]: topic(1),
      [topics.timeout]: topic(1),
      [topics.transactions]: topic(1),
    },
    topicScoreCap: 10,
    appSpecificScore: (peerId) => -penalties.get(peerId),
    appSpecificWeight: 1,
    IPColocationFactorWeight: 0,
    behaviourPenaltyWeight: -1,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 10 * 60_000,
  };
}
