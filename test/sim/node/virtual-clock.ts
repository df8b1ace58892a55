/**
 * src/time's Clock on the simulator's event heap: the node's own code (payload polling,
 * admission's yields, the consensus driver's timer through src/node's driverClock) runs on
 * virtual time. One clock per booted node: once that boot is over (`alive` false: the node
 * crashed), its timers never fire, as a killed process's would not.
 */
import type { Clock, Timer } from '../../../src/time/index.js';

export interface VirtualTime {
  /** Virtual milliseconds since the start of the run. */
  now(): number;
  schedule(atMs: number, fire: () => void): void;
}

export interface VirtualClockOptions {
  /** Wall-clock reading at virtual time 0 (the genesis time, so blocks carry plausible stamps). */
  epochMs: number;
  /** False once the node this clock belongs to has crashed. */
  alive: () => boolean;
}

export function virtualClock(time: VirtualTime, o: VirtualClockOptions): Clock {
  const after = (fire: () => void, delayMs: number): Timer => {
    let cancelled = false;
    time.schedule(time.now() + Math.max(0, delayMs), () => {
      if (!cancelled && o.alive()) fire();
    });
    return {
      cancel: () => {
        cancelled = true;
      },
    };
  };
  return {
    // whole milliseconds, as Date.now reads (block timestamps are integers)
    nowMs: () => o.epochMs + Math.floor(time.now()),
    monotonicMs: () => time.now(),
    setTimeout: (fire, delayMs) => after(fire, delayMs),
    setInterval: (fire, everyMs) => {
      let current: Timer | undefined;
      let cancelled = false;
      const arm = () => {
        current = after(() => {
          if (cancelled) return;
          arm();
          fire();
        }, everyMs);
      };
      arm();
      return {
        cancel: () => {
          cancelled = true;
          current?.cancel();
        },
      };
    },
    // after everything already due now: the same order as a later turn of the event loop
    defer: (fire) => {
      after(fire, 0);
    },
  };
}
