/**
 * Drops, every pass, the node's resident pages of the lmdb files in its data directory, so
 * that its resident set levels off while its chain grows (issue 15's soak measures it;
 * BENCHMARKS.md has the figures). lmdb reads its data file through a read-only shared map,
 * and a B-tree insert reads the pages on its path through it: inserts under hash keys
 * (transaction locations, state tree nodes) land all over the file, so the pages mapped
 * grow with the file. The pages stay in the kernel's page cache, which the kernel reclaims
 * under pressure; the next read of one maps it again from there.
 *
 * It needs a libc call Node lacks (src/os, through the optional koffi); without it the
 * upkeep logs once and does nothing. The call runs on a worker thread, off the event loop.
 *
 * The lmdb files must stay mapped while a pass runs: MADV_DONTNEED on an address range
 * that was unmapped and then reused for private memory would zero that memory. lmdb-js
 * keeps every map of an environment until it closes, so the node stops the upkeep (and
 * waits for a pass under way) before it closes a store. The same holds between passes,
 * which is why the mappings can be read from /proc/self/maps once every so many passes
 * rather than in each: a pass must be short, since the pages a node touches (and the
 * kernel maps the 64 KiB about each of them, or the whole large folio holding it) pile up
 * until the next one.
 *
 * On a schedule of its own it also has glibc's malloc give back the pages of its free
 * chunks (malloc_trim). The node frees small native buffers by the million (every Uint8Array
 * beyond a few dozen bytes lives outside the V8 heap), and glibc returns free memory only
 * from the top of an arena: the free chunks below a live one stay resident, so without a
 * trim the anonymous memory keeps the high-water mark of the busiest moment so far.
 */
import { type FileMapping, readMappingsUnder, releaseMappings, trimMalloc } from '../os/index.js';
import type { Clock, Timer } from '../time/index.js';
import type { NodeLogger } from './logger.js';

export interface MemoryUpkeepOptions {
  /** Time between passes; 0 turns the upkeep off. */
  everyMs: number;
  /** Passes between reads of the mappings (a store's map opened since is released from then on). */
  rescanEveryPasses: number;
  /** Time between trims of malloc's free memory; 0: never. */
  trimEveryMs: number;
}

type Mappings = ReadonlyArray<FileMapping & { path: string }>;

export interface MemoryUpkeepComponents {
  /** The data directory: the lmdb files mapped from under it are released. */
  dataDir: string;
  clock: Clock;
  logger: NodeLogger;
  /** The OS calls (src/os); tests count them. */
  os?: {
    readMappingsUnder(dir: string): Promise<Mappings>;
    releaseMappings(mappings: Mappings): Promise<number | undefined>;
    /** undefined where it cannot be done. */
    trimMalloc(): Promise<boolean | undefined>;
  };
}

export interface MemoryUpkeepMetrics {
  passes: number;
  mappingsReleased: number;
  /** The longest pass, in ms of the monotonic clock (on worker threads: the loop runs meanwhile). */
  longestPassMs: number;
  /** Trims of malloc's free memory, and the longest (while it runs, a thread allocating waits). */
  mallocTrims: number;
  longestTrimMs: number;
}

export class MemoryUpkeep {
  private timer: Timer | undefined;
  private trimTimer: Timer | undefined;
  /** The trim under way, if any (one at a time; stop waits for it). */
  private trimming: Promise<void> | undefined;
  /** The pass under way, if any: a pass never starts while another runs. */
  private running: Promise<void> | undefined;
  private readonly os: NonNullable<MemoryUpkeepComponents['os']>;
  /** The mappings as last read, and the passes left before they are read again. */
  private mappings: Mappings | undefined;
  private passesUntilRescan = 0;
  private stopped = false;
  readonly metrics: MemoryUpkeepMetrics = {
    passes: 0,
    mappingsReleased: 0,
    longestPassMs: 0,
    mallocTrims: 0,
    longestTrimMs: 0,
  };

