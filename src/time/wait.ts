/** Promise forms of the clock's timers, for code that awaits rather than schedules. */
import type { Clock } from './interface.js';

/** Resolves `ms` from now on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/** Resolves on a later turn of the event loop, after pending I/O. */
export function nextTurn(clock: Clock): Promise<void> {
  return new Promise((resolve) => clock.defer(resolve));
}
