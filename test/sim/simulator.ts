/**
 * Deterministic network simulator for the consensus core (docs/PROTOCOL.md, "Simulator").
 * One seeded PRNG, one virtual clock, one event heap. Every node runs the real
 * ConsensusCore through the real ConsensusDriver; only transport, clock, safety store and
 * block application are simulated. Checkers run on every commit and evidence (safety,
 * validity, honest equivocation) and on a fine periodic tick (liveness).
 */
import { hashHeader } from '../../src/chain/codec.js';
import type { Block, BlockHeader } from '../../src/chain/types.js';
import {
  type BlockApplication,
  type CommittedBlock,
  ConsensusCore,
  ConsensusDriver,
  type ConsensusMessage,
  defaultReputation,
  type Evidence,
  encodeProposal,
  encodeTimeout,
  genesisQc,
  type HistoryEntry,
  historyEntry,
  maxFaulty,
  type Payload,
  type QuorumCertificate,
  type SafetyData,
  type Signer,
  type Transport,
  type ValidatorSet,
} from '../../src/consensus/index.js';
import { concatBytes, toHex } from '../../src/crypto/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { type BrokenRuleName, brokenRules } from './broken-rules.js';
import { type Behaviour, byzantineTransport } from './byzantine.js';
import { EventHeap } from './event-heap.js';
import { type FaultPorts, schedulePreGstFaults, scheduleSlowReturn } from './faults.js';
import { hmacTestScheme } from './hmac-scheme.js';
import { Prng } from './prng.js';

export type { Behaviour };

export interface SimConfig {
  seed: number;
  scenario: string;
  n: number;
  durationMs: number;
  /** Global stabilisation time: before it loss, duplication, long delays and partitions. */
  gstMs: number;
  /** Per-link base latency is drawn in [min, max]; each message adds exponential jitter. */
  linkLatencyMs: [number, number];
  jitterMeanMs: number;
  preGst: { lossRate: number; dupRate: number; delayFactor: number; partitions: boolean };
  /** Honest nodes that crash and restart (from their durable safety data) before GST. */
  crashRestarts: number;
  /** Validators that are down from `permanentCrashAtMs` to the end. */
  permanentCrashes: number[];
  permanentCrashAtMs: number;
  byzantine: Record<number, Behaviour>;
  /** Validator indexes that run as two nodes sharing one key. */
  twins: number[];
  reputation: boolean;
  baseRoundTimeoutMs: number;
  maxTimeoutExponent: number;
  /** Honest nodes run these deliberately broken rules (test/sim/broken-rules.ts). */
  brokenRules?: BrokenRuleName;
  /** Liveness: after gstMs + settle, each live honest node commits at least this often. */
  livenessBoundMs: number;
  /** Stop early once every honest node has committed this many blocks (0 = no limit). */
  targetHeight: number;
  /** Fixed delay on every link and no jitter (figures count message delays). */
  fixedDelayMs?: number;
  /**
   * Targeted adversary: the first proposal an honest node broadcasts at or after `afterMs`
   * is dropped and its sender is cut off from everyone, both ways, for `forMs`. That
   * leader has just formed a QC no one else has seen, so the others time out and a later
   * leader extends an older QC (the schedule that exposes a 1-chain commit).
   */
  isolateProposer?: { afterMs: number; forMs: number };
  /** At this time, crash for good the leader of (current round + 1): the node that is
   * collecting the votes of the round in progress (figures: time to the next commit). */
  crashNextLeaderAtMs?: number;
  /**
   * Targeted schedule for leader reputation [L2]: validator `index` is down from downAtMs
   * to upAtMs (long enough for reputation to leave it out), then back but slow: its votes
   * take voteDelayMs more, so they never make the first 2f + 1 of a QC and it stays out.
   * `permanentCrashes` then crash validators that reputation counts as up.
   */
  slowReturn?: { index: number; downAtMs: number; upAtMs: number; voteDelayMs: number };
  /** Leader reputation's probation period (default 100 rounds). */
  probationPeriodRounds?: number;
  /** Leader reputation's staleness fallback [L2] (default: the node's); Infinity turns it off. */
  staleAfterRounds?: number;
  /**
   * The double-sign guard [S3] as the node runs it: every (re)booted honest node watches
   * this many rounds before signing (default SIM_DOUBLE_SIGN_CHECK_ROUNDS; 0 turns it off).
   * Faulty nodes run without it, unless `twinsRunGuard`: twins that both run it (one key
   * started twice by mistake, what the guard is for) must halt instead of equivocating.
   */
  doubleSignCheckRounds?: number;
  twinsRunGuard?: boolean;
}

