/** Promise forms of the clock's timers, for code that awaits rather than schedules. */
import type { Clock, Timer } from './interface.js';

/** Resolves `ms` from now on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/**
 * One deadline, `ms` from now, shared by several waits: `within(p)` resolves true once `p`
 * resolves (false once the deadline passed first, even for a `p` that resolves later;
 * `p` rejecting first rejects it); `cancel()`
 * clears the timer, which otherwise holds the event loop open until the deadline.
 */
export function deadline(
  clock: Clock,
  ms: number,
): { within(p: Promise<unknown>): Promise<boolean>; cancel(): void } {
  let timer: Timer | undefined;
  const passed = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  return {
    // p's handlers first: a promise already settled wins over a deadline already passed
    within: (p) =>
      new Promise<boolean>((resolve, reject) => {
        p.then(() => resolve(true), reject);
        void passed.then(resolve);
      }),
    cancel: () => timer?.cancel(),
  };
}

/** Resolves on a later turn of the event loop, after pending I/O. */
export function nextTurn(clock: Clock): Promise<void> {
  return new Promise((resolve) => clock.defer(resolve));
}
