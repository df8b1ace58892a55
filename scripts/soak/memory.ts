/**
 * Per-node memory over the run, from /proc: resident set (VmRSS) split into anonymous
 * (RssAnon: the V8 heap, malloc arenas, native buffers) and file-backed (RssFile: mostly
 * lmdb's memory map, which the kernel may drop and re-read at will), cross-checked with
 * smaps_rollup; and the V8 heap itself from the node's Prometheus metrics, so anonymous
 * growth can be told apart: the V8 heap's committed pages (heapTotal, which V8 sizes as a
 * multiple of what survived the last full collection and gives back only when idle), memory
 * outside it held by JS objects (external: ArrayBuffers), and the rest (`otherAnon`: malloc
 * arenas, lmdb's and libp2p's native allocations, code), of which glibc's main arena (the
 * [heap] mapping) is sampled apart, and malloc's own totals (in use and free) where the node
 * has them. A heap snapshot pair (heap-diff.ts) tells what the live
 * heap holds.
 */
import { readFileSync } from 'node:fs';
import type { SoakNode } from './cluster.js';

export interface MemorySample {
  /** Since the start of the loaded run. */
  atMs: number;
  pid: number;
  /** Whether smaps and the node's gauges were read too (the fields below that are optional). */
  detailed: boolean;
  rssKb: number;
  anonKb: number;
  fileKb: number;
  /** smaps_rollup's Anonymous (equal to RssAnon up to rounding; absent when unreadable). */
  smapsAnonKb?: number;
  /**
   * Resident part of the [heap] mapping: glibc's main malloc arena, where the main thread's
   * malloc goes, including the memory of Buffers and ArrayBuffers (node's allocator) and
   * lmdb-js's and the native modules' allocations made on that thread. It only shrinks
   * from its top, so it keeps the high-water mark of a fragmented heap.
   */
  mallocMainKb?: number;
  /**
   * V8 heap in use (live and not yet collected), the heap's committed size, and memory
   * outside it held by JS objects (ArrayBuffers), from GET /metrics.
   */
  heapUsedKb?: number;
  heapTotalKb?: number;
  externalKb?: number;
  /**
   * The heap's committed size by V8 space: the young generation (its semi-spaces, which V8
   * grows with the allocation rate), the old generation, compiled code, and objects too big
   * for a page (large object spaces, young and old together).
   */
  heapNewKb?: number;
  heapOldKb?: number;
  heapCodeKb?: number;
  heapLargeKb?: number;
  /**
   * glibc malloc (the node's process_malloc_* gauges, where it has them): what its arenas
   * hold, the free chunks among it, and large allocations mapped one by one. In use minus
   * external is native memory no JS object accounts for; free is fragmentation.
   */
  mallocHeapKb?: number;
  mallocFreeKb?: number;
  mallocMmappedKb?: number;
  /** The node's longest malloc trim so far (its memory upkeep's), in ms. */
  longestMallocTrimMs?: number;
}

const field = (text: string, name: string): number | undefined => {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
};

/** Rss of the process's [heap] mapping (from smaps), or undefined when unreadable. */
function heapMappingRssKb(pid: number): number | undefined {
  let smaps: string;
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const at = smaps.search(/^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s+\[heap\]$/m);
  if (at < 0) return 0;
  return field(smaps.slice(at, at + 2048), 'Rss');
}

/**
 * The process's memory from /proc, or undefined when it is gone: its status alone, or with
 * `detailed` also smaps (slower to read: the kernel walks every mapping).
 */
export function procMemory(
  pid: number,
  detailed = true,
): Omit<MemorySample, 'atMs' | 'pid' | 'detailed'> | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = field(status, 'VmRSS');
    if (rssKb === undefined) return undefined;
    if (!detailed)
      return { rssKb, anonKb: field(status, 'RssAnon') ?? 0, fileKb: field(status, 'RssFile') ?? 0 };
    let smapsAnonKb: number | undefined;
    try {
      smapsAnonKb = field(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Anonymous');
    } catch {
      // smaps_rollup needs a kernel of 4.14 or later and may be unreadable in a sandbox
    }
    const mallocMainKb = heapMappingRssKb(pid);
    return {
      rssKb,
      anonKb: field(status, 'RssAnon') ?? 0,
      fileKb: field(status, 'RssFile') ?? 0,
      ...(smapsAnonKb === undefined ? {} : { smapsAnonKb }),
      ...(mallocMainKb === undefined ? {} : { mallocMainKb }),
    };
  } catch {
    return undefined;
  }
}