/** The node's default (src/node/options.ts DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS). */
export const SIM_DOUBLE_SIGN_CHECK_ROUNDS = 2;

export interface SimResult {
  seed: number;
  scenario: string;
  n: number;
  violations: string[];
  /** Lowest committed height among honest nodes that are up at the end. */
  minHonestHeight: number;
  maxHonestHeight: number;
  maxRound: number;
  messages: number;
  evidence: number;
  /** Nodes whose double-sign guard stopped them [S3]. */
  halts: number;
  virtualMs: number;
  replay: string;
  /** Per committed block (canonical chain): round, the time its proposal was sent, and
   * the first and the last time an honest node committed it. */
  chain: Array<{
    height: number;
    round: number;
    proposedAtMs: number;
    firstCommitAtMs: number;
    lastCommitAtMs: number;
  }>;
  /** The validator crashed by `crashNextLeaderAtMs`, if any. */
  crashedLeader?: number;
  /** Leaders of the 6 rounds after the current one, as the most advanced honest node saw
   * them when the permanent crashes happened (what reputation had learned by then; further
   * ahead the staleness fallback [L2] would already apply, as no later commit is known). */
  leadersAtCrash?: number[];
}

const CHAIN_ID = 1337n;
const INVALID_MARK = 0xff;

interface SimNode {
  id: number;
  index: number;
  up: boolean;
  epoch: number;
  timerToken: number;
  driver: ConsensusDriver | undefined;
  core: ConsensusCore | undefined;
  durable: SafetyData | undefined;
  committed: CommittedBlock[];
  committedById: Map<string, Block>;
  commitCert: QuorumCertificate;
  lastProgressMs: number;
  behaviour: Behaviour | undefined;
  twin: boolean;
  /** Messages this node has seen, for replaying stale ones (Byzantine only). */
  seen: ConsensusMessage[];
}

export function genesisBlock(): Block {
  const header: BlockHeader = {
    chainId: CHAIN_ID,
    height: 0,
    round: 0,
    parentHash: new Uint8Array(32),
    proposer: new Uint8Array(20),
    timestampMs: 0,
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    parentQc: new Uint8Array(0),
  };
  return { header, transactions: [] };
}

export class Simulation {
  readonly cfg: SimConfig;
  private readonly rng: Prng;
  private readonly netRng: Prng;
  /** Timer firing jitter (own stream, so the network's draws do not depend on it). */
  private readonly clockRng: Prng;
  private readonly heap = new EventHeap();
  now = 0;
  private readonly nodes: SimNode[] = [];
  private readonly validatorSet: ValidatorSet;
  private readonly signers: Signer[];
  private readonly verifier;
  private readonly genesis: Block;
  private readonly genesisId: Uint8Array;
  private readonly linkLatency: number[][];
  private partitionOf: number[] | undefined;
  private readonly violations: string[] = [];
  private readonly canonical = new Map<number, string>();
  private readonly proposedAt = new Map<string, number>();
  private readonly chainInfo = new Map<
    number,
    { round: number; proposedAtMs: number; firstCommitAtMs: number; lastCommitAtMs: number }
  >();
  private crashedLeader: number | undefined;
  private leadersAtCrash: number[] | undefined;
  private messages = 0;
  private evidence = 0;
  private halts = 0;
  private maxRound = 0;
  private readonly faultyIndexes = new Set<number>();
  /** The node cut off by `isolateProposer`, once chosen, and until when. */
  private isolated: { id: number; untilMs: number } | undefined;
  private readonly addressIndex = new Map<string, number>();

