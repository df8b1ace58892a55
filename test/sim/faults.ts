/**
 * The fault schedule both simulators draw from a SimConfig (scenarios.ts): partitions that
 * reshuffle before GST, honest nodes crashing and restarting before GST, and slowReturn's
 * down time. Each simulator keeps its own network and node lifecycle and hands them in
 * here; the draws from `rng` come in one fixed order, so a seed replays the same faults.
 */
import type { Prng } from './prng.js';
import type { SimConfig } from './simulator.js';

export interface FaultPorts<N extends { id: number; index: number; up: boolean }> {
  cfg: SimConfig;
  rng: Prng;
  nodes: readonly N[];
  nowMs(): number;
  schedule(atMs: number, fire: () => void): void;
  isHonest(node: N): boolean;
  crash(node: N): void;
  boot(node: N): void;
  /** Which side of the partition each node (by id) is on; undefined when whole. */
  setPartition(sides: number[] | undefined): void;
}

/** Partitions reshuffled every 100-600 ms until GST, and cfg.crashRestarts crash-restarts. */
export function schedulePreGstFaults<N extends { id: number; index: number; up: boolean }>(
  p: FaultPorts<N>,
): void {
  const { cfg, rng } = p;
  if (cfg.preGst.partitions) {
    const reshuffle = () => {
      if (p.nowMs() >= cfg.gstMs) {
        p.setPartition(undefined);
        return;
      }
      const parts = 1 + rng.int(3);
      p.setPartition(p.nodes.map(() => rng.int(parts)));
      p.schedule(p.nowMs() + rng.range(100, 600), reshuffle);
    };
    p.schedule(rng.range(0, 200), reshuffle);
    p.schedule(cfg.gstMs, () => p.setPartition(undefined));
  }
  const honest = p.nodes.filter((x) => p.isHonest(x));
  for (let k = 0; k < cfg.crashRestarts; k++) {
    const node = rng.pick(honest);
    const at = rng.range(0, Math.max(1, cfg.gstMs - 400));
    const downFor = rng.range(20, 400);
    p.schedule(at, () => p.crash(node));
    p.schedule(Math.min(at + downFor, cfg.gstMs), () => {
      if (!node.up) p.boot(node);
    });
  }
}

/** slowReturn: its validator (every node running it) is down from downAtMs to upAtMs. */
export function scheduleSlowReturn<N extends { id: number; index: number; up: boolean }>(
  p: FaultPorts<N>,
): void {
  const slow = p.cfg.slowReturn;
  if (!slow) return;
  for (const node of p.nodes) {
    if (node.index !== slow.index) continue;
    p.schedule(slow.downAtMs, () => p.crash(node));
    p.schedule(slow.upAtMs, () => {
      if (!node.up) p.boot(node);
    });
  }
}
