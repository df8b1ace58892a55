/**
 * BlockSync: the client side of block sync. It learns how far the network is (heights of
 * certified blocks seen in proposals, committed heads shown in responses), asks peers for
 * ranges (SyncPolicy), checks each response on arrival (QCs, links), buffers it, and
 * applies the blocks that a contiguous run from the local head proves committed
 * (verifyRange): each is executed, its state root checked and handed to the chain with
 * its verified QC.
 *
 * Modes. An observer follows the chain by sync only: it fetches whenever the network is
 * ahead. A validator runs consensus and fetches only while syncing. A validator reports
 * `syncing` (an observer also counts fresh claims, as it is never in consensus)
 * from more than lagThresholdBlocks behind a height PROVEN committed (a block and its
 * certified child one round later, as served by any peer: the proof verifies itself) until
 * within joinSlackBlocks of what is proven and what peers freshly claim (hysteresis, so
 * the normal lag of a follower does not flap); `onSyncingChange` tells a validator's node
 * to stop consensus (true) and to rebuild it on the new head (false). A claimed head is
 * only a fetch target: it shrinks to what the peer serves, is lost when the peer fails a
 * request, and expires. A validator whose sync commits nothing for syncStallMs returns to
 * consensus and forgets what it was chasing (docs/PROTOCOL.md, "Threats").
 *
 * Certified is not committed. A proposal at height h proves h - 1 certified, not
 * committed: while rounds fail in a pattern that certifies blocks but never two in
 * consecutive rounds, the certified chain runs ahead of every node's commits. Leaving
 * consensus then would be wrong (there is nothing to fetch, and a validator out of
 * consensus cannot help commit it): an e2e run lost two of three live validators that way
 * for good. So certified heights far ahead only make a validator probe its peers (one
 * block each); it syncs when a peer shows committed blocks it lacks.
 *
 * Bad data: a response that fails a check is dropped whole, its peer penalised (typed
 * SyncError with a peer-fault code) and backed off, and the range is asked of another peer.
 * No answer at all: a slow request for the range above the head is hedged, and a peer whose
 * last request failed gets one request at a time (SyncPolicy, "Silent peers").
 */

import type { Timer } from '../time/index.js';
import { decodeSyncResponse, encodeSyncRequest, type SyncItem } from './codec.js';
import { SyncError } from './errors.js';
import type { SyncChain, SyncClock, SyncLogger, SyncNetwork } from './interface.js';
import { DEFAULT_SYNC_OPTIONS, type SyncOptions } from './options.js';
import { type PlannedRequest, SyncPolicy } from './policy.js';
import { lastCommittedIndex, type VerifyContext, verifyRange, verifyResponseItems } from './verify.js';

export type SyncMode = 'validator' | 'observer';

export interface BlockSyncComponents {
  mode: SyncMode;
  chain: SyncChain;
  network: SyncNetwork;
  clock: SyncClock;
  ctx: VerifyContext;
  logger?: SyncLogger;
  /** Called when `syncing` changes (a validator stops / restarts consensus on it). */
  onSyncingChange?: (syncing: boolean) => void;
}

export interface SyncMetrics {
  requests: number;
  failedRequests: number;
  badResponses: number;
  appliedBlocks: number;
  /** Requests that asked a slow request's range of a second peer (counted in `requests` too). */
  hedgedRequests: number;
}

interface Buffered {
  item: SyncItem;
  peer: string;
  requestId: number;
  bytes: number;
}

const SILENT: SyncLogger = { info() {}, warn() {}, debug() {} };

export class BlockSync {
  private readonly policy: SyncPolicy;
  private readonly o: SyncOptions;
  private readonly log: SyncLogger;
  /** Fetched, checked blocks above the head, waiting for a commit proof or their parent. */
  private readonly buffer = new Map<number, Buffered>();
  private bufferedBytes = 0;
  /** Blocks proven committed remain after a slice (applied on a later turn, or the next tick). */
  private applyPending = false;
  private tickTimer: Timer | undefined;
  private running = false;
  private syncingNow = false;
  /** The head when sync last committed a block (or started), and when: stall detection. */
  private progressHead = 0;
  private progressAtMs = 0;
  private lastProbeAtMs = Number.NEGATIVE_INFINITY;
  /** When a gossiped proposal last showed a certified height (an observer probes when none do). */
  private lastCertifiedAtMs = Number.NEGATIVE_INFINITY;
  readonly metrics: SyncMetrics = {
    requests: 0,
    failedRequests: 0,
    badResponses: 0,
    appliedBlocks: 0,
    hedgedRequests: 0,
  };