type MetricsFigures = Pick<
  MemorySample,
  | 'heapUsedKb'
  | 'heapTotalKb'
  | 'externalKb'
  | 'heapNewKb'
  | 'heapOldKb'
  | 'heapCodeKb'
  | 'heapLargeKb'
  | 'mallocHeapKb'
  | 'mallocFreeKb'
  | 'mallocMmappedKb'
  | 'longestMallocTrimMs'
>;

/** The heap and malloc gauges in a Prometheus text exposition (prom-client's process metrics and the node's). */
export function memoryGauges(text: string): MetricsFigures {
  const gauge = (name: string) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?(?:e\\+?\\d+)?)$`, 'm').exec(text);
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  };
  const seconds = (name: string) => {
    const match = new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?)$`, 'm').exec(text);
    return match ? Math.round(Number(match[1]) * 1000) : undefined;
  };
  const space = (name: string) => gauge(`nodejs_heap_space_size_total_bytes\\{space="${name}"\\}`);
  const large = ['large_object', 'new_large_object', 'code_large_object'].map(space);
  return {
    heapUsedKb: gauge('nodejs_heap_size_used_bytes'),
    heapTotalKb: gauge('nodejs_heap_size_total_bytes'),
    externalKb: gauge('nodejs_external_memory_bytes'),
    heapNewKb: space('new'),
    heapOldKb: space('old'),
    heapCodeKb: space('code'),
    heapLargeKb: large.every((kb) => kb !== undefined) ? large.reduce((a, b) => a + b, 0) : undefined,
    mallocHeapKb: gauge('process_malloc_heap_bytes'),
    mallocFreeKb: gauge('process_malloc_heap_free_bytes'),
    mallocMmappedKb: gauge('process_malloc_mmapped_bytes'),
    longestMallocTrimMs: seconds('ledger_malloc_trim_longest_seconds'),
  };
}

