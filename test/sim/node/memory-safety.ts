/**
 * The consensus safety store in memory, on simulated time: what src/node's LmdbSafetyStore is
 * to the node's ConsensusLifecycle, for the composed simulator.
 *
 * Why memory and not lmdb: as for the chain store (memory-store.ts), a run must stay a
 * function of its seed, so a write lands when the simulator's event heap says so. Writes
 * land in the order they were made, as the lmdb store's do: an older one landing last would
 * bring back a round this node voted past. A write not landed when the node crashes is lost,
 * and the vote it held back never leaves.
 *
 * Two parts, as a process and its disk: `MemorySafetyDisk` holds what landed and survives a
 * crash; `MemorySafetyStore` is one boot's store over it.
 */
import type { Evidence, SafetyData } from '../../../src/consensus/index.js';
import type { ConsensusLifecycleComponents } from '../../../src/node/index.js';

/** The safety store a ConsensusLifecycle takes (src/node/safety-store.ts ConsensusSafetyStore). */
type ConsensusSafetyStore = ConsensusLifecycleComponents['safety'];

/** What one node's safety writes made durable: survives its crashes. */
export class MemorySafetyDisk {
  /** The safety data the consensus core last made durable. */
  data: SafetyData | undefined;
  /** When the last write made lands: a later write lands after it, even one of the next boot. */
  landsAtMs = 0;
}

export interface MemorySafetyStoreComponents {
  disk: MemorySafetyDisk;
  /** Virtual time. */
  nowMs(): number;
  /** How long the next write takes to land: drawn from the simulator's seeded generator. */
  writeDelayMs(): number;
  /** Calls `land` once at `atMs`; the simulator does not call it after the node crashed. */
  schedule(atMs: number, land: () => void): void;
  /** The simulator counts and judges evidence rather than keeping it. */
  onEvidence(e: Evidence): void;
}

export class MemorySafetyStore implements ConsensusSafetyStore {
  constructor(private readonly c: MemorySafetyStoreComponents) {}

  load(): SafetyData | undefined {
    return this.c.disk.data;
  }

  persist(data: SafetyData, durable: () => void): void {
    const { disk } = this.c;
    const landsAtMs = Math.max(disk.landsAtMs, this.c.nowMs() + this.c.writeDelayMs());
    disk.landsAtMs = landsAtMs;
    this.c.schedule(landsAtMs, () => {
      disk.data = data;
      durable();
    });
  }

  recordEvidence(e: Evidence, _nowMs: number): void {
    this.c.onEvidence(e);
  }
}
