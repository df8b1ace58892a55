/** The consensus driver's Clock over the node's one clock port: wall time and one timer. */
import type { Clock as ConsensusClock } from '../consensus/index.js';
import type { Clock, Timer } from '../time/index.js';

export interface DriverClock extends ConsensusClock {
  /** Cancels the pending timer (shutdown). */
  cancel(): void;
}

export function driverClock(clock: Clock): DriverClock {
  let timer: Timer | undefined;
  return {
    now: () => clock.nowMs(),
    setTimer(atMs, fire) {
      timer?.cancel();
      timer = clock.setTimeout(
        () => {
          timer = undefined;
          fire();
        },
        Math.max(0, atMs - clock.nowMs()),
      );
    },
    cancel() {
      timer?.cancel();
      timer = undefined;
    },
  };
}
