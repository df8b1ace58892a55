/**
 * The catch-up policy, pure: no I/O, no timers; time is an input. Given the local head,
 * what the network has certified, what each peer claimed and what was proven, it decides
 * which height ranges to ask whom, bounds the requests in flight, expires them, and backs
 * off failed peers so a range is retried on another peer.
 *
 * Claims and proofs (docs/PROTOCOL.md, "Threats"). A peer's committed head is a claim: it
 * is at most a fetch target, it is lowered to what the peer actually serves, it is dropped
 * when the peer fails a request, and it expires. Leaving consensus needs more: a proof of
 * commit for a height well above the local head (a certified block and its certified child
 * one round later), which verifies itself, so any single peer may relay it.
 *
 * Silent peers. A peer may keep its connection and never answer (a partition that leaves
 * sockets open, a stopped process). Once one of its requests failed it is asked at most
 * one request at a time until it answers again, and the range just above the head, which
 * every fetched block above it waits for, is hedged: asked of a second peer once its
 * request is slow. Hedging is bounded: one hedged request in flight at a time, at most one
 * per slow request, so at most maxInFlightRequests + 1 requests are ever out.
 */
import type { SyncOptions } from './options.js';

export interface PlannedRequest {
  id: number;
  peer: string;
  fromHeight: number;
  count: number;
  deadlineMs: number;
  /** Set on a hedged request: the id of the slow request whose range it asks again. */
  hedgeOf?: number;
}

interface PeerInfo {
  /** The committed head the peer last claimed (lowered to what it served), and when. */
  head?: number;
  headAtMs: number;
  /** When the peer was last asked to prove its claim (at most once per peerHeadTtlMs). */
  proofAskedAtMs: number;
  failures: number;
  backoffUntilMs: number;
  inFlight: number;
}

export class SyncPolicy {
  private readonly peers = new Map<string, PeerInfo>();
  private readonly inFlight = new Map<number, PlannedRequest>();
  /** The last peer that failed a range starting at a height (tried last next time). */
  private readonly failedAt = new Map<number, string>();
  /** The hedged request in flight (at most one), and the slow request it duplicates. */
  private hedge: { id: number; of: number } | undefined;
  /** Requests already hedged once: they are not hedged again. */
  private readonly hedged = new Set<number>();
  /**
   * Slow requests whose hedge was answered: they keep their slot until they answer or
   * expire (so a silent peer holds no more than before), but no longer hold their range.
   */
  private readonly superseded = new Set<number>();
  private nextId = 1;
  private certifiedHeight = 0;
  private provenHeight = 0;

  constructor(private readonly o: SyncOptions) {}

  /** How far to fetch: the highest height proven committed, claimed (fresh) or certified. */
  target(nowMs: number): number {
    return Math.max(this.provenHeight, this.claimedHead(nowMs), this.certifiedHeight);
  }

  /** The highest height proven certified by a verified QC (proposals seen). */
  get certified(): number {
    return this.certifiedHeight;
  }

  /** The highest height proven committed by a proof of commit some peer served. */
  get proven(): number {
    return this.provenHeight;
  }

  /**
   * The highest committed head a peer claims, among claims younger than peerClaimTtlMs: a
   * fetch target only. A certified block need not be committed anywhere (2-chain commits
   * need consecutive rounds), and a claim proves nothing, so neither decides alone that a
   * validator is behind.
   */
  claimedHead(nowMs: number): number {
    let max = 0;
    for (const p of this.peers.values())
      if (p.head !== undefined && p.head > max && nowMs - p.headAtMs < this.o.peerClaimTtlMs) max = p.head;
    return max;
  }

  addPeer(peer: string): void {
    if (!this.peers.has(peer))
      this.peers.set(peer, {
        headAtMs: 0,
        proofAskedAtMs: -Infinity,
        failures: 0,
        backoffUntilMs: 0,
        inFlight: 0,
      });
  }

  removePeer(peer: string): void {
    this.peers.delete(peer);
  }

  /** The peers that can be asked now: new ones are added, gone ones forgotten. */
  setPeers(peers: readonly string[]): void {
    const now = new Set(peers);
    for (const id of this.peers.keys()) if (!now.has(id)) this.peers.delete(id);
    for (const id of peers) this.addPeer(id);
  }

  /** A height proven certified (a verified proposal at height h certifies h - 1). */
  observeCertified(height: number): void {
    if (height > this.certifiedHeight) this.certifiedHeight = height;
  }

  /** A height proven committed: the caller verified a block, its child one round later and both QCs. */
  observeProven(height: number): void {
    if (height > this.provenHeight) this.provenHeight = height;
  }

  /** A peer's committed head, as far as its response showed it (see BlockSync.onResponse). */
  observePeerHead(peer: string, head: number, nowMs: number): void {
    this.addPeer(peer);
    const p = this.peers.get(peer)!;
    p.head = head;
    p.headAtMs = nowMs;
  }

  /** A peer's claim refuted by its own answer: nothing is known of its head. */
  forgetPeerHead(peer: string): void {
    const p = this.peers.get(peer);
    if (p) p.head = undefined;
  }

