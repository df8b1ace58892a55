/**
 * The faults of the chaos soak, one entry per kind: how a fault begins and ends on one
 * validator, and how long it lasts. The schedule (run.ts) draws kind, validator, time and
 * length from one seeded PRNG and never has more than f = 1 validator faulty: a fault
 * begins only once the previous one's validator is voting again.
 */
import type { Prng } from '../../test/sim/prng.js';
import type { SoakNode } from './cluster.js';
import type { PartitionEvidence, SoakNetwork } from './netns.js';
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
  /** A partition's evidence: it cut traffic, and whether the connections it cut lived on. */
  partition?: {
    /** Packets its rules dropped, both ways. */
    droppedPackets: number;
    /** TCP connections to other nodes when it was cut off. */
    connectionsAtCut: number;
    /** Of those, the ones still established just before the heal (the node did not close them meanwhile). */
    connectionsAtHeal: number;
    /** Of those at the cut, the ones still established when it voted again (or the wait ended). */
    connectionsKept: number;
  };
}

/** The validator a fault acts on, and the soak's namespaces when it runs in them. */
export interface FaultTarget {
  node: SoakNode;
  network?: SoakNetwork;
}

export interface Fault {
  kind: FaultKind;
  lengthMs: (prng: Prng, options: SoakOptions) => number;
  begin: (target: FaultTarget) => Promise<void>;
  /** Ends the fault; a partition answers with what it cut. */
  end: (target: FaultTarget) => Promise<PartitionEvidence | undefined>;
}

const networkOf = (target: FaultTarget): SoakNetwork => {
  // run.ts draws partitions only when the nodes run in namespaces
  if (!target.network) throw new Error(`a partition of ${target.node.name} needs the soak's namespaces`);
  return target.network;
};

const uniform = (prng: Prng, min: number, max: number) => Math.round(prng.range(min, max));

export const FAULTS: Readonly<Record<FaultKind, Fault>> = {
  // kill -9: the process loses everything not on disk; restarted on the same data
  kill: {
    kind: 'kill',
    lengthMs: (prng, o) => uniform(prng, o.killDownMinMs, o.killDownMaxMs),
    begin: async ({ node }) => {
      await node.kill();
    },
    end: async ({ node }) => {
      node.start(Date.now());
      return undefined;
    },
  },
  // SIGSTOP/SIGCONT: a process frozen (a GC pause, a VM migration) whose peers time it out,
  // then back with stale connections, timers all due at once and a backlog of messages
  stop: {
    kind: 'stop',
    lengthMs: (prng, o) => uniform(prng, o.stopMinMs, o.stopMaxMs),
    begin: async ({ node }) => node.signal('SIGSTOP'),
    end: async ({ node }) => {
      node.signal('SIGCONT');
      return undefined;
    },
  },
  // a network partition: the validator runs on, cut off from every other node (its packets
  // dropped both ways, its sockets left open), then healed: its peers time it out, it
  // times out alone, and on the heal its gossip streams and sync recover on the connections
  // they had (or the node closes and redials them)
  partition: {
    kind: 'partition',
    lengthMs: (prng, o) => uniform(prng, o.partitionMinMs, o.partitionMaxMs),
    begin: async (target) => networkOf(target).cut(target.node.host),
    end: async (target) => networkOf(target).heal(target.node.host),
  },
};

/**
 * Deals fault kinds from a seeded shuffle of `kinds` (each once), reshuffled when used up,
 * so a short run sees every kind; `first` (when given) opens the first deal.
 */
export class FaultDeck {
  private hand: FaultKind[] = [];

  constructor(
    private readonly kinds: readonly FaultKind[],
    private readonly prng: Prng,
    first?: FaultKind,
  ) {
    if (first !== undefined) this.hand = [first, ...this.shuffled(kinds.filter((k) => k !== first))];
  }

  next(): FaultKind {
    if (this.hand.length === 0) this.hand = this.shuffled(this.kinds);
    return this.hand.shift()!;
  }

  private shuffled(kinds: readonly FaultKind[]): FaultKind[] {
    const out = [...kinds];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.prng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
