/**
 * Per-peer budgets: what one peer may cost this node in requests, bytes and CPU time.
 *
 * A token bucket refills at `ratePerSecond` up to `burst`. `take` spends only what is
 * there (a request is refused when its bucket is empty); `charge` spends after the fact
 * and may leave a debt (the bytes of an answer, the milliseconds a message took to
 * validate), which the peer pays back before its next request is served or its stream is
 * read again. Spending never disconnects or scores anyone: a peer over budget is served
 * later or not at all, which is all an honest peer can be asked to tolerate under load, and
 * all a genesis validator may suffer on this node's say-so (docs/PROTOCOL.md, "Threats").
 */
import type { NetworkOptions } from './options.js';

export class TokenBucket {
  private tokens: number;
  private atMs: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!(ratePerSecond > 0) || !(burst > 0))
      throw new RangeError('a budget needs a positive rate and burst');
    this.tokens = burst;
    this.atMs = now();
  }

  /** Tokens available now (negative while a debt is being paid back). */
  available(): number {
    const t = this.now();
    if (t > this.atMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.atMs) * this.ratePerSecond) / 1000);
      this.atMs = t;
    }
    return this.tokens;
  }

  /** Spends `amount` if that much is available; false (nothing spent) otherwise. */
  take(amount = 1): boolean {
    if (this.available() < amount) return false;
    this.tokens -= amount;
    return true;
  }

  /** Spends `amount` whatever is left: a debt delays the next take and read. */
  charge(amount: number): void {
    this.available();
    this.tokens -= amount;
  }

  /** Milliseconds until the balance is positive again (0 when it is). */
  waitMs(): number {
    const tokens = this.available();
    return tokens > 0 ? 0 : Math.ceil(((1 - tokens) * 1000) / this.ratePerSecond);
  }
}

export interface BudgetRate {
  ratePerSecond: number;
  burst: number;
}

/**
 * One bucket per peer and purpose. Peers are genesis peers only (the connection gater
 * admits no one else), so the map is bounded by the genesis; `maxPeers` bounds it anyway.
 */
export class PeerBudgets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: BudgetRate,
    private readonly now: () => number,
    private readonly maxPeers = 4096,
  ) {}

  of(peer: string): TokenBucket {
    let bucket = this.buckets.get(peer);
    if (!bucket) {
      if (this.buckets.size >= this.maxPeers) this.buckets.clear();
      bucket = new TokenBucket(this.rate.ratePerSecond, this.rate.burst, this.now);
      this.buckets.set(peer, bucket);
    }
    return bucket;
  }
}

/**
 * What answering one peer's block requests may cost (direct.ts): requests per second, and
 * the block bytes already sent to it, which it pays back before another request is served.
 * A request over either is ignored: the requester's fetch times out and asks another
 * validator.
 */
export class BlockServeBudgets {
  private readonly requests: PeerBudgets;
  private readonly bytes: PeerBudgets;

  constructor(rates: { requests: BudgetRate; bytes: BudgetRate }, now: () => number) {
    this.requests = new PeerBudgets(rates.requests, now);
    this.bytes = new PeerBudgets(rates.bytes, now);
  }

  /** A block request of `peer`: whether to answer it (a request is spent only then). */
  admit(peer: string): boolean {
    return this.bytes.of(peer).available() > 0 && this.requests.of(peer).take(1);
  }

  /** A block answer of `bytes` on its way to `peer`. */
  charge(peer: string, bytes: number): void {
    this.bytes.of(peer).charge(bytes);
  }
}

/**
 * The block-serving budgets a node runs with: the options' rates, bytes never below a few
 * of the largest direct frames (a chain configured with large blocks must still fetch them).
 */
export function blockServeBudgets(
  o: Pick<
    NetworkOptions,
    'blockRequestsPerSecond' | 'blockRequestsBurst' | 'blockServeBytesPerSecond' | 'blockServeBurstBytes'
  >,
  maxFrameBytes: number,
  now: () => number,
): BlockServeBudgets {
  return new BlockServeBudgets(
    {
      requests: { ratePerSecond: o.blockRequestsPerSecond, burst: o.blockRequestsBurst },
      bytes: {
        ratePerSecond: Math.max(o.blockServeBytesPerSecond, 4 * maxFrameBytes),
        burst: Math.max(o.blockServeBurstBytes, 8 * maxFrameBytes),
      },
    },
    now,
  );
}
