/**
 * The real clock: the one module (with the composition roots) that touches the runtime's
 * timers and clocks. Stateless, so one shared value serves every composition root.
 */
import type { Clock, Timer, TimerOptions } from './interface.js';

function timerOf(
  handle: NodeJS.Timeout,
  options: TimerOptions | undefined,
  clear: (h: NodeJS.Timeout) => void,
): Timer {
  if (options?.background) handle.unref();
  return { cancel: () => clear(handle) };
}

export const systemClock: Clock = Object.freeze({
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout: (fire: () => void, delayMs: number, options?: TimerOptions) =>
    timerOf(setTimeout(fire, delayMs), options, clearTimeout),
  setInterval: (fire: () => void, everyMs: number, options?: TimerOptions) =>
    timerOf(setInterval(fire, everyMs), options, clearInterval),
  defer: (fire: () => void) => {
    setImmediate(fire);
  },
});