  constructor(
    private readonly c: MemoryUpkeepComponents,
    private readonly o: MemoryUpkeepOptions,
  ) {
    if (!Number.isSafeInteger(o.everyMs) || o.everyMs < 0)
      throw new RangeError(`memory upkeep: everyMs must be a non-negative integer, got ${o.everyMs}`);
    if (!Number.isSafeInteger(o.rescanEveryPasses) || o.rescanEveryPasses < 1)
      throw new RangeError(
        `memory upkeep: rescanEveryPasses must be a positive integer, got ${o.rescanEveryPasses}`,
      );
    if (!Number.isSafeInteger(o.trimEveryMs) || o.trimEveryMs < 0)
      throw new RangeError(`memory upkeep: trimEveryMs must be a non-negative integer, got ${o.trimEveryMs}`);
    this.os = c.os ?? { readMappingsUnder, releaseMappings, trimMalloc };
  }

  start(): void {
    // once stopped, for good: a start still under way when the node stops must not begin
    // passes over mappings its stores are about to unmap
    if (this.stopped) return;
    if (!this.timer && this.o.everyMs > 0)
      this.timer = this.c.clock.setInterval(() => void this.pass(), this.o.everyMs, { background: true });
    if (!this.trimTimer && this.o.trimEveryMs > 0)
      this.trimTimer = this.c.clock.setInterval(() => void this.trim(), this.o.trimEveryMs, {
        background: true,
      });
  }

  /** Stops the schedules and waits for a pass or trim under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.trimTimer?.cancel();
    this.trimTimer = undefined;
    await Promise.all([this.running, this.trimming]);
    this.mappings = undefined;
  }

  /** One pass (the timer's; public for tests). Resolves when it is done. */
  pass(): Promise<void> {
    this.running ??= this.runPass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runPass(): Promise<void> {
    const began = this.c.clock.monotonicMs();
    let released: number | undefined;
    try {
      if (this.mappings === undefined || this.passesUntilRescan === 0) {
        this.mappings = await this.os.readMappingsUnder(this.c.dataDir);
        this.passesUntilRescan = this.o.rescanEveryPasses;
      }
      this.passesUntilRescan--;
      released = await this.os.releaseMappings(this.mappings);
    } catch (err) {
      this.c.logger.warn({ err: (err as Error).message }, 'memory upkeep failed: stopped');
      this.timer?.cancel();
      this.timer = undefined;
      return;
    }
    if (released === undefined) {
      this.c.logger.info(
        { dataDir: this.c.dataDir },
        'memory upkeep off: the libc calls (optional dependency koffi) are unavailable here',
      );
      this.timer?.cancel();
      this.timer = undefined;
      return;
    }
    this.metrics.passes++;
    this.metrics.mappingsReleased += released;
    const tookMs = this.c.clock.monotonicMs() - began;
    this.metrics.longestPassMs = Math.max(this.metrics.longestPassMs, tookMs);
    this.c.logger.debug({ tookMs, released, passes: this.metrics.passes }, 'memory upkeep pass');
  }

  /** One trim (the trim timer's; public for tests). Resolves when it is done. */
  trim(): Promise<void> {
    this.trimming ??= this.runTrim().finally(() => {
      this.trimming = undefined;
    });
    return this.trimming;
  }

  private async runTrim(): Promise<void> {
    const began = this.c.clock.monotonicMs();
    let trimmed: boolean | undefined;
    const noMore = () => {
      this.trimTimer?.cancel();
      this.trimTimer = undefined;
    };
    try {
      trimmed = await this.os.trimMalloc();
    } catch (err) {
      this.c.logger.warn({ err: (err as Error).message }, 'malloc trim failed: no more trims');
      return noMore();
    }
    if (trimmed === undefined) {
      this.c.logger.info({}, 'malloc trim off: glibc malloc_trim is unavailable here');
      return noMore();
    }
    this.metrics.mallocTrims++;
    const tookMs = this.c.clock.monotonicMs() - began;
    this.metrics.longestTrimMs = Math.max(this.metrics.longestTrimMs, tookMs);
    this.c.logger.debug({ tookMs, trimmed }, 'malloc trim');
  }
}
