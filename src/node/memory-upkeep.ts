/**
 * Gives memory back to the kernel on a schedule, so that a node's resident set levels off
 * while its chain grows (issue 15's soak measures it; BENCHMARKS.md has the figures):
 *
 * - Every pass drops the node's resident pages of the lmdb files in its data directory.
 *   lmdb reads its data file through a read-only shared map, and a B-tree insert reads the
 *   pages on its path through it: inserts under hash keys (transaction locations, state
 *   tree nodes) land all over the file, so the pages mapped grow with the file. The pages
 *   stay in the kernel's page cache, which the kernel reclaims under pressure; the next
 *   read of one maps it again from there.
 * - Every `trimEveryPasses` passes, glibc's malloc arenas return their free memory.
 *
 * Both need libc calls Node lacks (src/os, through the optional koffi); without them the
 * upkeep logs once and does nothing.
 */
import { releaseMappingsUnder, trimMalloc } from '../os/index.js';
import type { Clock, Timer } from '../time/index.js';
import type { NodeLogger } from './logger.js';

const SLOW_PASS_MS = 5;

export interface MemoryUpkeepOptions {
  /** Time between passes; 0 turns the upkeep off. */
  everyMs: number;
  /** malloc_trim on every this many passes. */
  trimEveryPasses: number;
}

export interface MemoryUpkeepComponents {
  /** The data directory: the lmdb files mapped from under it are released. */
  dataDir: string;
  clock: Clock;
  logger: NodeLogger;
  /** The OS calls (src/os); tests count them. */
  os?: {
    releaseMappingsUnder(dir: string): number | undefined;
    trimMalloc(): boolean | undefined;
  };
}

export interface MemoryUpkeepMetrics {
  passes: number;
  mappingsReleased: number;
  trims: number;
  /** The longest pass, in ms of the monotonic clock. */
  longestPassMs: number;
}

export class MemoryUpkeep {
  private timer: Timer | undefined;
  private readonly os: NonNullable<MemoryUpkeepComponents['os']>;
  readonly metrics: MemoryUpkeepMetrics = { passes: 0, mappingsReleased: 0, trims: 0, longestPassMs: 0 };

  constructor(
    private readonly c: MemoryUpkeepComponents,
    private readonly o: MemoryUpkeepOptions,
  ) {
    for (const name of ['everyMs', 'trimEveryPasses'] as const)
      if (!Number.isSafeInteger(o[name]) || o[name] < 0)
        throw new RangeError(`memory upkeep: ${name} must be a non-negative integer, got ${o[name]}`);
    this.os = c.os ?? { releaseMappingsUnder, trimMalloc };
  }

  start(): void {
    if (this.timer || this.o.everyMs === 0) return;
    this.timer = this.c.clock.setInterval(() => this.pass(), this.o.everyMs, { background: true });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One pass (the timer's; public for tests). */
  pass(): void {
    const began = this.c.clock.monotonicMs();
    const released = this.os.releaseMappingsUnder(this.c.dataDir);
    if (released === undefined) {
      this.c.logger.info(
        { dataDir: this.c.dataDir },
        'memory upkeep off: the libc calls (optional dependency koffi) are unavailable here',
      );
      this.stop();
      return;
    }
    this.metrics.passes++;
    this.metrics.mappingsReleased += released;
    if (
      this.o.trimEveryPasses > 0 &&
      this.metrics.passes % this.o.trimEveryPasses === 0 &&
      this.os.trimMalloc()
    )
      this.metrics.trims++;
    const tookMs = this.c.clock.monotonicMs() - began;
    this.metrics.longestPassMs = Math.max(this.metrics.longestPassMs, tookMs);
    // the pass runs on the event loop: a long one is worth an operator's attention
    if (tookMs > SLOW_PASS_MS)
      this.c.logger.info({ tookMs, released, passes: this.metrics.passes }, 'slow memory upkeep pass');
  }
}