  constructor(cfg: SimConfig) {
    this.cfg = cfg;
    this.rng = new Prng(cfg.seed);
    this.netRng = this.rng.fork();
    this.clockRng = this.rng.fork();
    const scheme = hmacTestScheme(cfg.seed, cfg.n);
    this.signers = scheme.signers;
    this.verifier = scheme.verifier;
    this.genesis = genesisBlock();
    this.genesisId = hashHeader(this.genesis.header);
    this.validatorSet = {
      chainId: CHAIN_ID,
      genesisId: this.genesisId,
      validators: scheme.publicKeys.map((publicKey, i) => ({
        address: sha256(
          concatBytes(new TextEncoder().encode('validator'), new Uint8Array([i >> 8, i & 255])),
        ).subarray(0, 20),
        publicKey,
      })),
    };
    this.validatorSet.validators.forEach((v, i) => {
      this.addressIndex.set(toHex(v.address), i);
    });
    for (const i of Object.keys(cfg.byzantine)) this.faultyIndexes.add(Number(i));
    for (const i of cfg.twins) this.faultyIndexes.add(i);
    for (const i of cfg.permanentCrashes) this.faultyIndexes.add(i);
    const f = maxFaulty(cfg.n);
    if (this.faultyIndexes.size > f)
      throw new Error(`${this.faultyIndexes.size} faulty validators > f = ${f}`);
    let id = 0;
    for (let i = 0; i < cfg.n; i++) {
      this.nodes.push(this.makeNode(id++, i, false));
      if (cfg.twins.includes(i)) this.nodes.push(this.makeNode(id++, i, true));
    }
    const total = this.nodes.length;
    this.linkLatency = [];
    for (let a = 0; a < total; a++) {
      this.linkLatency.push([]);
      for (let b = 0; b < total; b++) {
        this.linkLatency[a].push(
          cfg.fixedDelayMs ?? this.rng.range(cfg.linkLatencyMs[0], cfg.linkLatencyMs[1]),
        );
      }
    }
  }

  private makeNode(id: number, index: number, twin: boolean): SimNode {
    return {
      id,
      index,
      up: false,
      epoch: 0,
      timerToken: 0,
      driver: undefined,
      core: undefined,
      durable: undefined,
      committed: [{ id: this.genesisId, block: this.genesis }],
      committedById: new Map([[toHex(this.genesisId), this.genesis]]),
      commitCert: genesisQc(this.genesisId),
      lastProgressMs: 0,
      behaviour: this.cfg.byzantine[index],
      twin,
      seen: [],
    };
  }

  private isHonest(node: SimNode): boolean {
    return !this.faultyIndexes.has(node.index);
  }

  private schedule(at: number, fn: () => void): void {
    this.heap.push(at, fn);
  }

  private violation(kind: string, detail: string): void {
    if (this.violations.length < 20) this.violations.push(`${kind} at t=${this.now.toFixed(1)}ms: ${detail}`);
  }

  // ---------------------------------------------------------------- node lifecycle