  /**
   * Far enough behind a proven commit to leave consensus and sync. A validator never lets
   * claims decide this: a lying peer could otherwise hold every honest validator out of
   * consensus. An observer, which is never in consensus, may count fresh claims, so its
   * `syncing` status shows a lag before a fetched range proves it.
   */
  isBehind(head: number, nowMs: number, countClaims = false): boolean {
    const ahead = countClaims ? Math.max(this.provenHeight, this.claimedHead(nowMs)) : this.provenHeight;
    return ahead - head > this.o.lagThresholdBlocks;
  }

  /** Close enough to what is proven and what peers (freshly) claim to (re)join consensus. */
  isCaughtUp(head: number, nowMs: number): boolean {
    return Math.max(this.provenHeight, this.claimedHead(nowMs)) - head <= this.o.joinSlackBlocks;
  }

  /**
   * Forgets what sync was chasing: every claim and the proven height above `head`. Used
   * when sync made no progress, so that only new answers can start it again.
   */
  forgetClaims(head: number): void {
    this.provenHeight = Math.min(this.provenHeight, head);
    this.certifiedHeight = Math.min(this.certifiedHeight, head);
    for (const p of this.peers.values()) p.head = undefined;
  }

  /**
   * Certified blocks far above the head, or a fresh claim far above it that is not proven
   * yet: ask peers how far they have committed, or the claimant for its proof.
   */
  shouldProbe(head: number, nowMs: number): boolean {
    if (this.certifiedHeight - head > this.o.lagThresholdBlocks) return true;
    for (const p of this.peers.values())
      if (
        p.head !== undefined &&
        nowMs - p.headAtMs < this.o.peerHeadTtlMs &&
        p.head - head > this.o.lagThresholdBlocks &&
        p.head > this.provenHeight + 1
      )
        return true;
    return false;
  }

  /**
   * Probes for a validator still in consensus, within the in-flight bound, one per peer that
   * is not backing off and has nothing in flight: to a peer whose claim is unknown or older
   * than peerHeadTtlMs, one block above the head (the answer carries its claimed head); to a
   * peer whose fresh claim is far ahead of the head and of what is proven, the
   * proofSpanBlocks blocks below that claim, whose answer proves it (or lowers the claim).
   * At most `maxProbes` of them.
   */
  planProbes(head: number, nowMs: number, maxProbes = Number.POSITIVE_INFINITY): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    for (const [peer, p] of this.peers) {
      if (this.inFlight.size >= this.o.maxInFlightRequests || out.length >= maxProbes) break;
      if (p.backoffUntilMs > nowMs || p.inFlight > 0) continue;
      const fresh = p.head !== undefined && nowMs - p.headAtMs < this.o.peerHeadTtlMs;
      let fromHeight = head + 1;
      let count = 1;
      if (fresh) {
        const claim = p.head!;
        if (claim - head <= this.o.lagThresholdBlocks || claim <= this.provenHeight + 1) continue;
        if (nowMs - p.proofAskedAtMs < this.o.peerHeadTtlMs) continue;
        p.proofAskedAtMs = nowMs;
        const span = Math.min(this.o.proofSpanBlocks, this.o.maxBlocksPerRequest);
        fromHeight = Math.max(head + 1, claim - span + 1);
        count = claim - fromHeight + 1;
      }
      const req: PlannedRequest = {
        id: this.nextId++,
        peer,
        fromHeight,
        count,
        deadlineMs: nowMs + this.o.requestTimeoutMs,
      };
      this.inFlight.set(req.id, req);
      p.inFlight++;
      out.push(req);
    }
    return out;
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * New requests for heights above `head` up to the target (and `ceiling`) that are neither
   * in flight nor `have` (already fetched), within the in-flight bound and a window of
   * maxInFlightRequests * maxBlocksPerRequest blocks above the head.
   */
  plan(
    head: number,
    nowMs: number,
    have: (height: number) => boolean = () => false,
    ceiling = Number.POSITIVE_INFINITY,
  ): PlannedRequest[] {
    const out: PlannedRequest[] = [];
    const limit = Math.min(
      this.target(nowMs),
      ceiling,
      head + this.o.maxInFlightRequests * this.o.maxBlocksPerRequest,
    );
    let h = head + 1;
    while (h <= limit && this.inFlight.size < this.o.maxInFlightRequests) {
      const busy = this.coveringRequest(h);
      if (busy) {
        h = busy.fromHeight + busy.count;
        continue;
      }
      if (have(h)) {
        h++;
        continue;
      }
      let count = 1;
      while (
        count < this.o.maxBlocksPerRequest &&
        h + count <= limit &&
        !have(h + count) &&
        !this.coveringRequest(h + count)
      )
        count++;
      const peer = this.choosePeer(h, nowMs);
      if (peer === undefined) break;
      const req: PlannedRequest = {
        id: this.nextId++,
        peer,
        fromHeight: h,
        count,
        deadlineMs: nowMs + this.o.requestTimeoutMs,
      };
      this.inFlight.set(req.id, req);
      this.peers.get(peer)!.inFlight++;
      out.push(req);
      h += count;
    }
    const hedge = this.planHedge(head, nowMs);
    if (hedge) out.push(hedge);
    return out;
  }

