/**
 * Peer scoring. gossipsub scores peers per topic; this file sets the weights so that a
 * rejected message costs its sender (P4, invalid deliveries), turns off penalties that
 * make no sense on a small permissioned network (IP colocation: several listed nodes may
 * share a host; mesh delivery rate: proposals are one per round), and adds this node's
 * own penalties for bad direct-protocol messages as the application-specific score (P5).
 *
 * Genesis validators are never cut off by score (issue 10 item 13): the n validators must
 * hear each other for consensus to have its fault tolerance, and a score is earned under a
 * peer id, which is the validator's key: an impostor holding a validator's key that floods
 * garbage and leaves would otherwise keep the real validator graylisted (and out of the
 * mesh, and unpublished to) for as long as gossipsub retains and decays the score. So a
 * validator's score never goes below VALIDATOR_SCORE_FLOOR; what a misbehaving validator
 * can cost is bounded instead by the gate (every message is checked, rejects are not
 * forwarded) and by the per-peer budgets (budget.ts, the bounded inbound queues). Observers
 * are scored as gossipsub scores anyone, with decays of seconds to a minute.
 */
import type { GossipSub } from '@libp2p/gossipsub';
import { createTopicScoreParams, type PeerScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score';
import { gossipInternals } from './gossip-internals.js';
import type { Topics } from './topics.js';

/**
 * The lowest score a genesis validator has: 0 keeps it above every threshold and in the
 * mesh (gossipsub prunes mesh peers below 0).
 */
export const VALIDATOR_SCORE_FLOOR = 0;

/**
 * How fast a count of invalid gossip messages is forgotten: multiplied by this every
 * decayInterval (1 s), a half-life of about 13.5 s.
 */
export const INVALID_MESSAGE_DECAY = 0.95;

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

  /** `now`: monotonic milliseconds (the node's clock), by which penalties decay. */
  constructor(private readonly now: () => number) {}

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
      invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY,
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

type ComputeScore = (peer: string, ...rest: unknown[]) => number;

/**
 * Applies VALIDATOR_SCORE_FLOOR to the peers `isValidator` names. gossipsub takes no
 * score function as an option: this wraps the one its PeerScore computes every score with
 * (a private field in gossipsub 17, hence the cast; a change there fails here at start).
 * Returns the score as computed before the floor (what the peer earned, for diagnostics).
 */
export function floorValidatorScores(
  pubsub: GossipSub,
  isValidator: (peerId: string) => boolean,
): (peerId: string) => number {
  const score = (pubsub as unknown as { score?: { computeScore?: ComputeScore } }).score;
  const inner = score?.computeScore;
  if (!score || typeof inner !== 'function')
    throw new Error('gossipsub has no PeerScore.computeScore: the validator score floor cannot apply');
  /** Earned scores of floored validators (a genesis-sized map). */
  const earned = new Map<string, number>();
  score.computeScore = (peer, ...rest) => {
    const value = inner(peer, ...rest);
    if (value >= VALIDATOR_SCORE_FLOOR || !isValidator(peer)) {
      earned.delete(peer);
      return value;
    }
    earned.set(peer, value);
    return VALIDATOR_SCORE_FLOOR;
  };
  return (peerId) => {
    const used = gossipInternals(pubsub).getScore(peerId); // recomputes once its cache expires
    return earned.get(peerId) ?? used;
  };
}
