/**
 * The CPU time of the calling thread (Linux): the first field of /proc/thread-self/schedstat,
 * nanoseconds run on a CPU. process.cpuUsage() counts every thread, V8's concurrent
 * marking and the libuv pool included, so it cannot tell a handler's own work from a
 * collector running beside it; Node 20 has no per-thread counter (process.threadCpuUsage
 * came in Node 23). The file is kept open and read from offset 0 each time.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface ThreadCpuClock {
  /** Milliseconds the opening thread has run on a CPU. */
  nowMs(): number;
  close(): void;
}

/** A clock of the calling thread's CPU time; throws where /proc has no schedstat. */
export function openThreadCpuClock(): ThreadCpuClock {
  const fd = openSync('/proc/thread-self/schedstat', 'r');
  const buffer = Buffer.alloc(128);
  return {
    nowMs() {
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      const text = buffer.toString('latin1', 0, length);
      const ns = Number.parseInt(text.slice(0, text.indexOf(' ')), 10);
      if (!Number.isFinite(ns)) throw new Error(`unreadable schedstat: ${JSON.stringify(text)}`);
      return ns / 1e6;
    },
    close: () => closeSync(fd),
  };
}