  private boot(node: SimNode): void {
    node.up = true;
    node.epoch++;
    const epoch = node.epoch;
    const tip = node.committed[node.committed.length - 1];
    const history: HistoryEntry[] = node.committed
      .slice(-200)
      .filter((c) => c.block.header.height > 0)
      .map((c) => historyEntry(c.block, this.addressIndex));
    const core = new ConsensusCore(
      {
        validatorSet: this.validatorSet,
        self: node.index,
        signer: this.signers[node.index],
        verifier: this.verifier,
        baseRoundTimeoutMs: this.cfg.baseRoundTimeoutMs,
        maxTimeoutExponent: this.cfg.maxTimeoutExponent,
        fetchRetryMs: this.cfg.baseRoundTimeoutMs / 2,
        // the node's rule (src/consensus/leader.ts defaults), with the scenario's switches
        reputation: {
          ...defaultReputation(this.cfg.n),
          enabled: this.cfg.reputation,
          ...(this.cfg.probationPeriodRounds
            ? { probationPeriodRounds: this.cfg.probationPeriodRounds }
            : {}),
          ...(this.cfg.staleAfterRounds ? { staleAfterRounds: this.cfg.staleAfterRounds } : {}),
        },
        ...(this.cfg.brokenRules && this.isHonest(node) ? { rules: brokenRules(this.cfg.brokenRules) } : {}),
        doubleSignCheckRounds:
          this.isHonest(node) || (this.cfg.twinsRunGuard && this.cfg.twins.includes(node.index))
            ? (this.cfg.doubleSignCheckRounds ?? SIM_DOUBLE_SIGN_CHECK_ROUNDS)
            : 0,
      },
      { root: tip, rootQc: node.commitCert, history, safety: node.durable },
    );
    const alive = () => node.up && node.epoch === epoch;
    const transport = this.transportFor(node, alive);
    const driver = new ConsensusDriver(core, {
      transport,
      clock: {
        now: () => this.now,
        setTimer: (atMs, fire) => {
          const token = ++node.timerToken;
          // Node's setTimeout counts whole milliseconds on a monotonic clock, so against
          // Date.now a timer can fire up to 1 ms before atMs: the core must re-arm then.
          const early = this.clockRng.chance(0.3) ? this.clockRng.range(0, 1) : 0;
          this.schedule(Math.max(atMs - early, this.now), () => {
            if (alive() && token === node.timerToken) fire();
          });
        },
      },
      safetyStore: {
        persist: (data, durable) => {
          this.schedule(this.now + this.rng.range(0.2, 2), () => {
            if (!alive()) return; // crashed before the write landed: lost
            node.durable = data;
            durable();
          });
        },
      },
      app: this.appFor(node, alive),
      onEvidence: (e) => this.onEvidence(node, e),
      // [S3] an honest node's durable safety data records all it signed: a halt is a false alarm
      onHalt: (err) => {
        this.halts++;
        if (this.isHonest(node)) this.violation('FALSE_HALT', `honest node ${node.id}: ${err.message}`);
      },
    });
    node.core = core;
    node.driver = driver;
    node.lastProgressMs = Math.max(node.lastProgressMs, this.now);
    driver.start();
  }

  private crash(node: SimNode): void {
    if (!node.up) return;
    node.up = false;
    node.driver?.stop();
    node.driver = undefined;
    node.core = undefined;
  }

  // ---------------------------------------------------------------- application

  private appFor(node: SimNode, alive: () => boolean): BlockApplication {
    return {
      buildPayload: (req, ready) => {
        this.schedule(this.now + 0.5, () => {
          if (!alive()) return;
          const bad = node.behaviour === 'invalidPayload';
          const tx = concatBytes(
            new Uint8Array([bad ? INVALID_MARK : 1]),
            new TextEncoder().encode(`r${req.round}n${node.id}`),
          );
          const payload: Payload = {
            parentId: req.parentId,
            transactions: [tx],
            txRoot: sha256(tx),
            stateRoot: sha256(concatBytes(req.parent.header.stateRoot, tx)),
            receiptsRoot: new Uint8Array(32),
            timestampMs: Math.floor(this.now),
          };
          ready(payload);
        });
      },
      validatePayload: ({ block, parent }, done) => {
        this.schedule(this.now + 0.5, () => {
          if (!alive()) return;
          done(payloadValid(block, parent));
        });
      },
      commit: (blocks, certificate) => this.onCommit(node, blocks, certificate),
      getCommittedBlock: (id) => node.committedById.get(toHex(id)),
    };
  }