  constructor(
    private readonly c: BlockSyncComponents,
    options: Partial<SyncOptions> = {},
  ) {
    this.o = { ...DEFAULT_SYNC_OPTIONS, ...options };
    // 0 (or NaN) would hedge every request at once, doubling what sync asks of peers
    const hedge = this.o.hedgeAfterTimeoutFraction;
    if (!(hedge > 0 && hedge <= 1))
      throw new RangeError(`block sync: hedgeAfterTimeoutFraction must be in (0, 1], got ${hedge}`);
    this.policy = new SyncPolicy(this.o);
    this.log = c.logger ?? SILENT;
  }

  /** True while catching up (a validator has left consensus; an observer is behind). */
  get syncing(): boolean {
    return this.syncingNow;
  }

  /** How far sync would fetch now: the highest height proven, freshly claimed or certified. */
  get target(): number {
    return this.policy.target(this.c.clock.nowMs());
  }

  /** The highest height proven committed by a proof some peer served. */
  get proven(): number {
    return this.policy.proven;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tickTimer = this.c.clock.setInterval(() => this.tick(), this.o.tickMs);
  }

  stop(): void {
    this.running = false;
    this.tickTimer?.cancel();
    this.tickTimer = undefined;
    this.clearBuffer();
  }

  private unbuffer(height: number): void {
    const b = this.buffer.get(height);
    if (!b) return;
    this.bufferedBytes -= b.bytes;
    this.buffer.delete(height);
  }

  private lowestBuffered(): number {
    let low = Number.POSITIVE_INFINITY;
    for (const h of this.buffer.keys()) if (h < low) low = h;
    return low;
  }

  private clearBuffer(): void {
    this.buffer.clear();
    this.bufferedBytes = 0;
  }

  /** A certified height seen on the network (a verified proposal at height h certifies h - 1). */
  observeCertified(height: number): void {
    this.policy.observeCertified(height);
    this.lastCertifiedAtMs = this.c.clock.nowMs();
  }

  /** One step of the loop: expire late requests, update the mode, issue new requests. */
  tick(): void {
    if (!this.running) return;
    const now = this.c.clock.nowMs();
    this.policy.setPeers(this.c.network.peers());
    for (const late of this.policy.expire(now)) {
      this.metrics.failedRequests++;
      this.log.debug({ peer: late.peer, from: late.fromHeight }, 'sync request timed out');
    }
    this.updateSyncing();
    const head = this.c.chain.tip().header.height;
    if (this.fetching()) {
      if (this.applyPending && !this.c.clock.defer) this.apply();
      // a full buffer asks only for the gaps below what it holds, which let it drain
      const ceiling = this.bufferedBytes >= this.o.maxBufferedBytes ? this.lowestBuffered() - 1 : undefined;
      const planned = this.policy.plan(head, now, (h) => this.buffer.has(h), ceiling);
      for (const req of planned) void this.run(req);
      // An observer whose target block is fetched but not yet proven (its certified child
      // is above the target) has nothing left to ask for: without a new proposal it would
      // wait there until one came (the chaos soak found it; BENCHMARKS.md has the figures).
      if (this.c.mode === 'observer' && planned.length === 0 && this.policy.inFlightCount() === 0)
        this.probeWhenGossipIsQuiet(head, now);
    } else if (this.c.mode === 'validator') {
      if (this.policy.shouldProbe(head, now) || now - this.lastProbeAtMs >= this.o.probeIntervalMs) {
        const probes = this.policy.planProbes(head, now);
        if (probes.length > 0) this.lastProbeAtMs = now;
        for (const req of probes) void this.run(req);
      }
    } else this.probeWhenGossipIsQuiet(head, now);
  }

