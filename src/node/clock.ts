/** The consensus driver's Clock in the real node: wall time and one setTimeout. */
import type { Clock } from '../consensus/index.js';

export interface RealClock extends Clock {
  /** Cancels the pending timer (shutdown). */
  cancel(): void;
}

export function realClock(now: () => number = Date.now): RealClock {
  let timer: NodeJS.Timeout | undefined;
  return {
    now,
    setTimer(atMs, fire) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(
        () => {
          timer = undefined;
          fire();
        },
        Math.max(0, atMs - now()),
      );
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
