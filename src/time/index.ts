/** Public surface of the clock port: the interface, the real clock and promise helpers. */
export type { Clock, Timer, TimerOptions } from './interface.js';
export { systemClock } from './system.js';
export { deadline, nextTurn, sleep } from './wait.js';
