/**
 * A FIFO bounded by item count and total bytes. When a push would exceed either bound,
 * the oldest items are dropped (newer consensus messages supersede older ones; for
 * transaction batches the oldest are the most likely to be in a block already) and
 * returned so the caller can count them.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number,
    private readonly sizeOf: (item: T) => number,
  ) {
    if (!(maxItems >= 1) || !(maxBytes >= 1)) throw new RangeError('queue bounds must be >= 1');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Appends `item`; returns what was dropped to make room (possibly `item` itself). */
  push(item: T): T[] {
    const size = this.sizeOf(item);
    if (size > this.maxBytes) return [item];
    const dropped: T[] = [];
    while (this.length > 0 && (this.length + 1 > this.maxItems || this.bytes + size > this.maxBytes)) {
      dropped.push(this.shift()!);
    }
    this.items.push(item);
    this.bytes += size;
    return dropped;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T;
    this.head++;
    this.bytes -= this.sizeOf(item);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return rest;
  }
}

/**
 * Chooses which of several queues to serve next: every queue with work gets turns in
 * proportion to its weight (stride scheduling), so a flood on one queue slows the others
 * but never stops them. A queue that was empty starts level with the others instead of
 * spending turns it banked while it had nothing to do. Ties go to the first key listed.
 */
export class WeightedTurns<K extends string> {
  private readonly keys: K[];
  private readonly pass = new Map<K, number>();
  private virtualTime = 0;

  constructor(private readonly weights: Readonly<Record<K, number>>) {
    this.keys = Object.keys(weights) as K[];
    for (const k of this.keys)
      if (!(weights[k] > 0)) throw new RangeError(`weight of ${k} must be positive, got ${weights[k]}`);
  }

  /** The key to serve next among those `hasWork` says have work; undefined when none has. */
  next(hasWork: (key: K) => boolean): K | undefined {
    let best: K | undefined;
    let bestPass = Number.POSITIVE_INFINITY;
    for (const k of this.keys) {
      if (!hasWork(k)) continue;
      const p = Math.max(this.pass.get(k) ?? 0, this.virtualTime);
      if (p < bestPass) {
        best = k;
        bestPass = p;
      }
    }
    if (best === undefined) return undefined;
    this.virtualTime = bestPass;
    this.pass.set(best, bestPass + 1 / this.weights[best]);
    return best;
  }
}

/**
 * Items from many sources (peers), bounded in count and bytes as a whole, served round
 * robin by source: each source with items waiting gets one turn in turn, so a source's
 * flood delays another source's item by at most one turn per source, not by the flood's
 * length, and each source gets an equal share of the work spent on the queue. When full,
 * the source holding the most bytes loses its oldest item: a flood evicts its own items,
 * not the items of the sources it competes with.
 */
export class FairQueue<T> {
  private readonly bySource = new Map<string, BoundedQueue<T>>();
  /** Sources with items, in the order of their next turn. */
  private turns: string[] = [];
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number,
    private readonly sizeOf: (item: T) => number,
  ) {
    if (!(maxItems >= 1) || !(maxBytes >= 1)) throw new RangeError('queue bounds must be >= 1');
  }

  get length(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Appends `item` from `source`; returns what was dropped to make room (possibly `item`). */
  push(source: string, item: T): T[] {
    const size = this.sizeOf(item);
    if (size > this.maxBytes) return [item];
    const dropped: T[] = [];
    while (this.count > 0 && (this.count + 1 > this.maxItems || this.bytes + size > this.maxBytes)) {
      dropped.push(this.evictFromLargest());
    }
    let queue = this.bySource.get(source);
    if (!queue) {
      queue = new BoundedQueue<T>(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, this.sizeOf);
      this.bySource.set(source, queue);
    }
    if (queue.length === 0) this.turns.push(source);
    queue.push(item);
    this.count++;
    this.bytes += size;
    return dropped;
  }

  /** The oldest item of the source whose turn it is. */
  shift(): T | undefined {
    while (this.turns.length > 0) {
      const source = this.turns.shift()!;
      const queue = this.bySource.get(source);
      if (!queue || queue.length === 0) continue;
      const item = queue.shift()!;
      this.taken(item);
      if (queue.length > 0) this.turns.push(source);
      else this.bySource.delete(source);
      return item;
    }
    return undefined;
  }

  clear(): T[] {
    const rest: T[] = [];
    for (const queue of this.bySource.values()) rest.push(...queue.clear());
    this.bySource.clear();
    this.turns = [];
    this.count = 0;
    this.bytes = 0;
    return rest;
  }

  private evictFromLargest(): T {
    let largest: BoundedQueue<T> | undefined;
    let largestSource = '';
    for (const [source, queue] of this.bySource) {
      if (queue.length > 0 && (!largest || queue.byteLength > largest.byteLength)) {
        largest = queue;
        largestSource = source;
      }
    }
    const item = largest!.shift()!;
    this.taken(item);
    if (largest!.length === 0) {
      this.bySource.delete(largestSource);
      this.turns = this.turns.filter((s) => s !== largestSource);
    }
    return item;
  }

  private taken(item: T): void {
    this.count--;
    this.bytes -= this.sizeOf(item);
  }
}