  /**
   * A second request for the range just above the head, to another peer, once the request
   * holding it has been out hedgeAfterTimeoutFraction of the timeout; outside the in-flight
   * bound (it is the one range every other fetched block waits for), one at a time.
   */
  private planHedge(head: number, nowMs: number): PlannedRequest | undefined {
    if (this.hedge !== undefined) return undefined;
    const slow = this.coveringRequest(head + 1);
    if (!slow || this.hedged.has(slow.id)) return undefined;
    const sentAtMs = slow.deadlineMs - this.o.requestTimeoutMs;
    if (nowMs - sentAtMs < this.o.requestTimeoutMs * this.o.hedgeAfterTimeoutFraction) return undefined;
    const peer = this.choosePeer(head + 1, nowMs, slow.peer);
    if (peer === undefined) return undefined;
    const req: PlannedRequest = {
      id: this.nextId++,
      peer,
      fromHeight: head + 1,
      count: Math.min(slow.fromHeight + slow.count - (head + 1), this.o.maxBlocksPerRequest),
      deadlineMs: nowMs + this.o.requestTimeoutMs,
      hedgeOf: slow.id,
    };
    this.hedged.add(slow.id);
    this.hedge = { id: req.id, of: slow.id };
    this.inFlight.set(req.id, req);
    this.peers.get(peer)!.inFlight++;
    return req;
  }

  /** A request answered with usable data: frees its slot, resets the peer's failures. */
  complete(id: number): PlannedRequest | undefined {
    // the first good answer for the range wins: the slow request no longer holds it
    if (this.hedge?.id === id && this.inFlight.has(this.hedge.of)) this.superseded.add(this.hedge.of);
    const req = this.release(id);
    if (req) {
      const p = this.peers.get(req.peer);
      if (p) p.failures = 0;
      this.failedAt.delete(req.fromHeight);
    }
    return req;
  }

  /** A request failed (bad data, broken stream, timeout): the peer backs off and loses its claim. */
  fail(id: number, nowMs: number): PlannedRequest | undefined {
    const req = this.release(id);
    if (!req) return undefined;
    const p = this.peers.get(req.peer);
    if (p) {
      p.head = undefined;
      p.failures++;
      p.backoffUntilMs = nowMs + this.o.peerBackoffMs * 2 ** Math.min(p.failures - 1, 5);
    }
    this.failedAt.set(req.fromHeight, req.peer);
    if (this.failedAt.size > 1024) this.failedAt.clear();
    return req;
  }

  /** Requests past their deadline, failed and removed. */
  expire(nowMs: number): PlannedRequest[] {
    const late = [...this.inFlight.values()].filter((r) => r.deadlineMs <= nowMs);
    for (const r of late) this.fail(r.id, nowMs);
    return late;
  }

  private release(id: number): PlannedRequest | undefined {
    const req = this.inFlight.get(id);
    if (!req) return undefined;
    this.inFlight.delete(id);
    this.hedged.delete(id);
    this.superseded.delete(id);
    if (this.hedge?.id === id) this.hedge = undefined;
    const p = this.peers.get(req.peer);
    if (p) p.inFlight--;
    return req;
  }

  private coveringRequest(height: number): PlannedRequest | undefined {
    for (const r of this.inFlight.values())
      if (height >= r.fromHeight && height < r.fromHeight + r.count && !this.superseded.has(r.id)) return r;
    return undefined;
  }

  /**
   * A peer that may have `height`: not backing off, not `exclude`, not one whose last
   * request failed and that has one in flight already, and whose reported head is at least
   * `height` (or unknown / older than peerHeadTtlMs); fewest requests in flight first,
   * then the highest head, the last failure on this range last, then by id.
   */
  private choosePeer(height: number, nowMs: number, exclude?: string): string | undefined {
    const avoid = this.failedAt.get(height);
    let best: { id: string; rank: number[] } | undefined;
    for (const [id, p] of this.peers) {
      if (p.backoffUntilMs > nowMs || id === exclude) continue;
      // its head is unknown after a failure, so it "may have" every height: without this a
      // silent peer out of backoff took every slot, each for a whole timeout
      if (p.failures > 0 && p.inFlight > 0) continue;
      const fresh = p.head !== undefined && nowMs - p.headAtMs < this.o.peerHeadTtlMs;
      if (fresh && p.head! < height) continue;
      const rank = [id === avoid ? 1 : 0, p.inFlight, -(p.head ?? 0)];
      if (!best || less(rank, best.rank) || (equalRank(rank, best.rank) && id < best.id)) best = { id, rank };
    }
    return best?.id;
  }
}

function less(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

function equalRank(a: number[], b: number[]): boolean {
  return a.every((v, i) => v === b[i]);
}