  /**
   * An observer learns of new heights from gossiped proposals; when none came for a probe
   * interval (a broken gossip mesh, as the chaos soak found), it asks one peer how far it
   * is, once an interval.
   */
  private probeWhenGossipIsQuiet(head: number, now: number): void {
    if (now - this.lastCertifiedAtMs < this.o.probeIntervalMs) return;
    if (now - this.lastProbeAtMs < this.o.probeIntervalMs) return;
    const [probe] = this.policy.planProbes(head, now, 1);
    if (!probe) return;
    this.lastProbeAtMs = now;
    void this.run(probe);
  }

  private fetching(): boolean {
    return this.c.mode === 'observer'
      ? this.policy.target(this.c.clock.nowMs()) > this.c.chain.tip().header.height
      : this.syncingNow;
  }

  private updateSyncing(): void {
    const head = this.c.chain.tip().header.height;
    const now = this.c.clock.nowMs();
    if (head > this.progressHead || !this.syncingNow) {
      this.progressHead = head;
      this.progressAtMs = now;
    }
    let next = this.syncingNow;
    let reason = 'sync caught up';
    if (!this.syncingNow && this.policy.isBehind(head, now, this.c.mode === 'observer')) {
      next = true;
      reason = 'sync started';
    } else if (this.syncingNow && this.policy.isCaughtUp(head, now)) {
      next = false;
    } else if (this.syncingNow && now - this.progressAtMs >= this.o.syncStallMs) {
      // No peer serves what was proven or claimed: stop chasing it. Consensus, or a new
      // proof from an honest peer, takes it from here.
      next = false;
      reason = 'sync made no progress: back to consensus';
      this.policy.forgetClaims(head);
    }
    if (next === this.syncingNow) return;
    const target = this.policy.target(now);
    this.syncingNow = next;
    this.log.info({ syncing: next, head, target, proven: this.policy.proven }, reason);
    this.c.onSyncingChange?.(next);
  }

  private async run(req: PlannedRequest): Promise<void> {
    this.metrics.requests++;
    if (req.hedgeOf !== undefined) {
      this.metrics.hedgedRequests++;
      this.log.debug({ peer: req.peer, from: req.fromHeight, of: req.hedgeOf }, 'sync request hedged');
    }
    let frames: Uint8Array[];
    try {
      frames = await this.c.network.request(
        req.peer,
        encodeSyncRequest({ fromHeight: req.fromHeight, count: req.count }),
        this.o.requestTimeoutMs,
      );
    } catch (err) {
      if (!this.running) return;
      this.metrics.failedRequests++;
      this.policy.fail(req.id, this.c.clock.nowMs());
      this.log.debug(
        { peer: req.peer, from: req.fromHeight, err: (err as Error).message },
        'sync request failed',
      );
      return;
    }
    if (!this.running) return;
    this.onResponse(req, frames);
  }

