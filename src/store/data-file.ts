/**
 * What the stores of a data directory share about their lmdb files: a check of an
 * environment's data file before lmdb maps it, and the typed error of a write that failed.
 *
 * Why a check before lmdb opens the file: lmdb maps data.mdb into memory and trusts it. A
 * data.mdb cut short (a copy that ran out of space, a restore gone wrong) makes lmdb read
 * past the end of the mapping and the process dies of SIGBUS; one whose first pages are
 * garbage makes it die of SIGSEGV; one cut to 0 bytes is taken for a new, empty store. None
 * of these may reach lmdb: they are refused here with CORRUPT_STORE.
 *
 * The layout read here is LMDB's own (mdb.c of the LMDB bundled with lmdb-js 3, data
 * version 2): pages 0 and 1 are meta pages, each a page header of 24 bytes (page number,
 * txnid, pad, flags with P_META = 0x08, lower/upper) then MDB_meta: magic 0xBEEFC0DE (u32),
 * version (u32), fixed address (8), map size (8), two MDB_db records of 48 bytes (the free
 * list's, whose md_pad holds the page size, then the main tree's; md_root at offset 40 of
 * each), last used page (8), txnid (8). Integers are little-endian (the machine's; lmdb
 * files do not move between byte orders). The meta page with the higher txnid is the
 * current one. LMDB notes that the file may end before the last used page (pages freed in
 * the transaction that allocated them are never written), so the check asks only for the
 * pages every read starts from: both meta pages and the current roots of both trees.
 *
 * Why write failures are classified by free space: lmdb-js reports a page write that failed
 * for lack of space as a commit failure whose cause is EIO (code 5), not ENOSPC, so the
 * error alone cannot tell a full disk from a failing one. A write that failed while the file
 * system holds less than `diskFullFreeBytes` is reported as DISK_FULL.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from './errors.js';
import { DEFAULT_STORE_OPTIONS } from './options.js';

const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const P_META = 0x08;
const PAGE_HEADER_BYTES = 24;
/** Offsets inside MDB_meta (after the page header). */
const META = { magic: 0, version: 4, freeDb: 24, mainDb: 72, lastPage: 120, txnid: 128, end: 136 };
/** Offsets inside an MDB_db record. */
const DB = { pad: 0, root: 40 };
const MIN_PAGE_BYTES = 512;
const MAX_PAGE_BYTES = 65536;

interface MetaPage {
  txnid: bigint;
  roots: bigint[];
}

function readMeta(page: Buffer, at: number, file: string): MetaPage & { pageBytes: number } {
  const damaged = (why: string) =>
    new StoreError('CORRUPT_STORE', `${file} is not an lmdb data file this node can read: ${why}`);
  if (page.length < at + PAGE_HEADER_BYTES + META.end) throw damaged('it ends inside its meta pages');
  const flags = page.readUInt16LE(at + 18);
  const meta = at + PAGE_HEADER_BYTES;
  if ((flags & P_META) === 0 || page.readUInt32LE(meta + META.magic) !== MDB_MAGIC)
    throw damaged(`page ${at === 0 ? 0 : 1} is not an lmdb meta page (garbage, or another kind of file)`);
  const version = page.readUInt32LE(meta + META.version) & 0xffff;
  if (version !== MDB_DATA_VERSION) throw damaged(`lmdb data version ${version}, not ${MDB_DATA_VERSION}`);
  const pageBytes = page.readUInt32LE(meta + META.freeDb + DB.pad);
  if (pageBytes < MIN_PAGE_BYTES || pageBytes > MAX_PAGE_BYTES || (pageBytes & (pageBytes - 1)) !== 0)
    throw damaged(`a page size of ${pageBytes} bytes`);
  return {
    pageBytes,
    txnid: page.readBigUInt64LE(meta + META.txnid),
    roots: [meta + META.freeDb + DB.root, meta + META.mainDb + DB.root].map((o) => page.readBigUInt64LE(o)),
  };
}

/** A tree without pages has root P_INVALID (all ones). */
const NO_ROOT = 0xffffffffffffffffn;

/**
 * Refuses (CORRUPT_STORE) an lmdb environment in `dir` whose data.mdb is too short, garbage
 * or of another lmdb format. Nothing to check when data.mdb does not exist yet (a new store).
 */
export function checkDataFile(dir: string): void {
  const file = join(dir, 'data.mdb');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreError('CORRUPT_STORE', `${file} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0)
      throw new StoreError(
        'CORRUPT_STORE',
        `${file} is empty: the store it held is gone (a new store has no data.mdb at all)`,
      );
    const head = Buffer.alloc(Math.min(size, 2 * MAX_PAGE_BYTES));
    readSync(fd, head, 0, head.length, 0);
    const first = readMeta(head, 0, file);
    const second = readMeta(head, first.pageBytes, file);
    const current = second.txnid > first.txnid ? second : first;
    const pages = BigInt(Math.floor(size / first.pageBytes));
    for (const root of current.roots)
      if (root !== NO_ROOT && root >= pages)
        throw new StoreError(
          'CORRUPT_STORE',
          `${file} is cut short: ${size} bytes, but its current tree starts at page ${root} (${first.pageBytes}-byte pages)`,
        );
  } finally {
    closeSync(fd);
  }
}

/**
 * The map size a store opens its environment with: `requestedBytes`, or 0 (lmdb-js's own
 * growing maps) in a process whose address space is limited (RLIMIT_AS, `ulimit -v`): there
 * lmdb-js cannot reserve a large map and the process dies of SIGSEGV at open instead of
 * getting an error (seen with a 4 GB limit and a 256 GiB map).
 */
export function mapSizeFor(requestedBytes: number, limits: string | undefined = processLimits()): number {
  if (requestedBytes <= 0) return 0;
  const soft = limits === undefined ? undefined : /^Max address space\s+(\S+)/m.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? requestedBytes : 0;
}

/** This process's /proc/self/limits (Linux); undefined elsewhere, taken as no limit. */
function processLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/** Free bytes for an unprivileged writer on the file system of `dir`; undefined if unknown. */
function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/**
 * The typed error of a write to the store in `dir` that failed (`what` names the store):
 * DISK_FULL when the file system is (nearly) full or the system said ENOSPC, else
 * WRITE_FAILED. Also silences lmdb-js's second report of the same failure (`commitError`,
 * a promise rejected with the cause), which nobody else awaits.
 */
export function writeFailure(
  err: unknown,
  dir: string,
  what: string,
  diskFullFreeBytes: number = DEFAULT_STORE_OPTIONS.diskFullFreeBytes,
): StoreError {
  if (err instanceof StoreError && (err.code === 'DISK_FULL' || err.code === 'WRITE_FAILED')) return err;
  const commitError = (err as { commitError?: unknown } | undefined)?.commitError;
  if (commitError instanceof Promise) commitError.catch(() => {});
  const message = err instanceof Error ? err.message : String(err);
  const free = freeBytes(dir);
  const noSpace = (err as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
  if (noSpace || (free !== undefined && free < diskFullFreeBytes))
    return new StoreError(
      'DISK_FULL',
      `the disk is full: ${what} in ${dir} could not be written (${free === undefined ? 'no space left' : `${free} bytes free`})`,
      { cause: err },
    );
  return new StoreError('WRITE_FAILED', `${what} in ${dir} could not be written: ${message}`, {
    cause: err,
  });
}
