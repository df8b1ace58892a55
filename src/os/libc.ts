/**
 * Two libc calls Node's API lacks, through koffi (an optional dependency: a foreign
 * function interface with prebuilt binaries). Where koffi or glibc is missing (another
 * platform, an install without optional dependencies) `loadLibc` returns undefined and the
 * callers go without: both calls only give memory back sooner, neither is needed for
 * correctness.
 *
 * - madvise(MADV_DONTNEED) over a read-only shared file mapping drops this process's page
 *   table entries for it. The pages stay in the kernel's page cache, and the next read of
 *   one maps it again from there (a minor fault). Nothing can be lost: such a mapping has
 *   no private or dirty pages. lmdb maps its data file this way (without MDB_WRITEMAP),
 *   and every page a B-tree lookup or insert has read stays mapped, so without it a node's
 *   resident set grows with its chain file.
 * - malloc_trim(0) returns the free memory of glibc's malloc arenas to the kernel.
 */
import { createRequire } from 'node:module';

/** Linux's value (asm-generic/mman-common.h). */
const MADV_DONTNEED = 4;

export interface Libc {
  /** madvise(MADV_DONTNEED) on [start, start + length); false when the kernel refused. */
  dontNeed(start: bigint, length: bigint): boolean;
  /** malloc_trim(0); true when memory was returned. */
  mallocTrim(): boolean;
}

interface KoffiLibrary {
  func(signature: string): (...args: unknown[]) => number;
}

let loaded: Libc | null | undefined;

/** The bound calls, or undefined where they cannot be had (loaded once per process). */
export function loadLibc(): Libc | undefined {
  if (loaded === undefined) loaded = bind();
  return loaded ?? undefined;
}

function bind(): Libc | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as { load(name: string): KoffiLibrary };
    const libc = koffi.load('libc.so.6');
    const madvise = libc.func('int madvise(uintptr_t addr, size_t length, int advice)');
    const mallocTrim = libc.func('int malloc_trim(size_t pad)');
    return {
      dontNeed: (start, length) => madvise(start, length, MADV_DONTNEED) === 0,
      mallocTrim: () => mallocTrim(0) === 1,
    };
  } catch {
    return null;
  }
}
