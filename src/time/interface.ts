/**
 * The clock port: the one way a module of this node reads time or waits. Types only, so
 * pure folders and the simulator may name it without importing anything that runs; the
 * real implementation is system.ts, created once by each composition root (src/node's
 * LedgerNode, src/cli's programs) and handed down, and the simulator hands down a virtual
 * one that runs the same code on simulated time.
 */

/** A scheduled callback; `cancel()` after it fired, or twice, does nothing. */
export interface Timer {
  cancel(): void;
}

export interface TimerOptions {
  /**
   * The timer alone keeps no process alive (Node's `unref`): for housekeeping that must
   * not hold a command-line program open after its work is done.
   */
  background?: boolean;
}

export interface Clock {
  /**
   * Wall-clock milliseconds since the Unix epoch: for times other nodes compare (block
   * timestamps, genesis time, evidence, transaction ages).
   */
  nowMs(): number;
  /**
   * Monotonic milliseconds from an arbitrary origin: for durations, deadlines and rates,
   * which a wall-clock step (NTP, an operator) must not stretch or shrink.
   */
  monotonicMs(): number;
  /** Calls `fire` once, `delayMs` from now (at most 2^31 - 1 ms: callers re-arm beyond). */
  setTimeout(fire: () => void, delayMs: number, options?: TimerOptions): Timer;
  /** Calls `fire` every `everyMs` until cancelled. */
  setInterval(fire: () => void, everyMs: number, options?: TimerOptions): Timer;
  /**
   * Calls `fire` on a later turn of the event loop, after pending I/O (Node's
   * `setImmediate`): how long work yields so sockets and consensus get their turn.
   */
  defer(fire: () => void): void;
}
