/**
 * This process's memory mappings of the files in a folder, from /proc/self/maps, and the
 * release of their resident pages (libc.ts). Only read-only shared mappings are released:
 * there a page dropped is read again from the page cache, identical. The caller keeps the
 * files mapped until the release resolves: the ranges are read from /proc/self/maps
 * first, and a range unmapped meanwhile and reused for private memory would be zeroed.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadLibc, type MallocStats } from './libc.js';

export interface FileMapping {
  start: bigint;
  end: bigint;
  /** The permissions column of /proc/self/maps, e.g. 'r--s'. */
  permissions: string;
  /** Where in the file the mapping starts. */
  offset: bigint;
}

/** start-end perms offset dev inode path (proc(5)); the path is the rest of the line. */
const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+\s+(.*)$/;

/**
 * This process's mappings of the files under `dir` (resolved through symlinks, nested
 * folders included); [] where /proc/self/maps cannot be read.
 */
export function mappingsUnder(dir: string, maps = readMaps()): Array<FileMapping & { path: string }> {
  if (maps === undefined) return [];
  const prefix = `${realpathSync(dir)}/`;
  const out: Array<FileMapping & { path: string }> = [];
  for (const line of maps.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (m === null || !m[5].startsWith(prefix)) continue;
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      permissions: m[3],
      offset: BigInt(`0x${m[4]}`),
      path: m[5],
    });
  }
  return out;
}

function readMaps(): string | undefined {
  try {
    return readFileSync('/proc/self/maps', 'latin1');
  } catch {
    return undefined;
  }
}

async function readMapsAsync(): Promise<string | undefined> {
  try {
    return await readFile('/proc/self/maps', 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * This process's mappings of the files under `dir`, read off the event loop; [] where
 * /proc/self/maps cannot be read.
 */
export async function readMappingsUnder(dir: string): Promise<Array<FileMapping & { path: string }>> {
  return mappingsUnder(dir, await readMapsAsync());
}

/**
 * Drops this process's resident pages of the read-only shared ones among `mappings` (lmdb's
 * data files, mapped without MDB_WRITEMAP), off the event loop. Resolves to how many were
 * released, or undefined where the libc call is unavailable. Every mapping given must stay
 * mapped until it resolves.
 */
export async function releaseMappings(
  mappings: ReadonlyArray<FileMapping & { path: string }>,
): Promise<number | undefined> {
  const libc = loadLibc();
  if (libc === undefined) return undefined;
  const calls: Array<Promise<boolean>> = [];
  for (const m of mappings) {
    if (m.permissions !== 'r--s') continue;
    // lmdb maps far more address space than its file holds (256 GiB by default): only the
    // part over the file can have pages. The file's size is read here, on the loop: a stat
    // of a file just written is a cached lookup, while each trip through libuv's thread pool
    // queues behind the stores' writes.
    const length = min(m.end - m.start, roundUpToPage(fileSize(m.path) - m.offset));
    if (length > 0n) calls.push(libc.dontNeed(m.start, length));
  }
  // every call settles before this does, a failed one too: the caller unmaps only after
  const results = await Promise.allSettled(calls);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.filter((r) => r.status === 'fulfilled' && r.value).length;
}

function fileSize(path: string): bigint {
  try {
    return statSync(path, { bigint: true }).size;
  } catch {
    return 0n; // gone: nothing of it to release
  }
}

const PAGE_BYTES = 4096n;
const roundUpToPage = (bytes: bigint) => ((bytes + PAGE_BYTES - 1n) / PAGE_BYTES) * PAGE_BYTES;
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** The calling thread's CPU time in ms, exact to the call; undefined where unavailable. */
export function threadCpuClock(): (() => number) | undefined {
  const libc = loadLibc();
  return libc && (() => libc.threadCpuMs());
}

/** glibc malloc's totals now; undefined without koffi or mallinfo2. */
export function mallocStats(): MallocStats | undefined {
  return loadLibc()?.mallocStats();
}

/**
 * Gives back the free pages inside glibc malloc's arenas (malloc_trim, on a worker
 * thread): true when it released some, false when there was nothing to release, undefined
 * where it cannot be done.
 */
export async function trimMalloc(): Promise<boolean | undefined> {
  return loadLibc()?.trimMalloc();
}