  // ---------------------------------------------------------------- checkers

  private onCommit(node: SimNode, blocks: CommittedBlock[], certificate: QuorumCertificate): void {
    const tip = node.committed[node.committed.length - 1];
    let prevHeight = tip.block.header.height;
    let prevId = toHex(tip.id);
    for (const b of blocks) {
      const idHex = toHex(b.id);
      node.committed.push(b);
      node.committedById.set(idHex, b.block);
      if (node.committed.length > 600) {
        const old = node.committed.splice(0, node.committed.length - 500);
        for (const o of old) node.committedById.delete(toHex(o.id));
      }
      if (!this.isHonest(node)) continue;
      const h = b.block.header;
      // safety: a node's committed chain is contiguous and every honest chain agrees
      if (h.height !== prevHeight + 1 || toHex(h.parentHash) !== prevId) {
        this.violation('SAFETY', `node ${node.id} committed height ${h.height} not extending its tip`);
      }
      const other = this.canonical.get(h.height);
      if (other === undefined) {
        this.canonical.set(h.height, idHex);
        this.chainInfo.set(h.height, {
          round: h.round,
          proposedAtMs: this.proposedAt.get(idHex) ?? Number.NaN,
          firstCommitAtMs: this.now,
          lastCommitAtMs: this.now,
        });
      } else if (other === idHex) {
        const info = this.chainInfo.get(h.height);
        if (info) info.lastCommitAtMs = this.now;
      } else {
        this.violation(
          'SAFETY',
          `node ${node.id} committed ${idHex.slice(0, 10)} at height ${h.height}, another honest node ${other.slice(0, 10)}`,
        );
      }
      // validity: only blocks whose payload validates commit
      for (const tx of b.block.transactions) {
        if (tx[0] === INVALID_MARK)
          this.violation('VALIDITY', `node ${node.id} committed an invalid payload at height ${h.height}`);
      }
      prevHeight = h.height;
      prevId = idHex;
    }
    node.commitCert = certificate;
    node.lastProgressMs = this.now;
  }

  private onEvidence(node: SimNode, e: Evidence): void {
    this.evidence++;
    if (!this.isHonest(node)) return;
    if (!this.faultyIndexes.has(e.validator)) {
      this.violation(
        'EQUIVOCATION',
        `honest validator ${e.validator} signed two ${e.kind}s in round ${e.round}`,
      );
    }
  }

  private checkLiveness(): void {
    const start = this.cfg.gstMs + this.cfg.livenessBoundMs;
    if (this.now < start) return;
    for (const node of this.nodes) {
      if (!node.up || !this.isHonest(node)) continue;
      const since = Math.max(node.lastProgressMs, this.cfg.gstMs);
      if (this.now - since > this.cfg.livenessBoundMs) {
        this.violation(
          'LIVENESS',
          `node ${node.id} has not committed for ${(this.now - since).toFixed(0)}ms after GST`,
        );
        node.lastProgressMs = this.now; // report once per bound
      }
    }
  }

  // ---------------------------------------------------------------- network

  private linkDelay(from: number, to: number): number {
    const base = this.linkLatency[from][to];
    if (this.cfg.fixedDelayMs !== undefined) return base;
    const jitter = this.netRng.exp(this.cfg.jitterMeanMs);
    return this.now < this.cfg.gstMs ? (base + jitter) * this.cfg.preGst.delayFactor : base + jitter;
  }

