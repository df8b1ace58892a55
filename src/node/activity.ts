/**
 * What this node SAW each validator do in recent rounds: the raw material of the explorer's
 * uptime figure. The node feeds it every consensus message that passed the gate (and its
 * own, from the transport it hands the driver); it keeps, per round, who proposed, who
 * voted (as this node received votes), who timed out, and whether the round timed out.
 *
 * Bounded: the last `maxRounds` rounds by number, n bytes each; a message for an older
 * round is dropped. The gate's round window already bounds how far ahead a round can be.
 *
 * Why not QC membership: a certificate holds exactly a quorum of votes, so a healthy
 * validator whose vote arrives after the quorum is often not in it. Votes as received are
 * what it did.
 */
import type { ConsensusMessage, TimeoutCertificate } from '../consensus/index.js';

const PROPOSED = 1;
const VOTED = 2;
const TIMED_OUT = 4;

/** One round as this node saw it. */
export interface RoundActivity {
  round: number;
  /** Per validator: PROPOSED | VOTED | TIMED_OUT bits. */
  acts: Uint8Array;
  /** This node received votes of this round (it collected them as the next leader). */
  collected: boolean;
  /** A TC of this round was seen, or timeouts from a quorum. */
  timedOut: boolean;
}

export interface ActivityTrackerOptions {
  /** Rounds remembered (the newest ones). */
  maxRounds: number;
}

export const DEFAULT_ACTIVITY_OPTIONS: Readonly<ActivityTrackerOptions> = Object.freeze({ maxRounds: 512 });

export class ActivityTracker {
  private readonly rounds = new Map<number, RoundActivity>();
  private highest = 0;
  private readonly options: ActivityTrackerOptions;

  /** `validators`: n, the genesis validator count; `quorum`: n - f. */
  constructor(
    private readonly validators: number,
    private readonly quorum: number,
    options: Partial<ActivityTrackerOptions> = {},
  ) {
    this.options = { ...DEFAULT_ACTIVITY_OPTIONS, ...options };
  }

  /** A gated consensus message from validator `from` (its signer). */
  observe(from: number, message: ConsensusMessage): void {
    this.record(from, message, false);
  }

  /** A message this node sent itself (its own proposal, vote or timeout). */
  observeOwn(self: number, message: ConsensusMessage): void {
    this.record(self, message, true);
  }

  private record(from: number, message: ConsensusMessage, own: boolean): void {
    if (!Number.isSafeInteger(from) || from < 0 || from >= this.validators) return;
    switch (message.kind) {
      case 'proposal': {
        const { proposal } = message;
        this.mark(proposal.block.header.round, from, PROPOSED);
        if (proposal.tc) this.sawTc(proposal.tc);
        return;
      }
      case 'vote': {
        const { vote } = message;
        const round = this.mark(vote.round, from, VOTED);
        // own votes leave for the next leader: only received ones show this node collecting
        if (round && !own) round.collected = true;
        if (vote.sync.highTc) this.sawTc(vote.sync.highTc);
        return;
      }
      case 'timeout': {
        const { timeout } = message;
        const round = this.mark(timeout.round, from, TIMED_OUT);
        if (round && !round.timedOut) {
          let count = 0;
          for (const a of round.acts) if (a & TIMED_OUT) count++;
          if (count >= this.quorum) round.timedOut = true;
        }
        if (timeout.highTc) this.sawTc(timeout.highTc);
        return;
      }
      default:
        return;
    }
  }

  /** A TC only marks a round this node watched: a round known from a TC alone shows no acts. */
  private sawTc(tc: TimeoutCertificate): void {
    const round = this.rounds.get(tc.round);
    if (round) round.timedOut = true;
  }

  private mark(roundNumber: number, validator: number, bit: number): RoundActivity | undefined {
    const round = this.roundOf(roundNumber);
    if (round) round.acts[validator] |= bit;
    return round;
  }

  /** The record of `round`, created if it is within the window; undefined when too old. */
  private roundOf(round: number): RoundActivity | undefined {
    if (!Number.isSafeInteger(round) || round < 1) return undefined;
    if (round <= this.highest - this.options.maxRounds) return undefined;
    let r = this.rounds.get(round);
    if (r) return r;
    r = { round, acts: new Uint8Array(this.validators), collected: false, timedOut: false };
    this.rounds.set(round, r);
    if (round > this.highest) {
      this.highest = round;
      if (this.rounds.size > this.options.maxRounds) {
        const oldest = this.highest - this.options.maxRounds;
        for (const k of this.rounds.keys()) if (k <= oldest) this.rounds.delete(k);
      }
    }
    return r;
  }

  /** The highest round seen (0 before any message). */
  highestRound(): number {
    return this.highest;
  }

  /** The remembered rounds, oldest first. Records are live: read, do not keep. */
  snapshot(): RoundActivity[] {
    return [...this.rounds.values()].sort((a, b) => a.round - b.round);
  }
}

/** Chances to act that this node watched a validator have, and how many it took. */
export interface UptimeTally {
  chances: number;
  taken: number;
}

/**
 * Tallies each validator's chances and acts over `rounds`, skipping the `settleRounds`
 * newest (their messages may still be on the way) and any above `lastRound`: a proposal in
 * each round it led (by `leaderOf`, undefined when unknown), a vote in each round this node
 * collected votes, a timeout in each round that timed out. `self`: this node's own
 * validator, whose vote in a round it collects never crosses the network (only its other
 * acts are scored).
 *
 * `lastRound` is for the caller that knows how far the chain has got (the committed head's
 * round): the newest round seen is not, since one validator's signed timeout for a round far
 * ahead passes the gate's window, and the rounds below it that nobody reached yet would
 * charge their leaders with proposals not made.
 */
export function tallyUptime(
  rounds: readonly RoundActivity[],
  validators: number,
  leaderOf: (round: number) => number | undefined,
  options: { self?: number; settleRounds?: number; lastRound?: number } = {},
): UptimeTally[] {
  const tally = Array.from({ length: validators }, () => ({ chances: 0, taken: 0 }));
  const newest = rounds.length > 0 ? rounds[rounds.length - 1].round : 0;
  const last = Math.min(newest - (options.settleRounds ?? 2), options.lastRound ?? Number.POSITIVE_INFINITY);
  for (const r of rounds) {
    if (r.round > last) break;
    const leader = leaderOf(r.round);
    if (leader !== undefined && leader >= 0 && leader < validators) {
      tally[leader].chances++;
      if (r.acts[leader] & PROPOSED) tally[leader].taken++;
    }
    for (let v = 0; v < validators; v++) {
      if (r.collected && v !== options.self) {
        tally[v].chances++;
        if (r.acts[v] & VOTED) tally[v].taken++;
      }
      if (r.timedOut) {
        tally[v].chances++;
        if (r.acts[v] & TIMED_OUT) tally[v].taken++;
      }
    }
  }
  return tally;
}
