/**
 * A Clock (src/time) that moves only when told: `advance(ms)` fires every timer due by
 * then, in due order (ties in the order they were set), including timers set by the
 * callbacks it fires. `defer` is a timer due now. Wall time and monotonic time move
 * together, from the given start.
 */
import type { Clock, Timer } from '../../../src/time/index.js';

interface Scheduled {
  atMs: number;
  seq: number;
  fire: () => void;
  everyMs?: number;
}

export class ManualClock implements Clock {
  private elapsedMs = 0;
  private seq = 0;
  private readonly due = new Map<number, Scheduled>();

  constructor(private readonly startMs: number) {}

  nowMs(): number {
    return this.startMs + this.elapsedMs;
  }

  monotonicMs(): number {
    return this.elapsedMs;
  }

  setTimeout(fire: () => void, delayMs: number): Timer {
    return this.schedule({ atMs: this.elapsedMs + Math.max(0, delayMs), seq: this.seq++, fire });
  }

  setInterval(fire: () => void, everyMs: number): Timer {
    const everyAtLeast1 = Math.max(1, everyMs);
    return this.schedule({
      atMs: this.elapsedMs + everyAtLeast1,
      seq: this.seq++,
      fire,
      everyMs: everyAtLeast1,
    });
  }

  defer(fire: () => void): void {
    this.schedule({ atMs: this.elapsedMs, seq: this.seq++, fire });
  }

  /** Timers waiting (intervals count once). */
  pending(): number {
    return this.due.size;
  }

  /** Moves time forward by `ms`, firing what falls due on the way; returns how many fired. */
  advance(ms: number): number {
    const endMs = this.elapsedMs + ms;
    let fired = 0;
    for (;;) {
      let next: [number, Scheduled] | undefined;
      for (const entry of this.due)
        if (
          entry[1].atMs <= endMs &&
          (!next ||
            entry[1].atMs < next[1].atMs ||
            (entry[1].atMs === next[1].atMs && entry[1].seq < next[1].seq))
        )
          next = entry;
      if (!next) break;
      const [id, timer] = next;
      this.elapsedMs = Math.max(this.elapsedMs, timer.atMs);
      if (timer.everyMs === undefined) this.due.delete(id);
      else this.due.set(id, { ...timer, atMs: timer.atMs + timer.everyMs, seq: this.seq++ });
      fired++;
      timer.fire();
    }
    this.elapsedMs = endMs;
    return fired;
  }

  private schedule(timer: Scheduled): Timer {
    const id = timer.seq;
    this.due.set(id, timer);
    return { cancel: () => this.due.delete(id) };
  }
}