  /** Checks and buffers one response, then applies what it can. Public for tests. */
  onResponse(req: PlannedRequest, frames: readonly Uint8Array[]): void {
    const now = this.c.clock.nowMs();
    let items: SyncItem[];
    let headHeight: number;
    try {
      ({ items, headHeight } = decodeSyncResponse(frames, req, this.c.ctx.limits.maxBlockTxs));
      verifyResponseItems(items, this.c.ctx);
    } catch (err) {
      this.reject(req.peer, err, req.fromHeight);
      this.policy.fail(req.id, now);
      return;
    }
    // a late answer (already expired and re-planned) is still good data
    this.policy.complete(req.id);
    // [proof of commit] a block whose certified child is one round later is committed (the
    // 2-chain rule); both QCs and the link were just verified, so this holds whoever sent it
    const proofAt = lastCommittedIndex(items);
    if (proofAt >= 0) this.policy.observeProven(items[proofAt].block.header.height);
    // A peer's head counts only as far as it served: one that claims more than it sends
    // (an honest server sends every block it has, up to the count, unless its byte budget
    // for this peer runs out) is taken at the last block it sent, and one that sends none of
    // the blocks its claim implies has refuted the claim: it is forgotten (a liar answering
    // a request far up with nothing would otherwise lose only that request's count).
    const expected = Math.max(0, Math.min(req.count, headHeight - req.fromHeight + 1));
    if (items.length >= expected) this.policy.observePeerHead(req.peer, headHeight, now);
    else if (items.length > 0) this.policy.observePeerHead(req.peer, req.fromHeight - 1 + items.length, now);
    else this.policy.forgetPeerHead(req.peer);
    this.updateSyncing();
    // a validator in consensus only probes: consensus, not sync, commits its blocks
    if (!this.fetching()) return;
    const head = this.c.chain.tip().header.height;
    items.forEach((item, i) => {
      const h = item.block.header.height;
      if (h <= head || this.buffer.has(h)) return;
      // frames[0] is the status; frames[i + 1] is this item's encoding
      const bytes = frames[i + 1].length;
      this.buffer.set(h, { item, peer: req.peer, requestId: req.id, bytes });
      this.bufferedBytes += bytes;
    });
    this.apply();
    this.tick();
  }

  /**
   * Applies the committed prefix of the contiguous run of buffered blocks above the head,
   * one slice of at most applySliceTxs transactions per turn of the event loop.
   */
  private apply(): void {
    this.applyPending = false;
    if (!this.running) return;
    const tip = this.c.chain.tip();
    const head = tip.header.height;
    for (const h of this.buffer.keys()) if (h <= head) this.unbuffer(h);
    const run: Buffered[] = [];
    for (let h = head + 1; this.buffer.has(h); h++) run.push(this.buffer.get(h)!);
    if (run.length < 2) return;
    let verified: ReturnType<typeof verifyRange>;
    try {
      verified = verifyRange(
        tip,
        run.map((b) => b.item),
        this.c.ctx,
        this.o.applySliceTxs,
      );
    } catch (err) {
      const at = err instanceof SyncError && err.height !== undefined ? err.height : head + 1;
      const culprit = this.buffer.get(at);
      const before = this.buffer.get(at - 1);
      // A link broken between two responses may be an abandoned certified block served
      // earlier; blame the peer only when its own response (or the local head) is at fault.
      const ownFault =
        !(err instanceof SyncError && err.code === 'WRONG_PARENT') ||
        at === head + 1 ||
        before?.requestId === culprit?.requestId;
      if (culprit && ownFault) {
        this.clearBuffer();
        this.reject(culprit.peer, err, at);
        return;
      }
      // Only the two sides of the break are dropped (one of them is on an abandoned
      // branch; both are asked again, of other peers): the run below them still applies,
      // so a peer serving an abandoned certified block cannot wipe everything fetched.
      this.unbuffer(at - 1);
      this.unbuffer(at);
      this.log.debug({ at, err: (err as Error).message }, 'dropped buffered sync blocks at a broken link');
      if (at - 2 > head + 1) this.apply();
      return;
    }
    for (const v of verified) {
      this.c.chain.commit(v);
      this.unbuffer(v.block.header.height);
      this.metrics.appliedBlocks++;
    }
    if (verified.length > 0) {
      this.log.debug(
        { from: head + 1, to: head + verified.length, target: this.policy.target(this.c.clock.nowMs()) },
        'applied synced blocks',
      );
      this.updateSyncing();
    }
    // more of the run may be proven committed: continue on a later turn of the event loop
    if (verified.length > 0 && verified.length < run.length - 1) {
      this.applyPending = true;
      this.c.clock.defer?.(() => this.apply());
    }
  }

  private reject(peer: string, err: unknown, height: number): void {
    if (!(err instanceof SyncError)) {
      this.log.warn({ peer, height, err: (err as Error).message }, 'sync response check threw');
      return;
    }
    this.metrics.badResponses++;
    if (err.peerFault) this.c.network.penalize(peer);
    this.log.warn({ peer, height, code: err.code, err: err.message }, 'bad sync response');
  }
}
