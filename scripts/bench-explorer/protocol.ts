/** Messages between the benchmark and its server child (over the fork IPC channel). */

/** Event-loop delay over a window (monitorEventLoopDelay, 1 ms resolution), in ms. */
export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/**
 * Time from a request's arrival at the server ('request' event) to its response's end()
 * call: for the explorer's synchronous handlers, how long one request held the event loop
 * (an upper bound: time in the socket's write path is included).
 */
export interface HandlerTimes {
  count: number;
  p99Ms: number;
  maxMs: number;
  /** The path of the slowest one. */
  slowestPath: string;
  /**
   * Requests held longer than 5 ms, and what filled that time: the main thread's CPU time
   * during each (the handler's work plus any collection pause on that thread; far less
   * than the wall time means the thread was off the CPU, preempted) and the collection
   * pauses that overlapped it.
   */
  over5Ms: number;
  /** The most CPU time the process (all its threads) spent during one request. */
  cpuMaxMs: number;
  /** The most CPU time the main thread spent during one request: a bound of a handler's work. */
  mainThreadCpuMaxMs: number;
  /** The longest request's wall time less the collection pauses inside it. */
  maxWithoutGcMs: number;
  /**
   * Requests over 5 ms on which the main thread spent less than 5 ms of CPU: the rest of
   * their time it was off the CPU, preempted by the load generator or the kernel.
   */
  offCpu: number;
  /**
   * A bound on the longest time one handler's own work held the event loop: per request,
   * the lesser of its time less the collections inside it and the main thread's CPU time
   * meanwhile.
   */
  workMaxMs: number;
}

export interface Snapshot {
  loop: LoopDelay;
  handlers: HandlerTimes;
  /** Live phase: per block, the time from the head's announcement to the last stream written. */
  fanOutMaxMs: number;
  fanOutP99Ms: number;
  /** The longest garbage-collection pause in the window. */
  gcMaxMs: number;
  /** The server process's CPU time (all its threads) per request answered in the window. */
  cpuMsPerRequest: number;
  /** Event streams open now. */
  streams: number;
}

export type ToServer =
  /** Starts a new measurement window. */
  | { type: 'reset' }
  | { type: 'snapshot' }
  /** Commits `blocks` blocks of `txs` transfers, one every `intervalMs`. */
  | { type: 'live'; blocks: number; intervalMs: number; txs: number }
  | { type: 'stop' };

export type FromServer =
  | { type: 'ready'; port: number; head: number; hotAddress: string }
  | { type: 'snapshot'; snapshot: Snapshot }
  /** A live block's head announcement, on the shared wall clock (timeOrigin + now). */
  | { type: 'committed'; height: number; atMs: number }
  | { type: 'live-done'; first: number; last: number };

/** Milliseconds since the epoch with sub-millisecond resolution: the same clock in both processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