/** The node's memory gauges from its GET /metrics; none when it does not answer. */
async function heapOf(node: SoakNode): Promise<MetricsFigures> {
  try {
    const res = await fetch(`${node.apiUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? memoryGauges(await res.text()) : {};
  } catch {
    return {};
  }
}

/**
 * One sample of every running node (a stopped node's /proc is readable; its metrics are
 * not): the resident set split in two, and with `detailed` its smaps and the node's heap
 * and malloc gauges.
 */
export async function sampleMemory(
  nodes: readonly SoakNode[],
  atMs: number,
  detailed: boolean,
): Promise<Array<MemorySample | undefined>> {
  return Promise.all(
    nodes.map(async (node) => {
      const pid = node.pid;
      if (pid === undefined) return undefined;
      const mem = procMemory(pid, detailed);
      if (!mem) return undefined;
      return { atMs, pid, detailed, ...mem, ...(detailed ? await heapOf(node) : {}) };
    }),
  );
}

/** One sample in MB; `otherAnon` is anonymous memory neither in the V8 heap nor external. */
export interface MemoryMb {
  rss: number;
  anon: number;
  file: number;
  heapUsed?: number;
  heapTotal?: number;
  heapNew?: number;
  heapOld?: number;
  heapCode?: number;
  heapLarge?: number;
  external?: number;
  otherAnon?: number;
  mallocMain?: number;
  mallocFree?: number;
  nativeInUse?: number;
}

export interface MemoryFigures {
  node: string;
  samples: number;
  firstMb: MemoryMb | null;
  /** The first sample at or after a third of the run: where the growth below is measured from. */
  thirdMb: MemoryMb | null;
  lastMb: MemoryMb | null;
  maxRssMb: number | null;
  /** The longest malloc trim of any process of the node (none where it has no trims). */
  longestMallocTrimMs: number | null;
  /**
   * Least-squares growth in MB per 10 minutes over the samples taken after the first third
   * of the run and after the first third of the run's length into the sampled process's own
   * life (a restarted process warms up again: its heap, caches and compiled code fill), of
   * the one process that lived through most of that window; null (with `growthNote`) when
   * none lived through half of it (a validator killed or restarted late in the run).
   */
  growthMbPer10Min: {
    rss: number;
    anon: number;
    file: number;
    heapUsed: number | null;
    heapTotal: number | null;
    heapNew: number | null;
    heapOld: number | null;
    heapCode: number | null;
    heapLarge: number | null;
    otherAnon: number | null;
    mallocMain: number | null;
    mallocFree: number | null;
    nativeInUse: number | null;
  } | null;
  growthNote?: string;
  /** Where that growth was measured: minutes since the run's start, and the process's age at the first sample. */
  growthWindow: { fromMinute: number; toMinute: number; processAgeMinutes: number } | null;
  /**
   * The same slope over every sample after the first third of the run, restarted process
   * or not (the measure before session 17, kept for comparison).
   */
  growthFromRunThirdMbPer10Min: { rss: number; anon: number; file: number } | null;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

/** Anonymous memory outside the V8 heap's committed pages and its external buffers, when both are known. */
const otherAnonKb = (s: MemorySample): number | undefined =>
  s.heapTotalKb === undefined || s.externalKb === undefined
    ? undefined
    : s.anonKb - s.heapTotalKb - s.externalKb;

/** Memory malloc has handed out that no JS object accounts for (in use minus external). */
const nativeInUseKb = (s: MemorySample): number | undefined =>
  s.mallocHeapKb === undefined ||
  s.mallocFreeKb === undefined ||
  s.mallocMmappedKb === undefined ||
  s.externalKb === undefined
    ? undefined
    : s.mallocHeapKb - s.mallocFreeKb + s.mallocMmappedKb - s.externalKb;

function inMb(s: MemorySample | undefined): MemoryMb | null {
  if (!s) return null;
  const other = otherAnonKb(s);
  const native = nativeInUseKb(s);
  return {
    rss: mb(s.rssKb),
    anon: mb(s.anonKb),
    file: mb(s.fileKb),
    ...(s.heapUsedKb === undefined ? {} : { heapUsed: mb(s.heapUsedKb) }),
    ...(s.heapTotalKb === undefined ? {} : { heapTotal: mb(s.heapTotalKb) }),
    ...(s.heapNewKb === undefined ? {} : { heapNew: mb(s.heapNewKb) }),
    ...(s.heapOldKb === undefined ? {} : { heapOld: mb(s.heapOldKb) }),
    ...(s.heapCodeKb === undefined ? {} : { heapCode: mb(s.heapCodeKb) }),
    ...(s.heapLargeKb === undefined ? {} : { heapLarge: mb(s.heapLargeKb) }),
    ...(s.externalKb === undefined ? {} : { external: mb(s.externalKb) }),
    ...(other === undefined ? {} : { otherAnon: mb(other) }),
    ...(s.mallocMainKb === undefined ? {} : { mallocMain: mb(s.mallocMainKb) }),
    ...(s.mallocFreeKb === undefined ? {} : { mallocFree: mb(s.mallocFreeKb) }),
    ...(native === undefined ? {} : { nativeInUse: mb(native) }),
  };
}

/** Slope of y over x (ms), scaled to per 10 minutes. */
function slopePer10Min(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 600_000;
}

/** The samples of the process with the most of them, if they span at least half of `windowMs`. */
function longestProcess(samples: readonly MemorySample[], windowMs: number): MemorySample[] | null {
  const byPid = new Map<number, MemorySample[]>();
  for (const s of samples) {
    const own = byPid.get(s.pid);
    if (own) own.push(s);
    else byPid.set(s.pid, [s]);
  }
  const longest = [...byPid.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const covered = longest.length >= 3 ? longest.at(-1)!.atMs - longest[0].atMs : 0;
  return covered >= windowMs / 2 ? longest : null;
}

/** Growth of `pick` over `samples` in MB per 10 minutes, to 0.1 MB; null with fewer than 3 values. */
function slopeOf(
  samples: readonly MemorySample[],
  pick: (s: MemorySample) => number | undefined,
): number | null {
  const points = samples.flatMap((s): Array<[number, number]> => {
    const v = pick(s);
    return v === undefined ? [] : [[s.atMs, v]];
  });
  return points.length >= 3 ? Math.round(slopePer10Min(points) / 102.4) / 10 : null;
}

export function memoryFigures(name: string, taken: readonly MemorySample[], runMs: number): MemoryFigures {
  // in time order (a detailed sample waits on the node's answer, and may land after the next)
  const samples = [...taken].sort((a, b) => a.atMs - b.atMs);
  const detailed = samples.filter((s) => s.detailed);
  const first = detailed[0];
  const last = detailed.at(-1);
  const from = runMs / 3;
  const late = samples.filter((s) => s.atMs >= from);
  // a node's first process started with the run; a later one at its first sample
  const startedAt = new Map<number, number>();
  for (const s of samples) if (!startedAt.has(s.pid)) startedAt.set(s.pid, startedAt.size === 0 ? 0 : s.atMs);
  const settled = late.filter((s) => s.atMs >= startedAt.get(s.pid)! + from);
  const fromRunThird = longestProcess(late, runMs - from);
  const longest = longestProcess(settled, runMs - from);
  let growth: MemoryFigures['growthMbPer10Min'] = null;
  let growthNote: string | undefined;
  let growthWindow: MemoryFigures['growthWindow'] = null;
  if (longest) {
    const slope = (pick: (s: MemorySample) => number | undefined) => slopeOf(longest, pick);
    growth = {
      rss: slope((s) => s.rssKb) ?? 0,
      anon: slope((s) => s.anonKb) ?? 0,
      file: slope((s) => s.fileKb) ?? 0,
      heapUsed: slope((s) => s.heapUsedKb),
      heapTotal: slope((s) => s.heapTotalKb),
      heapNew: slope((s) => s.heapNewKb),
      heapOld: slope((s) => s.heapOldKb),
      heapCode: slope((s) => s.heapCodeKb),
      heapLarge: slope((s) => s.heapLargeKb),
      otherAnon: slope(otherAnonKb),
      mallocMain: slope((s) => s.mallocMainKb),
      mallocFree: slope((s) => s.mallocFreeKb),
      nativeInUse: slope(nativeInUseKb),
    };
    const minutes = (ms: number) => Math.round(ms / 6_000) / 10;
    growthWindow = {
      fromMinute: minutes(longest[0].atMs),
      toMinute: minutes(longest.at(-1)!.atMs),
      processAgeMinutes: minutes(longest[0].atMs - startedAt.get(longest[0].pid)!),
    };
  } else {
    const restarts = new Set(late.map((s) => s.pid)).size - 1;
    growthNote = `no process of this node lived through half of the last two thirds past its own first third (restarted ${restarts} time(s) then)`;
  }
  return {
    node: name,
    samples: samples.length,
    firstMb: inMb(first),
    thirdMb: inMb(late.find((s) => s.detailed)),
    lastMb: inMb(last),
    maxRssMb: samples.length ? mb(Math.max(...samples.map((s) => s.rssKb))) : null,
    longestMallocTrimMs: samples.reduce<number | null>(
      (longest, s) =>
        s.longestMallocTrimMs === undefined ? longest : Math.max(longest ?? 0, s.longestMallocTrimMs),
      null,
    ),
    growthMbPer10Min: growth,
    ...(growthNote ? { growthNote } : {}),
    growthWindow,
    growthFromRunThirdMbPer10Min: fromRunThird
      ? {
          rss: slopeOf(fromRunThird, (s) => s.rssKb) ?? 0,
          anon: slopeOf(fromRunThird, (s) => s.anonKb) ?? 0,
          file: slopeOf(fromRunThird, (s) => s.fileKb) ?? 0,
        }
      : null,
  };
}