  private deliver(from: SimNode, to: SimNode, msg: ConsensusMessage): void {
    if (to.id === from.id) return;
    this.messages++;
    const cut = this.isolated;
    if (cut && this.now < cut.untilMs && (cut.id === from.id || cut.id === to.id)) return;
    const pre = this.now < this.cfg.gstMs;
    if (pre) {
      if (this.partitionOf && this.partitionOf[from.id] !== this.partitionOf[to.id]) return;
      if (this.netRng.chance(this.cfg.preGst.lossRate)) return;
    }
    const copies = pre && this.netRng.chance(this.cfg.preGst.dupRate) ? 2 : 1;
    const slow = this.cfg.slowReturn;
    const extra =
      slow && msg.kind === 'vote' && from.index === slow.index && this.now >= slow.upAtMs
        ? slow.voteDelayMs
        : 0;
    for (let c = 0; c < copies; c++) {
      this.schedule(this.now + this.linkDelay(from.id, to.id) + extra, () => {
        if (!to.up || !to.driver) return;
        if (to.behaviour && to.seen.length < 200 && msg.kind !== 'blockResponse') to.seen.push(msg);
        to.driver.onMessage(from.index, msg);
      });
    }
  }

  private transportFor(node: SimNode, alive: () => boolean): Transport {
    // Like gossipsub's seen cache (per process, so a restart starts empty): a broadcast of
    // bytes this node already broadcast goes nowhere unless it is marked as a repeat,
    // which the real transport sends directly to every validator.
    const gossiped = new Set<string>();
    const honest: Transport = {
      broadcast: (msg, options) => {
        if (!alive()) return;
        if (!options?.repeat && (msg.kind === 'proposal' || msg.kind === 'timeout')) {
          const bytes = msg.kind === 'proposal' ? encodeProposal(msg.proposal) : encodeTimeout(msg.timeout);
          const key = toHex(sha256(bytes));
          if (gossiped.has(key)) return;
          gossiped.add(key);
        }
        if (msg.kind === 'proposal') {
          const iso = this.cfg.isolateProposer;
          if (iso && !this.isolated && this.now >= iso.afterMs && this.isHonest(node)) {
            this.isolated = { id: node.id, untilMs: this.now + iso.forMs };
            return; // the proposal never leaves
          }
          const idHex = toHex(hashHeader(msg.proposal.block.header));
          if (!this.proposedAt.has(idHex)) this.proposedAt.set(idHex, this.now);
          if (msg.proposal.block.header.round > this.maxRound)
            this.maxRound = msg.proposal.block.header.round;
        }
        for (const to of this.nodes) this.deliver(node, to, msg);
      },
      send: (index, msg) => {
        if (!alive()) return;
        for (const to of this.nodes) if (to.index === index) this.deliver(node, to, msg);
      },
    };
    if (!node.behaviour) return honest;
    return this.byzantineTransport(node, honest);
  }

  // ---------------------------------------------------------------- Byzantine behaviours

  private byzantineTransport(node: SimNode, honest: Transport): Transport {
    return byzantineTransport<SimNode>({
      behaviour: node.behaviour!,
      self: node.index,
      signer: this.signers[node.index],
      validatorSet: this.validatorSet,
      rng: this.rng.fork(),
      honest,
      all: () => this.nodes,
      others: () => this.nodes.filter((x) => x.id !== node.id),
      deliver: (to, msg) => this.deliver(node, to, msg),
      later: (delayMs, fire) => this.schedule(this.now + delayMs, fire),
      nowMs: () => this.now,
      core: () => node.core,
      seen: () => node.seen,
      genesisQc: () => genesisQc(this.genesisId),
    });
  }

  // ---------------------------------------------------------------- faults schedule

  private faultPorts(): FaultPorts<SimNode> {
    return {
      cfg: this.cfg,
      rng: this.rng,
      nodes: this.nodes,
      nowMs: () => this.now,
      schedule: (atMs, fire) => this.schedule(atMs, fire),
      isHonest: (node) => this.isHonest(node),
      crash: (node) => this.crash(node),
      boot: (node) => this.boot(node),
      setPartition: (sides) => {
        this.partitionOf = sides;
      },
    };
  }

