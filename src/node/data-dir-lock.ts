/**
 * An exclusive lock on a data directory: `<data>/LOCK`, created with O_EXCL and holding the
 * owner's pid (and, on Linux, its start time). lmdb itself lets several processes open one
 * environment, so without this two nodes with the same key and data directory would each
 * keep their own last voted round in memory and could sign two different votes for one
 * round.
 *
 * A lock file left by a process that died (kill -9, power loss) is stale: its pid is not
 * running, or the pid is now another process (a different start time, e.g. after a
 * container restart reused the pid). A stale lock is replaced; a live one is refused with
 * DATA_DIR_LOCKED. The same process opening the directory twice is refused too.
 *
 * The lock file appears whole: its contents are written to a private file first and linked
 * into place (link fails if the name exists), so no process ever reads a lock that its
 * owner has created but not yet written. The owner's host name is recorded too: a lock
 * written on another host (another container sharing the volume, whose pids say nothing
 * here) is never judged stale, it is refused; so is one whose host cannot be told.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFailure } from '../store/index.js';
import { NodeError } from './errors.js';

export const LOCK_FILE = 'LOCK';

interface LockOwner {
  pid: number;
  /** The owner's start time in clock ticks since boot (Linux), to tell a reused pid. */
  startTicks?: number;
  /** The host the owner ran on: its pid means something only there. */
  host?: string;
}

/** Lock paths this process holds: a pid check cannot tell them from a stale lock. */
const heldHere = new Set<string>();

/** Field 22 of /proc/<pid>/stat, or undefined where there is no /proc. */
function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count after it
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return undefined;
    return {
      pid: v.pid as number,
      startTicks: Number.isSafeInteger(v.startTicks) ? v.startTicks : undefined,
      host: typeof v.host === 'string' ? v.host : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Whether the owner named in a lock file is still the process that wrote it. */
function isLive(owner: LockOwner, path: string): boolean {
  // another host's pid (or an unknown host's) cannot be checked from here: assume it lives
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return heldHere.has(path);
  if (!isRunning(owner.pid)) return false;
  if (owner.startTicks === undefined) return true;
  const now = startTicksOf(owner.pid);
  return now === undefined || now === owner.startTicks;
}

export class DataDirLock {
  private released = false;

  private constructor(readonly path: string) {}

  /** Takes the lock of `dataDir` (which must exist), or throws DATA_DIR_LOCKED. */
  static async acquire(dataDir: string): Promise<DataDirLock> {
    // one name per directory, however it was reached (a symlink would defeat heldHere)
    const path = join(await realpath(dataDir), LOCK_FILE);
    const owner: LockOwner = { pid: process.pid, startTicks: startTicksOf(process.pid), host: hostname() };
    // written whole under a private name first, then linked into place: never seen empty
    const draft = `${path}.${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      const file = await open(draft, 'wx', 0o600);
      try {
        await file.writeFile(`${JSON.stringify(owner)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (err) {
      await rm(draft, { force: true });
      // a full disk is the likely cause here, and the operator's to fix: say so
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw writeFailure(err, dataDir, 'the lock file');
      throw err;
    }
    try {
      return await DataDirLock.take(dataDir, path, draft);
    } finally {
      await rm(draft, { force: true });
    }
  }

  private static async take(dataDir: string, path: string, draft: string): Promise<DataDirLock> {
    // two attempts: the second after a stale lock was moved away
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(draft, path);
        heldHere.add(path);
        return new DataDirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = await readFile(path, 'utf8').catch(() => '');
      const current = parseOwner(text);
      // an unreadable lock (a torn write of an older version, or damage) is stale
      if (current && isLive(current, path)) {
        throw new NodeError(
          'DATA_DIR_LOCKED',
          `data directory ${dataDir} is in use by process ${current.pid} (${path}); two nodes on one data directory could sign twice`,
        );
      }
      // Moved aside and checked again, not deleted in place: another process may have
      // replaced the stale lock with its live one since it was read.
      const aside = `${path}.stale-${process.pid}`;
      try {
        await rename(path, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const moved = parseOwner(await readFile(aside, 'utf8').catch(() => ''));
      if (moved && isLive(moved, path)) {
        await link(aside, path).catch(() => {}); // put it back unless a newer lock is there
        await rm(aside, { force: true });
        throw new NodeError('DATA_DIR_LOCKED', `data directory ${dataDir} is in use by process ${moved.pid}`);
      }
      await rm(aside, { force: true });
    }
    throw new NodeError('DATA_DIR_LOCKED', `data directory ${dataDir} is being locked by another process`);
  }

  /** Removes the lock file. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    await rm(this.path, { force: true });
  }
}
