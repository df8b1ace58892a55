/**
 * Counts what consensus does as it happens, from the driver's trace: the core keeps no
 * counters of its own (it is pure, and its status only says where it stands now), and a
 * scrape every few seconds would miss most rounds.
 */
import type { Counter } from 'prom-client';
import type { ConsensusStep, ConsensusView } from './interface.js';

export interface ConsensusCounters {
  proposalsSent: Counter;
  votesSent: Counter;
  /** Rounds this node timed out in (a repeated timeout message is not a new timeout). */
  timeouts: Counter;
  /** Times the highest timeout certificate this node holds moved to a higher round. */
  timeoutCertificates: Counter;
  rounds: Counter;
  leaderChanges: Counter;
}

export class ConsensusWatcher {
  private lastRound: number | undefined;
  private lastLeader: number | undefined;
  private lastTcRound = 0;

  constructor(
    private readonly counters: ConsensusCounters,
    private readonly view: ConsensusView,
  ) {}

  /** Called by the driver's trace port for every event and action. */
  onStep(step: ConsensusStep): void {
    if (step.dir === 'out') {
      if (step.type === 'sendVote') this.counters.votesSent.inc();
      else if (step.type === 'broadcastProposal') this.counters.proposalsSent.inc();
      else if (step.type === 'broadcastTimeout' && !step.repeat) this.counters.timeouts.inc();
      return;
    }
    // an event arrives after the previous one's step: the core's round now is that step's outcome
    this.watchRound();
  }

  private watchRound(): void {
    const round = this.view.round();
    if (round === undefined) return;
    const tcRound = this.view.highestTcRound();
    if (tcRound > this.lastTcRound) {
      // the first reading (or a core rebuilt after sync) only sets where counting starts
      if (this.lastRound !== undefined) this.counters.timeoutCertificates.inc();
      this.lastTcRound = tcRound;
    }
    if (round === this.lastRound) return;
    const leader = this.view.leaderOf(round);
    if (this.lastRound !== undefined && round > this.lastRound) {
      this.counters.rounds.inc();
      if (leader !== this.lastLeader) this.counters.leaderChanges.inc();
    }
    this.lastRound = round;
    this.lastLeader = leader;
  }
}