  private scheduleFaults(): void {
    const cfg = this.cfg;
    const ports = this.faultPorts();
    schedulePreGstFaults(ports);
    if (cfg.crashNextLeaderAtMs !== undefined) {
      this.schedule(cfg.crashNextLeaderAtMs, () => {
        const core = this.nodes.find((x) => x.up && this.isHonest(x) && x.core)?.core;
        if (!core) return;
        const leader = core.leaderOf(core.status().round + 1);
        this.crashedLeader = leader;
        for (const node of this.nodes) if (node.index === leader) this.crash(node);
      });
    }
    scheduleSlowReturn(ports);
    if (cfg.permanentCrashes.length > 0) {
      this.schedule(cfg.permanentCrashAtMs, () => {
        // the most advanced honest node's view (one still catching up sees old history)
        let core: ConsensusCore | undefined;
        for (const x of this.nodes)
          if (
            x.up &&
            this.isHonest(x) &&
            x.core &&
            (!core || x.core.status().committedHeight > core.status().committedHeight)
          )
            core = x.core;
        if (!core) return;
        const round = core.status().round;
        this.leadersAtCrash = Array.from({ length: 6 }, (_, k) => core!.leaderOf(round + 1 + k));
      });
    }
    for (const i of cfg.permanentCrashes) {
      for (const node of this.nodes)
        if (node.index === i) this.schedule(cfg.permanentCrashAtMs, () => this.crash(node));
    }
  }

  // ---------------------------------------------------------------- run

  run(): SimResult {
    for (const node of this.nodes) this.boot(node);
    this.scheduleFaults();
    const tickEvery = Math.max(10, this.cfg.livenessBoundMs / 8);
    const tick = () => {
      this.checkLiveness();
      this.schedule(this.now + tickEvery, tick);
    };
    this.schedule(tickEvery, tick);
    let steps = 0;
    while (this.heap.size > 0) {
      const next = this.heap.pop()!;
      if (next.atMs > this.cfg.durationMs) break;
      this.now = next.atMs;
      next.fire();
      if (
        ++steps % 4096 === 0 &&
        this.cfg.targetHeight > 0 &&
        this.minHonestHeight() >= this.cfg.targetHeight
      )
        break;
      if (this.violations.length >= 20) break;
    }
    return this.result();
  }

  private minHonestHeight(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const node of this.nodes) {
      if (!node.up || !this.isHonest(node)) continue;
      min = Math.min(min, node.committed[node.committed.length - 1].block.header.height);
    }
    return Number.isFinite(min) ? min : 0;
  }

  private result(): SimResult {
    let max = 0;
    for (const node of this.nodes) {
      if (!this.isHonest(node)) continue;
      max = Math.max(max, node.committed[node.committed.length - 1].block.header.height);
    }
    const chain = [...this.chainInfo.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([height, v]) => ({ height, ...v }));
    return {
      seed: this.cfg.seed,
      scenario: this.cfg.scenario,
      n: this.cfg.n,
      violations: this.violations,
      minHonestHeight: this.minHonestHeight(),
      maxHonestHeight: max,
      maxRound: this.maxRound,
      messages: this.messages,
      evidence: this.evidence,
      halts: this.halts,
      virtualMs: this.now,
      replay: `npx tsx scripts/sim.ts --seed ${this.cfg.seed} --scenario ${this.cfg.scenario}`,
      chain,
      crashedLeader: this.crashedLeader,
      leadersAtCrash: this.leadersAtCrash,
    };
  }
}

/** The simulated application's validity rule: no transaction starts with the invalid mark. */
export function payloadValid(block: Block, parent: Block): boolean {
  if (block.header.timestampMs < parent.header.timestampMs) return false;
  return block.transactions.every((tx) => tx.length > 0 && tx[0] !== INVALID_MARK);
}
