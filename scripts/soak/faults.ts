/**
 * The faults of the chaos soak, one entry per kind: how a fault begins and ends on one
 * validator, and how long it lasts. The schedule (run.ts) draws kind, validator, time and
 * length from one seeded PRNG and never has more than f = 1 validator faulty: a fault
 * begins only once the previous one's validator is voting again.
 */
import type { Prng } from '../../test/sim/prng.js';
import type { SoakNode } from './cluster.js';
import type { FaultKind, SoakOptions } from './options.js';

export interface FaultRecord {
  kind: FaultKind;
  validator: number;
  /** Since the start of the loaded run. */
  startedAtMs: number;
  endedAtMs: number;
  /**
   * After the fault ended: how long until the validator voted in the honest validators'
   * current rounds again (its own lastVotedRound within `REJOIN_ROUND_SLACK` of theirs), or
   * null when it did not within the wait (`rejoinTimeoutMs`).
   */
  rejoinedAfterMs: number | null;
  /** Its uptime as another validator saw it (GET /api/v1/validators), when it rejoined or gave up. */
  uptimeSeenByPeer: number | null;
  lastVotedRound: number | null;
  peerRound: number | null;
}

export interface Fault {
  kind: FaultKind;
  lengthMs: (prng: Prng, options: SoakOptions) => number;
  begin: (node: SoakNode) => Promise<void>;
  end: (node: SoakNode) => Promise<void>;
}

const uniform = (prng: Prng, min: number, max: number) => Math.round(prng.range(min, max));

export const FAULTS: Readonly<Record<FaultKind, Fault>> = {
  // kill -9: the process loses everything not on disk; restarted on the same data
  kill: {
    kind: 'kill',
    lengthMs: (prng, o) => uniform(prng, o.killDownMinMs, o.killDownMaxMs),
    begin: async (node) => {
      await node.kill();
    },
    end: async (node) => node.start(Date.now()),
  },
  // SIGSTOP/SIGCONT: a process frozen (a GC pause, a VM migration) whose peers time it out,
  // then back with stale connections, timers all due at once and a backlog of messages
  stop: {
    kind: 'stop',
    lengthMs: (prng, o) => uniform(prng, o.stopMinMs, o.stopMaxMs),
    begin: async (node) => node.signal('SIGSTOP'),
    end: async (node) => node.signal('SIGCONT'),
  },
};
