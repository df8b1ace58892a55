/**
 * Proposal assembly: a gossiped proposal names its transactions by hash (encoding.ts), and
 * this node takes the bodies from its own mempool, where gossip put them before: each
 * transaction's bytes then cross the network once per peer, in its batch, instead of twice.
 *
 * A body can be missing: its batch still waits in this node's inbound queue (proposals are
 * validated first), it was dropped under overload, or a byzantine leader made it up. The
 * proposal then waits; it is tried again whenever `retry` is called (after transaction
 * batches are admitted, and on a timer). After `fetchAfterMs` the whole block is asked
 * from its proposer over the direct protocol (the block fetch consensus already uses);
 * an answer counts only if its header is the proposal's and its transactions hash to the
 * header's txRoot. After `giveUpMs` the proposal is dropped: consensus then fetches the
 * block itself if a QC shows it matters, or the round times out.
 *
 * What waits is bounded per proposer as well as in total, and when the total is full the
 * proposer holding the most gives way: a validator spraying proposals with made-up hashes
 * (each validly signed) pushes out only its own, never the round leader's one proposal.
 */
import { hashHeader, merkleRoot } from '../chain/index.js';
import type { Block } from '../chain/types.js';
import type { Proposal } from '../consensus/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/hash.js';
import type { CompactProposal } from './encoding.js';

export interface AssemblyOptions {
  /** Ask the proposer for the whole block after a proposal waited this long. */
  fetchAfterMs: number;
  /** Drop a proposal still incomplete after this long. */
  giveUpMs: number;
  /** Proposals waiting at once; beyond, the oldest of the proposer holding the most is dropped. */
  maxPending: number;
  /** Proposals one proposer may have waiting; its oldest is dropped beyond. Default 2. */
  maxPendingPerProposer?: number;
}

export const DEFAULT_ASSEMBLY_OPTIONS: Readonly<AssemblyOptions> = Object.freeze({
  fetchAfterMs: 50,
  giveUpMs: 2_000,
  maxPending: 16,
  maxPendingPerProposer: 2,
});

export interface AssemblyPorts {
  /** The raw bytes of a pending transaction, by keccak hash. */
  lookupTx(hash: Uint8Array): Uint8Array | undefined;
  /** Asks validator `from` for the block with this id (its answer comes to `onBlock`). */
  requestBlock(from: number, blockId: Uint8Array): void;
  /** A complete proposal, from validator `from`. */
  deliver(from: number, proposal: Proposal): void;
  now(): number;
}

interface Waiting {
  from: number;
  compact: CompactProposal;
  id: Uint8Array;
  /** Bodies found so far (undefined where still missing). */
  bodies: (Uint8Array | undefined)[];
  since: number;
  requested: boolean;
}

export interface AssemblyMetrics {
  /** Proposals complete from the mempool at once / after waiting / from a fetched block. */
  immediate: number;
  afterWait: number;
  fetched: number;
  /** Proposals given up (incomplete after giveUpMs, or pushed out by newer ones). */
  dropped: number;
}

export class ProposalAssembler {
  private readonly waiting = new Map<string, Waiting>();
  readonly metrics: AssemblyMetrics = { immediate: 0, afterWait: 0, fetched: 0, dropped: 0 };

  constructor(
    private readonly ports: AssemblyPorts,
    private readonly options: AssemblyOptions = DEFAULT_ASSEMBLY_OPTIONS,
  ) {}

  /** Proposals still waiting for bodies. */
  pending(): number {
    return this.waiting.size;
  }

  add(from: number, compact: CompactProposal): void {
    const id = hashHeader(compact.header);
    const key = toHex(id);
    if (this.waiting.has(key)) return;
    const w: Waiting = {
      from,
      compact,
      id,
      bodies: compact.hashes.map((h) => this.ports.lookupTx(h)),
      since: this.ports.now(),
      requested: false,
    };
    if (this.complete(w)) {
      this.metrics.immediate++;
      return;
    }
    const perProposer = this.options.maxPendingPerProposer ?? DEFAULT_ASSEMBLY_OPTIONS.maxPendingPerProposer!;
    if (this.countOf(from) >= perProposer) this.dropOldestOf(from);
    if (this.waiting.size >= this.options.maxPending) this.dropOldestOf(this.busiestProposer());
    this.waiting.set(key, w);
  }

  private countOf(from: number): number {
    let count = 0;
    for (const w of this.waiting.values()) if (w.from === from) count++;
    return count;
  }

  private busiestProposer(): number {
    const counts = new Map<number, number>();
    let busiest = -1;
    let most = 0;
    for (const w of this.waiting.values()) {
      const c = (counts.get(w.from) ?? 0) + 1;
      counts.set(w.from, c);
      if (c > most) {
        most = c;
        busiest = w.from;
      }
    }
    return busiest;
  }

  private dropOldestOf(from: number): void {
    for (const [key, w] of this.waiting) {
      if (w.from !== from) continue;
      this.waiting.delete(key);
      this.metrics.dropped++;
      return;
    }
  }

  /** Looks for the missing bodies again; asks for blocks and gives up as time says. */
  retry(): void {
    const now = this.ports.now();
    for (const [key, w] of this.waiting) {
      for (let i = 0; i < w.bodies.length; i++) w.bodies[i] ??= this.ports.lookupTx(w.compact.hashes[i]);
      if (this.complete(w)) {
        this.waiting.delete(key);
        this.metrics.afterWait++;
      } else if (now - w.since >= this.options.giveUpMs) {
        this.waiting.delete(key);
        this.metrics.dropped++;
      } else if (!w.requested && now - w.since >= this.options.fetchAfterMs) {
        w.requested = true;
        this.ports.requestBlock(w.from, w.id);
      }
    }
  }

  /** A block that came by the direct protocol: completes the waiting proposal it is. */
  onBlock(block: Block): void {
    if (this.waiting.size === 0) return;
    const id = hashHeader(block.header);
    const key = toHex(id);
    const w = this.waiting.get(key);
    if (!w) return;
    const hashes = block.transactions.map(keccak256);
    // the header is the proposal's (same id); its transactions must be the ones it names
    if (
      hashes.length !== w.compact.hashes.length ||
      !hashes.every((h, i) => equalBytes(h, w.compact.hashes[i])) ||
      !equalBytes(merkleRoot(hashes), block.header.txRoot)
    )
      return;
    this.waiting.delete(key);
    this.metrics.fetched++;
    this.deliver(w, block.transactions);
  }

  clear(): void {
    this.waiting.clear();
  }

  private complete(w: Waiting): boolean {
    if (!w.bodies.every((b) => b !== undefined)) return false;
    this.deliver(w, w.bodies as Uint8Array[]);
    return true;
  }

  private deliver(w: Waiting, transactions: Uint8Array[]): void {
    const { header, signature, tc } = w.compact;
    const proposal: Proposal = { block: { header, transactions }, signature };
    if (tc) proposal.tc = tc;
    this.ports.deliver(w.from, proposal);
  }
}
