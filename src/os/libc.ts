/**
 * The libc calls Node's API lacks, through koffi (an optional dependency: a foreign
 * function interface with prebuilt binaries). Where koffi or glibc is missing (another
 * platform, an install without optional dependencies) `loadLibc` returns undefined and the
 * callers go without: none is needed for correctness.
 *
 * - madvise(MADV_DONTNEED) over a read-only shared file mapping drops this process's page
 *   table entries for it. The pages stay in the kernel's page cache, and the next read of
 *   one maps it again from there (a minor fault). Nothing can be lost: such a mapping has
 *   no private or dirty pages. lmdb maps its data file this way (without MDB_WRITEMAP),
 *   and every page a B-tree lookup or insert has read stays mapped, so without it a node's
 *   resident set grows with its chain file.
 * - clock_gettime(CLOCK_THREAD_CPUTIME_ID): the calling thread's CPU time, exact to the
 *   call (the kernel adds the running slice). /proc/thread-self/schedstat is not: it shows
 *   the runtime as of the last scheduler tick or switch, up to a tick (4 ms at HZ=250)
 *   behind. Node 20 has no per-thread counter (process.threadCpuUsage came in Node 23).
 * - mallinfo2(): what glibc's malloc holds over all its arenas, in use and free. Node's
 *   process.memoryUsage() counts the V8 heap and the buffers V8 knows of; the rest of the
 *   anonymous memory (native modules' allocations, and free chunks malloc keeps instead of
 *   returning them) shows only here.
 * - malloc_trim(0): gives back the whole pages inside malloc's free chunks, anywhere in
 *   its arenas; by itself glibc returns only the free memory at an arena's top, so free
 *   chunks below a live one stay resident however long they stay free. It holds each
 *   arena's lock while it walks that arena's free chunks, so a thread allocating meanwhile
 *   waits; in a busy node the walk took up to seconds (BENCHMARKS.md, session 13).
 */
import { createRequire } from 'node:module';

/** Linux's values (asm-generic/mman-common.h, linux/time.h). */
const MADV_DONTNEED = 4;
const CLOCK_THREAD_CPUTIME_ID = 3;

export interface Libc {
  /**
   * madvise(MADV_DONTNEED) on [start, start + length), on a worker thread (its cost grows
   * with the pages dropped, and it must not hold the event loop); false when the kernel
   * refused.
   */
  dontNeed(start: bigint, length: bigint): Promise<boolean>;
  /** The calling thread's CPU time in milliseconds. */
  threadCpuMs(): number;
  /**
   * glibc malloc's totals over all arenas (a walk of the free lists: call it now and then);
   * undefined before glibc 2.33, which lacks mallinfo2.
   */
  mallocStats(): MallocStats | undefined;
  /** malloc_trim(0) on a worker thread; true when it gave memory back. */
  trimMalloc(): Promise<boolean>;
}

/** mallinfo2's figures that say where malloc's memory is, in bytes (man 3 mallinfo2). */
export interface MallocStats {
  /** Taken from the system by sbrk or an arena's own map (its `arena`): in use and free. */
  heapBytes: number;
  /** Of heapBytes, in free chunks malloc keeps (`fordblks`). */
  heapFreeBytes: number;
  /** Large allocations mapped one by one, returned to the system when freed (`hblkhd`). */
  mmappedBytes: number;
}

interface Mallinfo2 {
  arena: number;
  hblkhd: number;
  fordblks: number;
}

type KoffiFunction = ((...args: unknown[]) => number) & {
  /** The call on one of koffi's worker threads; the callback gets its result. */
  async(...argsThenCallback: unknown[]): void;
};

interface KoffiLibrary {
  func(signature: string): KoffiFunction;
}

interface Koffi {
  load(name: string): KoffiLibrary;
  struct(name: string, fields: Record<string, string>): unknown;
}

let loaded: Libc | null | undefined;

/** The bound calls, or undefined where they cannot be had (loaded once per process). */
export function loadLibc(): Libc | undefined {
  if (loaded === undefined) loaded = bind();
  return loaded ?? undefined;
}

function onWorker(fn: KoffiFunction, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) =>
    fn.async(...args, (err: unknown, result: number) => (err ? reject(err) : resolve(result))),
  );
}

function bind(): Libc | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const libc = koffi.load('libc.so.6');
    const madvise = libc.func('int madvise(uintptr_t addr, size_t length, int advice)');
    koffi.struct('timespec', { tv_sec: 'int64', tv_nsec: 'int64' });
    const clockGettime = libc.func('int clock_gettime(int clock, _Out_ timespec *time)');
    const time = { tv_sec: 0, tv_nsec: 0 };
    const mallinfo2 = bindMallinfo2(koffi, libc);
    const mallocTrim = libc.func('int malloc_trim(size_t pad)');
    return {
      dontNeed: async (start, length) => (await onWorker(madvise, start, length, MADV_DONTNEED)) === 0,
      threadCpuMs: () => {
        if (clockGettime(CLOCK_THREAD_CPUTIME_ID, time) !== 0) throw new Error('clock_gettime failed');
        return time.tv_sec * 1e3 + time.tv_nsec / 1e6;
      },
      mallocStats: () => {
        const info = mallinfo2?.();
        return info
          ? {
              heapBytes: Number(info.arena),
              heapFreeBytes: Number(info.fordblks),
              mmappedBytes: Number(info.hblkhd),
            }
          : undefined;
      },
      trimMalloc: async () => (await onWorker(mallocTrim, 0)) === 1,
    };
  } catch {
    return null;
  }
}

/** glibc's struct mallinfo2 (malloc.h, glibc 2.33 on): ten size_t fields in this order. */
const MALLINFO2_FIELDS = [
  'arena',
  'ordblks',
  'smblks',
  'hblks',
  'hblkhd',
  'usmblks',
  'fsmblks',
  'uordblks',
  'fordblks',
  'keepcost',
];

function bindMallinfo2(koffi: Koffi, libc: KoffiLibrary): (() => Mallinfo2) | undefined {
  try {
    koffi.struct('mallinfo2', Object.fromEntries(MALLINFO2_FIELDS.map((name) => [name, 'size_t'])));
    return libc.func('mallinfo2 mallinfo2()') as unknown as () => Mallinfo2;
  } catch {
    return undefined;
  }
}
