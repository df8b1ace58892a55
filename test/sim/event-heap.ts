/**
 * The simulators' event queue (simulator.ts and node/composed.ts): callbacks ordered by
 * virtual time, ties broken by the order they were scheduled in, so a run is a function of
 * its seed alone.
 */

interface Scheduled {
  atMs: number;
  seq: number;
  fire: () => void;
}

function earlier(a: Scheduled, b: Scheduled): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

export class EventHeap {
  private readonly items: Scheduled[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(atMs: number, fire: () => void): void {
    const a = this.items;
    a.push({ atMs, seq: this.seq++, fire });
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (earlier(a[parent], a[i])) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  /** The earliest event's time, without removing it. */
  peekAtMs(): number | undefined {
    return this.items[0]?.atMs;
  }

  pop(): { atMs: number; fire: () => void } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as Scheduled;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && earlier(a[l], a[m])) m = l;
        if (r < a.length && earlier(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
