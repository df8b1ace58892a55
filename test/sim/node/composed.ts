/**
 * The composed node in the simulator: each simulated validator runs the node's real parts
 * (LedgerApplication with its speculative execution, payloads and commits; the real Mempool;
 * the real TransactionAdmission; src/node's ConsensusLifecycle, which builds the consensus
 * core and driver on the durable head, runs src/sync's BlockSync, leaves and rejoins
 * consensus around sync and answers the gate's reads; src/network's gossip gate and
 * ProposalAssembler; src/sync's server frames) over a simulated transport and sync endpoint,
 * a virtual clock (virtual-clock.ts), an in-memory chain store that commits on simulated
 * time (memory-store.ts) and an in-memory safety store whose writes land, or are lost in a
 * crash, on simulated time too (memory-safety.ts). Clients submit pre-signed transfers at
 * random nodes. Observers (`observers`) run the same parts in the genesis's observer role:
 * no consensus, the chain by block sync only, gossip and client transfers as any node.
 *
 * Every message between nodes travels as the bytes src/network puts on the wire (compact
 * proposals and timeouts on their topics, transaction batches as the publisher cuts them,
 * votes, block fetches and repeats as direct frames) and passes the receiver's gate on
 * arrival: the same validation functions, a GateContext built as createNetwork builds it
 * (limits from genesis, the round window and leader as the node's ConsensusLifecycle answers
 * them, a certificate verdict cache per boot), verdicts counted per
 * kind in a NetworkMetrics, block requests served within the BlockServeBudgets direct.ts runs.
 * Sync requests travel as messages and are served by src/sync's SyncServer, the one the
 * libp2p server runs (per-peer budgets of requests and bytes per second).
 *
 * Schedules (test/sim/node/scenarios.ts): the consensus simulator's faults (link latency,
 * loss, duplication, delay and partitions before GST, crashes with restarts, permanent
 * crashes), its Byzantine behaviours (byzantine.ts: equivocator, doubleVoter, withholder,
 * staleFuture, forger, silent; invalidPayload here signs blocks with a wrong state root) and
 * twins, and the hardening attacks (COMPOSED_ATTACKS: lying and forging sync servers,
 * block-request and sync-request floods, nonce-gap mempool fills, far-future rounds).
 * Faulty nodes run the same node with a Byzantine transport, so forgeries reach honest nodes
 * only through their gates.
 *
 * Checkers, judged on honest nodes:
 * - SAFETY: one block per height; EQUIVOCATION: no evidence against an honest validator;
 * - ACK_LOST: every transfer an honest node acknowledged is committed (judged after the
 *   drain; excused when an earlier nonce of its sender was kept by a faulty node);
 * - DUPLICATE_COMMIT: no transaction is committed twice (on any node, or in the chain);
 * - STATE_ROOT: each node's durable store has the state root the header claims, the same
 *   on every node per height;
 * - MEMPOOL_HOLDS_COMMITTED: no committed transaction stays in any mempool;
 * - BOUNDS: the mempool within its options, the application's caches holding only blocks
 *   above the committed tip and writes above the durable head, what any one peer was served
 *   (block and sync requests) within the budgets, no round reached by far-future messages;
 * - LIVENESS: after GST each live honest node commits within the bound;
 * - FATAL: no honest node stops (diverged state, failed store write, halt);
 * - GATE_REJECTED_HONEST: no honest node's message is rejected by a gate;
 * - SYNC_PENALTY: no honest node penalises an honest sync server;
 * - OBSERVER_BEHIND: at the end, each observer has committed what the validators had a
 *   liveness bound earlier. An observer is an honest node for every checker above: its
 *   chain (SAFETY, STATE_ROOT), the transfers it acknowledged (ACK_LOST, DUPLICATE_COMMIT),
 *   its mempool, its gate, its liveness.
 *
 * Not composed: the libp2p transport itself (gossipsub's mesh, forwarding and seen cache,
 * peer scoring, stream framing and its read/CPU budgets, inbound queues), LedgerNode (this
 * file mirrors its wiring), the tx journal's file and the HTTP API; the consensus
 * simulator's crashNextLeaderAtMs (no scenario draws it), broken rules and leader rules
 * other than the node's (its isolatedLeader and slowReturn schedules run here too).
 *
 * The node's code settles work in promise continuations (a store write's landing, an
 * admission's answer, the lifecycle's start), so the run loop is async: after each event it
 * lets every pending continuation run before the next event, which keeps the order a
 * function of the seed.
 */
import {
  buildGenesisBlock,
  decodeBlock,
  encodeBlock,
  type GenesisBlock,
  hashHeader,
} from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import { rootOf } from '../../../src/commitment/index.js';
import {
  type ConsensusMessage,
  decodeQc,
  type Evidence,
  encodeProposal,
  encodeQc,
  encodeTimeout,
  encodeVote,
  genesisQc,
  maxFaulty,
  proposalDigest,
  type Signer,
  type Transport,
  type ValidatorSet,
} from '../../../src/consensus/index.js';
import { concatBytes, equalBytes, toHex } from '../../../src/crypto/bytes.js';
import { keccak256, sha256 } from '../../../src/crypto/hash.js';
import type { Genesis } from '../../../src/genesis/index.js';
import { Mempool, type MempoolOptions } from '../../../src/mempool/index.js';
import { resolveOptions } from '../../../src/mempool/options.js';
import {
  type BlockServeBudgets,
  blockServeBudgets,
  certificateVerdicts,
  DEFAULT_NETWORK_OPTIONS,
  directKindOf,
  emptyMetrics,
  encodeCompactProposal,
  encodeDirect,
  encodeTxBatch,
  Gate,
  type GateContext,
  GateError,
  type MessageKind,
  messageLimits,
  type NetworkMetrics,
  ProposalAssembler,
  type TopicKind,
  type Verdict,
  type VerdictCounters,
  validateCompactProposal,
  validateDirect,
  validateGossipTimeout,
  validateTxBatch,
} from '../../../src/network/index.js';
import {
  ActivityTracker,
  ConsensusLifecycle,
  DEFAULT_TX_REBROADCAST_MAX_TXS,
  DEFAULT_TX_REBROADCAST_MS,
  LedgerApplication,
  MAX_CLOCK_SKEW_MS,
  silentLogger,
  TransactionAdmission,
} from '../../../src/node/index.js';
import type { Head } from '../../../src/store/index.js';
import {
  DEFAULT_SYNC_SERVER_OPTIONS,
  decodeSyncRequest,
  encodeSyncItem,
  encodeSyncRequest,
  encodeSyncStatus,
  MAX_BLOCKS_PER_REQUEST,
  type SyncEndpoint,
  SyncError,
  SyncServer,
  type SyncSource,
} from '../../../src/sync/index.js';
import type { Clock } from '../../../src/time/index.js';
import { type Behaviour, type ByzantinePorts, byzantineTransport, injectSignedFuture } from '../byzantine.js';
import { EventHeap } from '../event-heap.js';
import { type FaultPorts, schedulePreGstFaults, scheduleSlowReturn } from '../faults.js';
import { hmacTestScheme } from '../hmac-scheme.js';
import { Prng } from '../prng.js';
import { SIM_DOUBLE_SIGN_CHECK_ROUNDS, type SimConfig } from '../simulator.js';
import { MemorySafetyDisk, MemorySafetyStore } from './memory-safety.js';
import { MemoryChainStore, MemoryDisk } from './memory-store.js';
import { GWEI, gappedPool, SENDER_BALANCE, SIM_CHAIN_ID, transferPool } from './tx-pool.js';
import { virtualClock } from './virtual-clock.js';

/**
 * Deliberately broken node parts, to prove the checkers bite:
 * - mempoolKeepsCommitted: the mempool ignores commits (MEMPOOL_HOLDS_COMMITTED);
 * - admissionAcksDropped: admission answers some transfers as accepted without admitting
 *   them (ACK_LOST);
 * - storeLosesTreeWrite: the store drops the account-tree writes of some commits (STATE_ROOT);
 * - gateLimitsOfOtherGenesis: each node's gate takes its message limits from a genesis whose
 *   blocks hold one transaction, a wiring mistake that refuses honest proposals
 *   (GATE_REJECTED_HONEST);
 * - observerSyncUnwired: an observer's sync endpoint lists no peers, a wiring mistake that
 *   leaves it at genesis (OBSERVER_BEHIND; a run with it has an observer).
 */
export const COMPOSED_BREAKS = [
  'mempoolKeepsCommitted',
  'admissionAcksDropped',
  'storeLosesTreeWrite',
  'gateLimitsOfOtherGenesis',
  'observerSyncUnwired',
] as const;
export type ComposedBreak = (typeof COMPOSED_BREAKS)[number];

export function isComposedBreak(name: string): name is ComposedBreak {
  return (COMPOSED_BREAKS as readonly string[]).includes(name);
}

/** The scenarios of test/sim/scenarios.ts whose schedules the composed simulator runs. */
export const COMPOSED_SCENARIOS = [
  'happy',
  'lossy',
  'partition',
  'crash',
  'leaderCrash',
  'isolatedLeader',
  'slowReturn',
  'equivocator',
  'doubleVoter',
  'withholder',
  'staleFuture',
  'forger',
  'invalidPayload',
  'twins',
  'mixed',
] as const;

/**
 * What a validator with a genuine key did to the node's outer parts (issue 10's hardening),
 * beside the consensus behaviours of byzantine.ts:
 * - lyingSyncServer: its sync server claims a committed head of 2^40, serves a few genuine
 *   blocks, then withholds everything;
 * - forgedSyncRanges: its sync server answers with forged ranges (a QC whose signatures are
 *   made up, a range that skips a height, a block re-parented onto another chain);
 * - blockRequestFlood: it floods every other validator with block requests (direct frames,
 *   committed and unknown ids) and full-range sync requests;
 * - nonceGapFill: client keys submit, at every node, transfers whose nonces leave gaps (they
 *   can never execute), and the validator gossips them too;
 * - farFutureRounds: beside each message it sends, signed timeouts and votes for rounds a
 *   million above its own.
 */
export const COMPOSED_ATTACKS = [
  'lyingSyncServer',
  'forgedSyncRanges',
  'blockRequestFlood',
  'nonceGapFill',
  'farFutureRounds',
] as const;
export type ComposedAttack = (typeof COMPOSED_ATTACKS)[number];

export function isComposedAttack(name: string): name is ComposedAttack {
  return (COMPOSED_ATTACKS as readonly string[]).includes(name);
}

/** A committed head no chain reaches: what the lying sync server claims. */
const LIED_HEAD = 2 ** 40;
/** Far-future messages are this many rounds above the sender's own. */
const FAR_FUTURE_ROUNDS = 1_000_000;

export interface ClientLoad {
  /** Transfers submitted in the run (at most senders x perSender of the pool). */
  transfers: number;
  senders: number;
  /** Submissions are spread over [0, untilMs); the rest of the run drains them. */
  untilMs: number;
}

export interface ComposedConfig {
  /** The fault schedule, Byzantine behaviours, twins and consensus settings (scenarioConfig). */
  sim: SimConfig;
  clients: ClientLoad;
  /** Mempool bounds; small ones make the run exercise them. */
  mempool?: Partial<MempoolOptions>;
  /** Block limit in transactions (genesis maxBlockTxs). */
  maxBlockTxs?: number;
  broken?: ComposedBreak;
  /**
   * A validator that falls behind: down from downAtMs to upAtMs while the rest commit, then
   * back; it must catch up by block sync and rejoin consensus.
   */
  laggard?: { index: number; downAtMs: number; upAtMs: number };
  /**
   * The whole network stops at once (a power cut) at `atMs` and comes back `downMs` later:
   * what is not on each node's disk is gone from every node.
   */
  wholeCrash?: { atMs: number; downMs: number };
  /** How long a chain store commit takes to land, in [min, max] ms (default [0.2, 2]). */
  storeFlushMs?: readonly [number, number];
  /**
   * Proposals travel compact (transaction hashes only) and each node assembles them from its
   * mempool with src/network's ProposalAssembler, fetching the block from its proposer when
   * bodies are missing.
   */
  compactProposals?: boolean;
  /** This validator never gossips the transfers its clients submit: its proposals carry bodies no one else has. */
  withholdsTransfers?: number;
  /** Validators that run one of the hardening attacks (they count among the f faulty). */
  attacks?: Partial<Record<number, ComposedAttack>>;
  /**
   * Observers (default 0): nodes of the genesis that never vote or propose, hear what the
   * validators gossip, follow the chain by block sync and take client transfers. The fault
   * schedule's crash-restarts and partitions draw them as any honest node.
   */
  observers?: number;
  /**
   * The first observer is away from downAtMs to upAtMs, crashed (its disk kept) or cut off
   * (up, every message to and from it lost); back, it must catch up by block sync.
   */
  observerOutage?: { downAtMs: number; upAtMs: number; how: 'crash' | 'cutOff' };
}

export interface ComposedResult {
  seed: number;
  scenario: string;
  n: number;
  violations: string[];
  /** Committed heights of the honest validators (observers apart). */
  minHonestHeight: number;
  maxHonestHeight: number;
  /** Each observer's committed height at the end. */
  observerHeights: number[];
  /** Transfers a node answered as accepted. */
  acknowledged: number;
  /** Of those, the ones an observer answered. */
  observerAcknowledged: number;
  /** Acknowledged transfers found in the committed chain. */
  committed: number;
  /** Submissions a node refused (the client does not resubmit them). */
  refused: number;
  /** isolatedLeader: the validator whose proposal was held back and links cut, if it happened. */
  isolatedValidator?: number;
  /** Submissions that found their node down and went to another one. */
  redirected: number;
  messages: number;
  /** Blocks nodes committed by block sync. */
  syncedBlocks: number;
  /** Compact proposals completed by fetching the block from their proposer. */
  fetchedProposals: number;
  virtualMs: number;
  /** The gossip gate's verdicts per message kind, summed over every receiving node. */
  verdicts: Record<MessageKind, VerdictCounters>;
  /** Why the gate ignored or rejected messages, summed over every receiving node. */
  gateErrors: Record<string, number>;
  /** What honest servers refused or cut short (src/network's BlockServeBudgets, src/sync's SyncServer). */
  serving: {
    blockRequestsServed: number;
    blockRequestsThrottled: number;
    syncServed: number;
    syncRefused: number;
    syncCutShort: number;
    /** Sync answers from faulty servers (lies, forgeries, withheld blocks). */
    syncLies: number;
  };
  /** Times each node (by id) left consensus to sync. */
  syncStarts: number[];
  /** Faulty sync servers an honest node penalised (an honest one is a SYNC_PENALTY violation). */
  syncPenalties: number;
  /** Transfers whose nonces leave gaps (nonceGapFill) that a node acknowledged. */
  gappedAcknowledged: number;
  /**
   * Transfers honest nodes acknowledged that wait for an earlier nonce only a faulty node
   * acknowledged (and kept): not committed, and not ACK_LOST.
   */
  stuckBehindFaulty: number;
  /** Highest round any honest core reached. */
  maxHonestRound: number;
  evidence: number;
  /** Largest sizes seen: mempool transactions, executed blocks cached, commits in flight. */
  peaks: { mempoolTxs: number; executedBlocks: number; queuedCommits: number };
  /** sha256 over every node's commits and every acknowledgement, in order: same seed, same trace. */
  trace: string;
  replay: string;
}

interface ComposedNode {
  /** Position in the simulator's node list: validator index for the first n, then twins, then observers. */
  id: number;
  /** Validator index (a twin shares its validator's); -1 on an observer. */
  index: number;
  /** An observer's name in the genesis (undefined on a validator). */
  observer?: string;
  behaviour?: Behaviour;
  attack?: ComposedAttack;
  /** Messages a faulty node received, to replay stale ones. */
  seen: ConsensusMessage[];
  up: boolean;
  /** Bumped on each boot: callbacks of an earlier boot check it and do nothing. */
  epoch: number;
  disk: MemoryDisk;
  /** What the node's safety writes made durable. */
  safetyDisk: MemorySafetyDisk;
  /** Acknowledged transfers, as the node's tx journal keeps them across a crash. */
  journal: Map<string, Uint8Array>;
  store?: MemoryChainStore;
  app?: LedgerApplication;
  admission?: TransactionAdmission;
  /** src/node's consensus around block sync, one per boot. */
  lifecycle?: ConsensusLifecycle;
  assembler?: ProposalAssembler;
  bootedAtMs: number;
  /** The sync server of this boot's endpoint (syncEndpointFor). */
  syncServe?: SyncServing;
  /** Block requests served per requesting node since boot. */
  blockRequestsServedByPeer: Map<number, number>;
  /** The gossip gate as src/network's createNetwork builds it, rebuilt on each boot. */
  gate?: Gate;
  gateCtx?: GateContext;
  /** What serving each peer's block requests may cost, src/network's budgets as the node builds them. */
  blockServe?: BlockServeBudgets;
  /** The gate's verdict counters over every boot (what NetworkMetrics counts in a node). */
  metrics: NetworkMetrics;
  /** This node's committed transactions: hash -> height. */
  committedTxs: Map<string, number>;
  committedHeight: number;
  lastProgressMs: number;
}

/** This boot's sync serving: src/sync's SyncServer over the chain the lifecycle serves. */
interface SyncServing {
  /** What the lifecycle started the server with: its durable chain (undefined: not serving). */
  source?: SyncSource;
  server: SyncServer;
  /** Sync requests answered per requesting node since boot. */
  servedByPeer: Map<number, number>;
}

const GENESIS_TIME_MS = 1_764_000_000_000;
/** An observer's lifecycle builds no consensus: nothing of it may sign. */
const OBSERVER_SIGNER: Signer = {
  sign: () => {
    throw new Error('an observer signs nothing');
  },
};
const BASE_FEE = GWEI;
const MAX_BLOCK_BYTES = 1 << 20;
/** Resolves after every promise continuation queued so far has run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ComposedSimulation {
  private readonly cfg: SimConfig;
  private readonly rng: Prng;
  private readonly netRng: Prng;
  private readonly clientRng: Prng;
  private readonly heap = new EventHeap();
  private nowMs = 0;
  private readonly nodes: ComposedNode[] = [];
  private readonly genesis: GenesisBlock;
  /** The parsed genesis LedgerNode hands its ConsensusLifecycle, of the same chain as `genesis`. */
  private readonly genesisDoc: Genesis;
  private readonly validatorSet: ValidatorSet;
  private readonly scheme: ReturnType<typeof hmacTestScheme>;
  private readonly addressIndex = new Map<string, number>();
  private readonly faulty = new Set<number>();
  private readonly linkLatency: number[][] = [];
  private partitionOf: number[] | undefined;
  /** The leader cut off by `isolateProposer` once its proposal is held back, and until when. */
  private isolated: { id: number; untilMs: number } | undefined;
  /** observerOutage 'cutOff': the observer whose messages in and out are lost, from when until when. */
  private observerCut: { id: number; fromMs: number; untilMs: number } | undefined;
  /** The honest validators' highest committed height, each time it rose: when, and to what. */
  private readonly validatorHeights: Array<{ atMs: number; height: number }> = [];
  private readonly mempoolOptions: MempoolOptions;
  private readonly violations: string[] = [];
  /** Height -> id of the block honest nodes committed there. */
  private readonly canonical = new Map<number, string>();
  /** Transaction hash -> where the chain committed it. */
  private readonly chainTxs = new Map<string, string>();
  /** Height -> the state root the first node to make it durable read from its store. */
  private readonly roots = new Map<number, string>();
  /** Acknowledged transfers: hash -> the node that acknowledged it. */
  private readonly acknowledged = new Map<string, number>();
  private refused = 0;
  private redirected = 0;
  private messages = 0;
  private syncedBlocks = 0;
  private fetchedProposals = 0;
  private readonly serving = {
    blockRequestsServed: 0,
    blockRequestsThrottled: 0,
    syncServed: 0,
    syncRefused: 0,
    syncCutShort: 0,
    syncLies: 0,
  };
  private syncPenalties = 0;
  private evidence = 0;
  private maxHonestRound = 0;
  /** Hashes of the transfers whose nonces leave gaps (nonceGapFill): never expected to commit. */
  private readonly gapped = new Set<string>();
  private gappedAcknowledged = 0;
  /** Client transfers: hash -> sender and nonce; each sender's hashes by nonce. */
  private readonly clientTxs = new Map<string, { sender: number; nonce: number }>();
  private readonly senderTxs: string[][] = [];
  private stuckBehindFaulty = 0;
  private readonly syncStarts: number[] = [];
  private readonly peaks = { mempoolTxs: 0, executedBlocks: 0, queuedCommits: 0 };
  private trace: Uint8Array = new Uint8Array(32);

  constructor(private readonly config: ComposedConfig) {
    const cfg = config.sim;
    this.cfg = cfg;
    // crashNextLeaderAtMs: no scenario draws it; broken rules are the consensus simulator's
    if (cfg.crashNextLeaderAtMs !== undefined || cfg.brokenRules)
      throw new Error(`scenario ${cfg.scenario}: its targeted schedule is not composed yet`);
    // ConsensusLifecycle runs the node's leader rule, which has no switch
    if (!cfg.reputation) throw new Error(`scenario ${cfg.scenario}: the node always runs leader reputation`);
    this.rng = new Prng(cfg.seed);
    this.netRng = this.rng.fork();
    this.clientRng = this.rng.fork();
    for (const i of cfg.permanentCrashes) this.faulty.add(i);
    for (const i of Object.keys(cfg.byzantine)) this.faulty.add(Number(i));
    for (const i of cfg.twins) this.faulty.add(i);
    for (const i of Object.keys(config.attacks ?? {})) this.faulty.add(Number(i));
    if (this.faulty.size > maxFaulty(cfg.n)) throw new Error(`more than f = ${maxFaulty(cfg.n)} faulty`);
    this.mempoolOptions = resolveOptions(config.mempool);
    const pool = transferPool(
      config.clients.senders,
      Math.ceil(config.clients.transfers / config.clients.senders),
    );
    const gapSenders = this.attackers('nonceGapFill').length > 0 ? gappedPool().senders : [];
    const alloc = [...pool.senders, ...gapSenders].map((a) => [a, SENDER_BALANCE] as const);
    this.genesis = buildGenesisBlock({
      chainId: SIM_CHAIN_ID,
      timestampMs: GENESIS_TIME_MS,
      alloc,
      documentHash: sha256(new TextEncoder().encode(`composed-sim genesis n=${cfg.n}`)),
    });
    this.scheme = hmacTestScheme(cfg.seed, cfg.n);
    this.validatorSet = {
      chainId: SIM_CHAIN_ID,
      genesisId: this.genesis.hash,
      validators: this.scheme.publicKeys.map((publicKey, i) => ({
        address: sha256(
          concatBytes(new TextEncoder().encode('validator'), new Uint8Array([i >> 8, i & 255])),
        ).subarray(0, 20),
        publicKey,
      })),
    };
    this.validatorSet.validators.forEach((v, i) => {
      this.addressIndex.set(toHex(v.address), i);
    });
    const indexes = [...Array.from({ length: cfg.n }, (_, i) => i), ...cfg.twins];
    const observers = Array.from({ length: config.observers ?? 0 }, (_, k) => `observer ${k}`);
    this.genesisDoc = {
      chainId: SIM_CHAIN_ID,
      // the genesis block's own time: consensus starts at boot, with no genesis wait
      genesisTimeMs: GENESIS_TIME_MS,
      validators: this.validatorSet.validators.map((v, index) => ({
        index,
        name: `validator ${index}`,
        address: v.address,
        publicKey: v.publicKey,
        peerId: String(index),
        power: 1,
      })),
      // peer ids as the validators': the simulator's node ids
      observers: observers.map((name, k) => ({ name, peerId: String(indexes.length + k) })),
      alloc: alloc.map(([address, balance]) => ({ address, balance })),
      params: {
        maxBlockTxs: this.maxBlockTxs,
        maxBlockBytes: MAX_BLOCK_BYTES,
        baseRoundTimeoutMs: cfg.baseRoundTimeoutMs,
        baseFeePerGas: BASE_FEE,
      },
      faultTolerance: maxFaulty(cfg.n),
      quorum: cfg.n - maxFaulty(cfg.n),
    };
    // observers have no validator index: -1 matches no validator's faults, keys or sends
    const members = [...indexes, ...observers.map(() => -1)];
    members.forEach((i, id) => {
      const observer = observers[id - indexes.length];
      this.nodes.push({
        id,
        index: i,
        ...(observer !== undefined ? { observer } : {}),
        ...(cfg.byzantine[i] ? { behaviour: cfg.byzantine[i] } : {}),
        ...(config.attacks?.[i] ? { attack: config.attacks[i] } : {}),
        seen: [],
        bootedAtMs: 0,
        blockRequestsServedByPeer: new Map(),
        up: false,
        epoch: 0,
        disk: MemoryDisk.withGenesis(this.genesis),
        safetyDisk: new MemorySafetyDisk(),
        journal: new Map(),
        committedTxs: new Map(),
        metrics: emptyMetrics(),
        committedHeight: 0,
        lastProgressMs: 0,
      });
      this.linkLatency.push(
        Array.from({ length: members.length }, () =>
          cfg.fixedDelayMs !== undefined
            ? cfg.fixedDelayMs
            : this.rng.range(cfg.linkLatencyMs[0], cfg.linkLatencyMs[1]),
        ),
      );
    });
  }

  /** Validators that run `attack`. */
  private attackers(attack: ComposedAttack): number[] {
    return Object.entries(this.config.attacks ?? {})
      .filter(([, a]) => a === attack)
      .map(([i]) => Number(i));
  }

  /** Every node that runs validator `index` (its twin too). */
  private nodesOf(index: number): ComposedNode[] {
    return this.nodes.filter((x) => x.index === index);
  }

  // ---------------------------------------------------------------- the world

  private get maxBlockTxs(): number {
    return this.config.maxBlockTxs ?? 100;
  }

  private schedule(atMs: number, fire: () => void): void {
    this.heap.push(atMs, fire);
  }

  private violation(kind: string, detail: string): void {
    if (this.violations.length < 20)
      this.violations.push(`${kind} at t=${this.nowMs.toFixed(1)}ms: ${detail}`);
  }

  private isHonest(node: ComposedNode): boolean {
    return !this.faulty.has(node.index);
  }

  private record(...parts: Array<number | string>): void {
    this.trace = sha256(concatBytes(this.trace, new TextEncoder().encode(parts.join(':'))));
  }

  // ---------------------------------------------------------------- node lifecycle

  private boot(node: ComposedNode): void {
    node.up = true;
    const epoch = ++node.epoch;
    const alive = () => node.up && node.epoch === epoch;
    const clock = virtualClock(
      { now: () => this.nowMs, schedule: (at, fire) => this.schedule(at, fire) },
      { epochMs: GENESIS_TIME_MS, alive },
    );
    const store = new MemoryChainStore({
      disk: node.disk,
      scheduleFlush: (flush) => {
        const [min, max] = this.config.storeFlushMs ?? [0.2, 2];
        this.schedule(this.nowMs + this.rng.range(min, max), () => alive() && flush());
      },
      onLanded: (head) => this.onLanded(node, head),
    });
    if (this.config.broken === 'storeLosesTreeWrite') loseTreeWrites(node.disk);
    const app = this.applicationFor(node, store, clock);
    const admission = this.admissionFor(node, app, clock);
    node.store = store;
    node.app = app;
    node.admission = admission;
    node.committedHeight = store.head().height;
    const lifecycle = this.lifecycleFor(node, store, app, clock, alive);
    node.lifecycle = lifecycle;
    this.startGate(node, lifecycle, clock);
    this.replayJournal(node, admission);
    admission.startRebroadcasting();
    // as LedgerNode.start does: bound before messages arrive, then started; start's
    // continuations run before the next event (run's settle), so the order stays the seed's
    lifecycle.bind(this.transportFor(node, alive), this.syncEndpointFor(node, clock, alive));
    lifecycle
      .start()
      .catch((err: Error) => this.violation('FATAL', `${labelOf(node)} did not start: ${err.message}`));
    if (this.config.compactProposals) this.startAssembly(node, app, clock, alive);
    node.lastProgressMs = Math.max(node.lastProgressMs, this.nowMs);
  }

  private applicationFor(node: ComposedNode, store: MemoryChainStore, clock: Clock): LedgerApplication {
    const params = { chainId: SIM_CHAIN_ID, baseFeePerGas: BASE_FEE };
    const limits = { maxBlockTxs: this.maxBlockTxs, maxBlockBytes: MAX_BLOCK_BYTES };
    const quorum = this.cfg.n - maxFaulty(this.cfg.n);
    return new LedgerApplication({
      store,
      createMempool: (accounts) => {
        const mempool = new Mempool(
          { accounts, params, blockLimits: limits, now: () => clock.nowMs() },
          this.mempoolOptions,
        );
        if (this.config.broken === 'mempoolKeepsCommitted')
          mempool.onCommit = () => ({ included: 0, evicted: [], expired: [] });
        return mempool;
      },
      params,
      limits: { chainId: SIM_CHAIN_ID, ...limits },
      proposer: this.addressOf(node),
      // as src/node/node.ts sizes them
      headerReserveBytes: 256 + 80 * quorum,
      emptyBlockDelayMs: Math.min(250, this.cfg.baseRoundTimeoutMs / 4),
      maxClockSkewMs: MAX_CLOCK_SKEW_MS,
      clock,
      logger: silentLogger,
      onFatal: (err) => {
        if (this.isHonest(node)) this.violation('FATAL', `${labelOf(node)}: ${err.message}`);
      },
      onCommitted: (block, hash) => this.onCommitted(node, block, hash),
    });
  }

  /** A validator's address, or an address of the observer's own (it never proposes). */
  private addressOf(node: ComposedNode): Uint8Array {
    if (node.observer === undefined) return this.validatorSet.validators[node.index].address;
    return sha256(new TextEncoder().encode(node.observer)).subarray(0, 20);
  }

  private admissionFor(node: ComposedNode, app: LedgerApplication, clock: Clock): TransactionAdmission {
    return new TransactionAdmission(
      {
        mempool: app.mempool,
        txLocation: (hash) => app.txLocation(hash),
        publish: (raws) => this.gossipTransfers(node, raws),
        connectedPeers: () => this.cfg.n - 1,
        logger: silentLogger,
        onFatal: (err) => this.violation('FATAL', `${labelOf(node)} admission: ${err.message}`),
        clock,
      },
      // the journal is never opened: the simulator keeps it (node.journal)
      {
        journalDir: '',
        submitSliceTxs: 64,
        txJournalPruneMs: 1000,
        txRebroadcastMs: DEFAULT_TX_REBROADCAST_MS,
        txRebroadcastMaxTxs: DEFAULT_TX_REBROADCAST_MAX_TXS,
        gossipSeenTtlMs: DEFAULT_NETWORK_OPTIONS.seenTtlMs,
      },
    );
  }

  /** What TransactionAdmission.open does with the node's journal after a restart. */
  private replayJournal(node: ComposedNode, admission: TransactionAdmission): void {
    const replayed: Uint8Array[] = [];
    for (const [key, raw] of node.journal) {
      const readmitted = admission.readmit(raw);
      if (readmitted.admitted) replayed.push(raw);
      // committed meanwhile, or no longer valid; a held-back one stays (offered again later)
      else if (readmitted.key === undefined) node.journal.delete(key);
    }
    if (replayed.length > 0) this.gossipTransfers(node, replayed);
  }

  /**
   * The gate's context as src/network's createNetwork builds it, reading consensus through
   * the node's ConsensusLifecycle as LedgerNode wires it.
   */
  private startGate(node: ComposedNode, lifecycle: ConsensusLifecycle, clock: Clock): void {
    const net = DEFAULT_NETWORK_OPTIONS;
    node.gateCtx = {
      validatorSet: this.validatorSet,
      verifier: this.scheme.verifier,
      addressIndex: this.addressIndex,
      limits: messageLimits(
        this.cfg.n,
        MAX_BLOCK_BYTES,
        this.config.broken === 'gateLimitsOfOtherGenesis' ? 1 : this.maxBlockTxs,
        net.txBatchMaxTxs,
        net.txBatchMaxBytes,
      ),
      currentRound: () => lifecycle.currentRound(),
      maxPastRounds: net.maxPastRounds,
      maxFutureRounds: net.maxFutureRounds,
      leaderOf: (round) => lifecycle.leaderOf(round),
      committed: () => lifecycle.committed(),
      highestCertified: () => lifecycle.highestCertified(),
      certificates: certificateVerdicts(),
    };
    node.gate = new Gate(node.metrics, silentLogger);
    node.bootedAtMs = this.nowMs;
    node.blockRequestsServedByPeer = new Map();
    // the direct protocol's largest frame, as createNetwork sizes it
    const maxFrameBytes = node.gateCtx.limits.proposalBytes + 1;
    node.blockServe = blockServeBudgets(net, maxFrameBytes, () => clock.monotonicMs());
  }

  /**
   * src/node's ConsensusLifecycle as LedgerNode composes it, over this boot's parts: the
   * simulator's signer, chain store and safety store, a virtual clock; transport and sync
   * endpoint are bound by `boot`.
   */
  private lifecycleFor(
    node: ComposedNode,
    store: MemoryChainStore,
    app: LedgerApplication,
    clock: Clock,
    alive: () => boolean,
  ): ConsensusLifecycle {
    const cfg = this.cfg;
    // faulty nodes run without the double-sign guard [S3], unless twins are to run it
    const guarded = this.isHonest(node) || (cfg.twinsRunGuard && cfg.twins.includes(node.index));
    return new ConsensusLifecycle(
      {
        maxTimeoutExponent: cfg.maxTimeoutExponent,
        doubleSignCheckRounds: guarded ? (cfg.doubleSignCheckRounds ?? SIM_DOUBLE_SIGN_CHECK_ROUNDS) : 0,
      },
      {
        genesis: this.genesisDoc,
        role:
          node.observer === undefined
            ? { kind: 'validator', index: node.index }
            : { kind: 'observer', name: node.observer },
        validatorSet: this.validatorSet,
        signer: node.observer === undefined ? this.scheme.signers[node.index] : OBSERVER_SIGNER,
        verifier: this.scheme.verifier,
        store,
        safety: new MemorySafetyStore({
          disk: node.safetyDisk,
          nowMs: () => this.nowMs,
          writeDelayMs: () => this.rng.range(0.2, 2),
          schedule: (atMs, land) => this.schedule(atMs, () => alive() && land()),
          onEvidence: (e) => this.onEvidence(node, e),
        }),
        app,
        activity: new ActivityTracker(cfg.n, cfg.n - maxFaulty(cfg.n)),
        metrics: { consensusStep: () => {} },
        clock,
        logger: silentLogger,
        onFatal: (err) => {
          if (this.isHonest(node)) this.violation('FATAL', `${labelOf(node)} halted: ${err.message}`);
        },
        onSyncingChange: (syncing) => {
          this.record('syncing', node.id, syncing ? 1 : 0);
          if (syncing) this.syncStarts[node.id] = (this.syncStarts[node.id] ?? 0) + 1;
        },
      },
    );
  }

  /** src/network's proposal assembly over this node's mempool, retried on gossip and on a timer. */
  private startAssembly(
    node: ComposedNode,
    app: LedgerApplication,
    clock: Clock,
    alive: () => boolean,
  ): void {
    const assembler = new ProposalAssembler({
      lookupTx: (hash) => app.mempool.get(hash)?.raw,
      requestBlock: (from, blockId) => {
        if (!alive()) return;
        const wire: Wire = { direct: encodeDirect('blockRequest', blockId) };
        for (const to of this.nodesOf(from)) this.sendWire(node, to, wire);
      },
      deliver: (from, proposal) => this.toDriver(from, { kind: 'proposal', proposal })(node),
      now: () => clock.monotonicMs(),
    });
    node.assembler = assembler;
    clock.setInterval(() => assembler.retry(), 25);
  }

  /**
   * The sync endpoint the lifecycle runs block sync over: requests travel as messages (loss
   * and partitions apply; a lost one times out), and peers' requests are answered from the
   * source the lifecycle starts it with (serveSync).
   */
  private syncEndpointFor(node: ComposedNode, clock: Clock, alive: () => boolean): SyncEndpoint {
    const serve: SyncServing = {
      server: new SyncServer({}, { now: () => clock.monotonicMs() }),
      servedByPeer: new Map(),
    };
    node.syncServe = serve;
    const unwired = this.config.broken === 'observerSyncUnwired' && node.observer !== undefined;
    return {
      // the node's connected peers: a crashed process's connections close with it (a cut
      // link's stay open, and requests over it time out)
      peers: () =>
        unwired ? [] : this.nodes.filter((x) => x.id !== node.id && x.up).map((x) => String(x.id)),
      request: (peer, request, timeoutMs) =>
        new Promise((resolve, reject) => {
          let settled = false;
          const timer = clock.setTimeout(() => {
            if (settled) return;
            settled = true;
            reject(new SyncError('TIMEOUT', `peer ${peer} did not answer`));
          }, timeoutMs);
          this.deliver(node, this.nodes[Number(peer)], (server) => {
            const answer = this.serveSync(server, node, request);
            if (answer === undefined) return;
            this.deliver(server, node, () => {
              if (settled || !alive()) return;
              settled = true;
              timer.cancel();
              if (answer instanceof SyncError) reject(answer);
              else resolve(answer);
            });
          });
        }),
      penalize: (peer) => {
        const server = this.nodes[Number(peer)];
        if (this.isHonest(server))
          this.violation('SYNC_PENALTY', `node ${node.id} penalised honest peer ${peer}`);
        else this.syncPenalties++;
      },
      start: (source) => {
        serve.source = source;
        return Promise.resolve();
      },
      stop: () => {
        serve.source = undefined;
        return Promise.resolve();
      },
      serverStats: () => serve.server.stats(),
    };
  }

  /**
   * A sync request at `server`: an honest one answers from its durable chain within its
   * SyncServer's budgets (requests and bytes per second per peer; an answer cut short is
   * valid); the answer is produced at once, so its serve slot is released before the next
   * event. Undefined: no answer (the requester times out).
   */
  private serveSync(
    server: ComposedNode,
    client: ComposedNode,
    request: Uint8Array,
  ): Uint8Array[] | SyncError | undefined {
    const serve = server.syncServe;
    const source = serve?.source;
    if (!serve || !source) return undefined;
    if (server.attack === 'lyingSyncServer') return this.lyingAnswer(source, request);
    if (server.attack === 'forgedSyncRanges') return this.forgedAnswer(source, request);
    const admitted = serve.server.admit(String(client.id));
    if (admitted instanceof SyncError) {
      if (this.isHonest(server)) this.serving.syncRefused++;
      return admitted;
    }
    let frames: Uint8Array[];
    try {
      frames = [...admitted.answer(source, request)];
      admitted.sent();
    } catch (err) {
      return err instanceof SyncError ? err : new SyncError('MALFORMED', (err as Error).message);
    } finally {
      admitted.release();
    }
    serve.servedByPeer.set(client.id, (serve.servedByPeer.get(client.id) ?? 0) + 1);
    if (this.isHonest(server)) {
      this.serving.syncServed++;
      if (admitted.cutShort) this.serving.syncCutShort++;
    }
    return frames;
  }

  /** lyingSyncServer: a head of 2^40, a few genuine blocks, then nothing (test/integration/byzantine-sync). */
  private lyingAnswer(source: SyncSource, request: Uint8Array): Uint8Array[] {
    const { fromHeight } = decodeSyncRequest(request);
    this.serving.syncLies++;
    const frames = [encodeSyncStatus(LIED_HEAD)];
    if (this.serving.syncLies > 10) return frames;
    const block = source.getBlockBytes(fromHeight);
    const qc = source.getCommitQc(fromHeight);
    if (block && qc) frames.push(encodeSyncItem(block, qc));
    return frames;
  }

  /** forgedSyncRanges: its true head, and a range with one forgery the seed picks. */
  private forgedAnswer(source: SyncSource, request: Uint8Array): Uint8Array[] {
    const { fromHeight, count } = decodeSyncRequest(request);
    const head = source.headHeight();
    const frames = [encodeSyncStatus(head)];
    const last = Math.min(head, fromHeight + count - 1);
    const forgery = this.rng.pick(['badQc', 'skipsHeight', 'otherChain'] as const);
    const forgedAt = fromHeight + this.rng.int(Math.max(1, last - fromHeight + 1));
    for (let h = fromHeight; h <= last; h++) {
      const block = source.getBlockBytes(h);
      const qcBytes = source.getCommitQc(h);
      if (!block || !qcBytes) break;
      if (h !== forgedAt) {
        frames.push(encodeSyncItem(block, qcBytes));
        continue;
      }
      this.serving.syncLies++;
      if (forgery === 'skipsHeight') continue;
      if (forgery === 'badQc') {
        const qc = decodeQc(qcBytes);
        const signatures = qc.signatures.map((sig) => this.rng.bytes(sig.length));
        frames.push(encodeSyncItem(block, encodeQc({ ...qc, signatures })));
        continue;
      }
      const genuine = decodeBlock(block, this.maxBlockTxs);
      const header = { ...genuine.header, parentHash: this.rng.bytes(32) };
      frames.push(encodeSyncItem(encodeBlock({ ...genuine, header }), qcBytes));
    }
    return frames;
  }

  private crash(node: ComposedNode): void {
    if (!node.up) return;
    node.up = false;
    node.store?.crash();
    node.app?.stop();
    if (node.lifecycle) {
      this.syncedBlocks += node.lifecycle.sync()?.metrics.appliedBlocks ?? 0;
      void node.lifecycle.stop();
    }
    if (node.assembler) this.fetchedProposals += node.assembler.metrics.fetched;
    node.assembler = undefined;
    node.store = undefined;
    node.app = undefined;
    node.admission = undefined;
    node.lifecycle = undefined;
  }

  // ---------------------------------------------------------------- network

  private linkDelay(from: number, to: number): number {
    const base = this.linkLatency[from][to];
    if (this.cfg.fixedDelayMs !== undefined) return base;
    const jitter = this.netRng.exp(this.cfg.jitterMeanMs);
    return this.nowMs < this.cfg.gstMs ? (base + jitter) * this.cfg.preGst.delayFactor : base + jitter;
  }

  /**
   * Delivers `arrive` at `to` after the link's delay (plus `extraDelayMs`), subject to the
   * faults before GST and to an isolated leader's cut.
   */
  private deliver(
    from: ComposedNode,
    to: ComposedNode,
    arrive: (to: ComposedNode) => void,
    extraDelayMs = 0,
  ): void {
    if (from.id === to.id) return;
    this.messages++;
    const cut = this.isolated;
    if (cut && this.nowMs < cut.untilMs && (cut.id === from.id || cut.id === to.id)) return;
    const away = this.observerCut;
    if (
      away &&
      this.nowMs >= away.fromMs &&
      this.nowMs < away.untilMs &&
      (away.id === from.id || away.id === to.id)
    )
      return;
    const pre = this.nowMs < this.cfg.gstMs;
    if (pre) {
      if (this.partitionOf && this.partitionOf[from.id] !== this.partitionOf[to.id]) return;
      if (this.netRng.chance(this.cfg.preGst.lossRate)) return;
    }
    const copies = pre && this.netRng.chance(this.cfg.preGst.dupRate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      this.schedule(this.nowMs + this.linkDelay(from.id, to.id) + extraDelayMs, () => {
        if (to.up) arrive(to);
      });
    }
  }

  private transportFor(node: ComposedNode, alive: () => boolean): Transport {
    const honest: Transport = {
      broadcast: (msg, options) => {
        if (!alive()) return;
        // isolatedLeader: the first honest leader to propose after `afterMs` is cut off
        // before its proposal leaves; the rest time out and extend the older QC
        const iso = this.cfg.isolateProposer;
        if (
          msg.kind === 'proposal' &&
          iso &&
          !this.isolated &&
          this.nowMs >= iso.afterMs &&
          this.isHonest(node)
        ) {
          this.isolated = { id: node.id, untilMs: this.nowMs + iso.forMs };
          return;
        }
        const wire = this.wireOf(msg, options?.repeat === true);
        for (const to of this.nodes) this.sendWire(node, to, wire);
      },
      send: (index, msg) => {
        if (!alive()) return;
        const wire = this.wireOf(msg, true);
        for (const to of this.nodesOf(index)) this.sendWire(node, to, wire);
      },
    };
    if (!node.behaviour && node.attack !== 'farFutureRounds') return honest;
    const ports: ByzantinePorts<ComposedNode> = {
      behaviour: node.behaviour ?? 'withholder',
      self: node.index,
      signer: this.scheme.signers[node.index],
      validatorSet: this.validatorSet,
      rng: this.rng.fork(),
      honest: node.behaviour === 'invalidPayload' ? this.invalidPayloads(node, honest) : honest,
      all: () => this.nodes,
      others: () => this.nodes.filter((x) => x.id !== node.id),
      deliver: (to, msg) => {
        if (alive()) this.sendWire(node, to, this.wireOf(msg, false));
      },
      later: (delayMs, fire) => this.schedule(this.nowMs + delayMs, () => alive() && fire()),
      nowMs: () => GENESIS_TIME_MS + this.nowMs,
      core: () => node.lifecycle?.core(),
      seen: () => node.seen,
      genesisQc: () => genesisQc(this.validatorSet.genesisId),
    };
    if (node.behaviour) return byzantineTransport(ports);
    // farFutureRounds: honest, and beside each message signed ones a million rounds ahead
    const far = (msg: ConsensusMessage) =>
      injectSignedFuture(
        ports,
        msg,
        (node.lifecycle?.core()?.currentRound() ?? 1) + FAR_FUTURE_ROUNDS + ports.rng.int(1000),
      );
    return {
      broadcast: (msg, options) => {
        honest.broadcast(msg, options);
        if (alive()) far(msg);
      },
      send: (index, msg) => {
        honest.send(index, msg);
        if (alive()) far(msg);
      },
    };
  }

  /**
   * invalidPayload: its proposals claim a state root their transactions do not produce
   * (re-signed, so only executing the block shows it).
   */
  private invalidPayloads(node: ComposedNode, honest: Transport): Transport {
    const signer = this.scheme.signers[node.index];
    const forge = (msg: ConsensusMessage): ConsensusMessage => {
      if (msg.kind !== 'proposal') return msg;
      const p = msg.proposal;
      const header = { ...p.block.header, stateRoot: this.rng.bytes(32) };
      const signature = signer.sign(proposalDigest(this.validatorSet, header.round, hashHeader(header)));
      return { kind: 'proposal', proposal: { ...p, block: { ...p.block, header }, signature } };
    };
    return {
      broadcast: (msg, options) => honest.broadcast(forge(msg), options),
      send: (index, msg) => honest.send(index, forge(msg)),
    };
  }

  /**
   * A consensus message as src/network/transport.ts puts it on the wire: proposals (compact,
   * when the run assembles them) and timeouts on their gossip topics; votes, block fetches,
   * repeats and sends to one validator as direct frames.
   */
  private wireOf(msg: ConsensusMessage, direct: boolean): Wire {
    if (!direct && msg.kind === 'proposal' && this.config.compactProposals) {
      const hashes = msg.proposal.block.transactions.map((raw) => keccak256(raw));
      return { topic: 'proposal', data: encodeCompactProposal(msg.proposal, hashes) };
    }
    if (!direct && msg.kind === 'timeout') return { topic: 'timeout', data: encodeTimeout(msg.timeout) };
    return { direct: directPayloadOf(msg) };
  }

  /** Puts bytes on the link from `from` to `to`; they pass `to`'s gate on arrival. */
  private sendWire(from: ComposedNode, to: ComposedNode, wire: Wire): void {
    // [budget] block bytes sent to a peer count against what it may request next (direct.ts)
    if ('direct' in wire && directKindOf(wire.direct) === 'blockResponse')
      from.blockServe?.charge(String(to.id), wire.direct.length + 4);
    // slowReturn: once back, the slow validator's votes arrive too late to make a QC
    const slow = this.cfg.slowReturn;
    const late =
      slow && from.index === slow.index && this.nowMs >= slow.upAtMs && 'direct' in wire
        ? directKindOf(wire.direct) === 'vote'
        : false;
    this.deliver(from, to, (receiver) => this.receive(from, receiver, wire), late ? slow!.voteDelayMs : 0);
  }

  /** Bytes from a peer, through the receiver's gate as src/network's handlers run it. */
  private receive(from: ComposedNode, to: ComposedNode, wire: Wire): void {
    const { gate, gateCtx: ctx } = to;
    if (!gate || !ctx) return;
    const peer = String(from.id);
    if ('direct' in wire) {
      if (from.observer !== undefined) {
        // [direct] only validators send consensus messages to one validator (direct.ts)
        gate.count('direct', 'ignore', 'NOT_A_VALIDATOR');
        return;
      }
      const kind = directKindOf(wire.direct);
      if (kind === undefined) {
        // [decode] unknown kind byte (direct.ts)
        gate.count('direct', 'reject', 'MALFORMED');
        this.judge(from, to, 'direct', { verdict: 'reject', code: 'MALFORMED', message: 'unknown kind' });
        return;
      }
      const body = wire.direct.subarray(1);
      const result = gate.run(kind, peer, () => validateDirect(ctx, kind, body, from.index));
      this.judge(from, to, kind, result);
      if (result.verdict !== 'accept') return;
      const { message } = result.value;
      if (message.kind === 'blockRequest') {
        this.serveBlock(to, from, message.blockId);
        return;
      }
      if (message.kind === 'blockResponse') to.assembler?.onBlock(message.block);
      this.toDriver(result.value.from, message)(to);
      return;
    }
    const { topic, data } = wire;
    if (topic === 'transactions') {
      // admission (the mempool's signature recovery) is the last check of the gate (network.ts)
      const result = gate.run('transactions', peer, () => {
        const txs = validateTxBatch(ctx, data);
        const invalid = to.admission?.onGossip(txs);
        if (invalid)
          throw new GateError('reject', 'INVALID_TX', `a batched transaction can never be valid: ${invalid}`);
        return txs;
      });
      this.judge(from, to, topic, result);
      to.assembler?.retry();
      return;
    }
    if (topic === 'proposal') {
      const result = gate.run('proposal', peer, () => validateCompactProposal(ctx, data));
      this.judge(from, to, topic, result);
      if (result.verdict === 'accept') to.assembler?.add(result.value.from, result.value.message);
      return;
    }
    const result = gate.run('timeout', peer, () => validateGossipTimeout(ctx, data));
    this.judge(from, to, topic, result);
    if (result.verdict === 'accept') this.toDriver(result.value.from, result.value.message)(to);
  }

  /** GATE_REJECTED_HONEST: an honest node sends only what every honest gate accepts or ignores. */
  private judge(from: ComposedNode, to: ComposedNode, kind: MessageKind, result: Verdict<unknown>): void {
    if (result.verdict !== 'reject' || !this.isHonest(from)) return;
    this.violation(
      'GATE_REJECTED_HONEST',
      `node ${to.id} rejected a ${kind} of honest node ${from.id}: ${result.code} ${result.message}`,
    );
  }

  /**
   * A block request within the peer's budgets (src/network/direct.ts serveBlock): answered
   * from the stored encoding when committed, else by consensus; over budget, ignored.
   */
  private serveBlock(server: ComposedNode, requester: ComposedNode, blockId: Uint8Array): void {
    if (!server.blockServe?.admit(String(requester.id))) {
      server.metrics.throttled.blockRequests++;
      if (this.isHonest(server)) this.serving.blockRequestsThrottled++;
      return;
    }
    const served = server.blockRequestsServedByPeer;
    served.set(requester.id, (served.get(requester.id) ?? 0) + 1);
    if (this.isHonest(server)) this.serving.blockRequestsServed++;
    const stored = server.app?.committedBlockBytes(blockId);
    if (stored) {
      server.metrics.throttled.blocksServedStored++;
      this.sendWire(server, requester, { direct: encodeDirect('blockResponse', stored) });
      return;
    }
    this.toDriver(requester.index, { kind: 'blockRequest', blockId })(server);
  }

  /** A consensus message the gate accepted, handed to the node's lifecycle as the network hands it. */
  private toDriver(from: number, msg: ConsensusMessage): (to: ComposedNode) => void {
    return (to) => {
      if (!this.isHonest(to) && to.seen.length < 200 && msg.kind !== 'blockResponse') to.seen.push(msg);
      to.lifecycle?.onMessage(from, msg);
    };
  }

  /** Transfers a node admitted, gossiped in batches as src/network's publisher cuts them. */
  private gossipTransfers(node: ComposedNode, raws: Uint8Array[]): void {
    if (!node.up || node.index === this.config.withholdsTransfers) return;
    const { txBatchMaxTxs, txBatchMaxBytes } = DEFAULT_NETWORK_OPTIONS;
    let batch: Uint8Array[] = [];
    let bytes = 0;
    const publish = () => {
      if (batch.length === 0) return;
      const wire: Wire = { topic: 'transactions', data: encodeTxBatch(batch) };
      for (const to of this.nodes) this.sendWire(node, to, wire);
      batch = [];
      bytes = 0;
    };
    for (const raw of raws) {
      if (batch.length >= txBatchMaxTxs || bytes + raw.length > txBatchMaxBytes) publish();
      batch.push(raw);
      bytes += raw.length;
    }
    publish();
  }

  // ---------------------------------------------------------------- clients

  private scheduleClients(): void {
    const { transfers } = transferPool(
      this.config.clients.senders,
      Math.ceil(this.config.clients.transfers / this.config.clients.senders),
    );
    const count = Math.min(this.config.clients.transfers, transfers.length);
    const times = Array.from({ length: count }, () =>
      this.clientRng.range(0, this.config.clients.untilMs),
    ).sort((a, b) => a - b);
    const senders = this.config.clients.senders;
    times.forEach((atMs, i) => {
      // nonce-major pool: transfer i is sender i mod senders' nonce i / senders
      const hash = toHex(transfers[i].hash);
      this.clientTxs.set(hash, { sender: i % senders, nonce: Math.floor(i / senders) });
      const sender = i % senders;
      if (!this.senderTxs[sender]) this.senderTxs[sender] = [];
      this.senderTxs[sender].push(hash);
      this.schedule(atMs, () => this.submit(transfers[i].raw, this.clientRng.int(this.nodes.length)));
    });
  }

  /**
   * An acknowledged transfer that can never execute because an earlier nonce of its sender
   * was acknowledged only by a faulty node (which kept it to itself) or never acknowledged:
   * the client, not the honest node, has to send that nonce again.
   */
  private behindFaulty(tx: string): boolean {
    const at = this.clientTxs.get(tx);
    if (!at) return false;
    for (const earlier of this.senderTxs[at.sender].slice(0, at.nonce)) {
      if (this.chainTxs.has(earlier)) continue;
      const by = this.acknowledged.get(earlier);
      if (by === undefined || !this.isHonest(this.nodes[by])) return true;
    }
    return false;
  }

  /** A client submits at one node; finding it down, it tries another a little later. */
  private submit(raw: Uint8Array, index: number): void {
    const node = this.nodes[index];
    const admission = node.admission;
    if (!node.up || !admission) {
      this.redirected++;
      const next = this.clientRng.int(this.nodes.length);
      this.schedule(this.nowMs + this.clientRng.range(20, 80), () => this.submit(raw, next));
      return;
    }
    const hash = toHex(keccak256(raw));
    if (this.config.broken === 'admissionAcksDropped' && this.clientRng.chance(0.2)) {
      this.acknowledge(node, hash, raw);
      return;
    }
    admission.submit([raw]).then((outcomes) => {
      const outcome = outcomes[0];
      if ('error' in outcome) {
        this.refused++;
        this.record('refused', index, hash, outcome.error);
        return;
      }
      // the node answered 202 after its journal write: the journal holds it from here
      node.journal.set(hash, raw);
      this.acknowledge(node, hash, raw);
    });
  }

  private acknowledge(node: ComposedNode, hash: string, _raw: Uint8Array): void {
    this.record('ack', node.id, hash);
    // a transfer whose nonce leaves a gap can never commit: the node may hold it, that is all
    if (this.gapped.has(hash)) {
      this.gappedAcknowledged++;
      return;
    }
    this.acknowledged.set(hash, node.id);
  }

  /**
   * nonceGapFill: client keys submit gapped transfers at random nodes over the client
   * period, and each attacking validator gossips them all every half second.
   */
  private scheduleGapFill(): void {
    const attackers = this.attackers('nonceGapFill');
    if (attackers.length === 0) return;
    const { transfers } = gappedPool();
    for (const t of transfers) this.gapped.add(toHex(t.hash));
    for (const t of transfers) {
      const atMs = this.clientRng.range(0, this.config.clients.untilMs);
      this.schedule(atMs, () => this.submit(t.raw, this.clientRng.int(this.nodes.length)));
    }
    const raws = transfers.map((t) => t.raw);
    for (const index of attackers) {
      const node = this.nodes[index];
      const gossip = () => {
        if (this.nowMs > this.config.clients.untilMs) return;
        if (node.up) this.gossipTransfers(node, raws);
        this.schedule(this.nowMs + 500, gossip);
      };
      this.schedule(this.rng.range(0, 500), gossip);
    }
  }

  /**
   * blockRequestFlood: every 100 ms each attacker sends every other node 40 block requests
   * (ids of its committed blocks and made-up ones) and 8 sync requests for full ranges.
   */
  private scheduleFloods(): void {
    for (const index of this.attackers('blockRequestFlood')) {
      const node = this.nodes[index];
      const flood = () => {
        this.schedule(this.nowMs + 100, flood);
        const store = node.store;
        if (!node.up || !store) return;
        const head = store.head().height;
        for (const to of this.nodes) {
          if (to.id === node.id) continue;
          for (let k = 0; k < 40; k++) {
            const block = head > 0 && k % 2 === 0 ? store.getBlock(1 + this.rng.int(head)) : undefined;
            const id = block ? hashHeader(block.header) : this.rng.bytes(32);
            this.sendWire(node, to, { direct: encodeDirect('blockRequest', id) });
          }
          for (let k = 0; k < 8; k++) {
            const request = encodeSyncRequest({
              fromHeight: 1 + this.rng.int(Math.max(1, head)),
              count: MAX_BLOCKS_PER_REQUEST,
            });
            this.deliver(node, to, (server) => {
              this.serveSync(server, node, request);
            });
          }
        }
      };
      this.schedule(this.rng.range(0, 100), flood);
    }
  }

  // ---------------------------------------------------------------- checkers

  /** [S3] evidence against an honest validator means an honest node signed twice. */
  private onEvidence(node: ComposedNode, e: Evidence): void {
    this.evidence++;
    if (this.isHonest(node) && !this.faulty.has(e.validator))
      this.violation(
        'EQUIVOCATION',
        `honest validator ${e.validator} signed two ${e.kind}s in round ${e.round}`,
      );
  }

  private onCommitted(node: ComposedNode, block: Block, hash: Uint8Array): void {
    const h = block.header.height;
    const id = toHex(hash);
    this.record('commit', node.id, h, id);
    node.committedHeight = h;
    node.lastProgressMs = this.nowMs;
    // a faulty node's chain is its own business (a twin may follow another fork)
    if (!this.isHonest(node)) return;
    const top = this.validatorHeights.at(-1)?.height ?? 0;
    if (node.observer === undefined && h > top) this.validatorHeights.push({ atMs: this.nowMs, height: h });
    const known = this.canonical.get(h);
    if (known === undefined) this.canonical.set(h, id);
    else if (known !== id)
      this.violation('SAFETY', `${labelOf(node)} committed ${id} at ${h}, others ${known}`);
    const mempool = node.app?.mempool;
    block.transactions.forEach((raw, index) => {
      const tx = toHex(keccak256(raw));
      const where = `${h}/${index}`;
      const inChain = this.chainTxs.get(tx);
      if (inChain === undefined) this.chainTxs.set(tx, where);
      else if (inChain !== where)
        this.violation('DUPLICATE_COMMIT', `transaction ${tx} committed at ${inChain} and at ${where}`);
      const before = node.committedTxs.get(tx);
      if (before !== undefined && before !== h)
        this.violation('DUPLICATE_COMMIT', `${labelOf(node)} committed ${tx} at ${before} and ${h}`);
      node.committedTxs.set(tx, h);
      if (mempool?.get(tx))
        this.violation('MEMPOOL_HOLDS_COMMITTED', `${labelOf(node)} still pools ${tx} committed at ${h}`);
    });
  }

  /** Once a commit is durable: the store's own state root against the header and other nodes. */
  private onLanded(node: ComposedNode, head: Head): void {
    const store = node.store;
    if (!store || !this.isHonest(node)) return;
    const root = toHex(rootOf(store));
    const header = store.getBlock(head.height)?.header;
    if (!header || !equalBytes(hashHeader(header), head.hash))
      this.violation('STATE_ROOT', `${labelOf(node)}: durable head ${head.height} is not its block`);
    else if (root !== toHex(header.stateRoot))
      this.violation(
        'STATE_ROOT',
        `${labelOf(node)}: store root ${root} at ${head.height}, header ${toHex(header.stateRoot)}`,
      );
    const first = this.roots.get(head.height);
    if (first === undefined) this.roots.set(head.height, root);
    else if (first !== root)
      this.violation('STATE_ROOT', `${labelOf(node)}: root ${root} at ${head.height}, another node ${first}`);
  }

  private checkBounds(): void {
    const o = this.mempoolOptions;
    for (const node of this.nodes) {
      const { app, store } = node;
      if (!node.up || !app || !store) continue;
      const m = app.mempool.metrics();
      if (m.size > o.maxTxs || m.bytes > o.maxBytes || m.queued > o.maxQueuedTxs)
        this.violation(
          'BOUNDS',
          `${labelOf(node)} mempool: ${m.size} txs, ${m.bytes} bytes, ${m.queued} queued`,
        );
      const pool = privateCaches<MempoolCaches>(app.mempool);
      const recent = pool.recentCommitted.size;
      const senders = pool.recoveredSenders.size;
      if (recent > o.maxRecentCommitted || senders > o.maxRecoveredSenders)
        this.violation('BOUNDS', `${labelOf(node)} mempool caches: ${recent} recent, ${senders} senders`);
      const caches = privateCaches<ApplicationCaches>(app);
      const tip = app.committedTip().height;
      const durable = store.head().height;
      for (const e of caches.byId.values())
        if (e.height <= tip)
          this.violation('BOUNDS', `${labelOf(node)} keeps executed block ${e.height} <= tip ${tip}`);
      for (const e of caches.byPayload.values())
        if (e.height <= tip)
          this.violation('BOUNDS', `${labelOf(node)} keeps payload ${e.height} <= tip ${tip}`);
      for (const c of caches.committingTxs.values())
        if (c.height <= durable)
          this.violation('BOUNDS', `${labelOf(node)} keeps an in-flight tx of durable block ${c.height}`);
      const executed = caches.byId.size;
      this.peaks.mempoolTxs = Math.max(this.peaks.mempoolTxs, m.size);
      this.peaks.executedBlocks = Math.max(this.peaks.executedBlocks, executed);
      this.peaks.queuedCommits = Math.max(this.peaks.queuedCommits, store.queuedCommits());
      if (this.isHonest(node)) this.checkServing(node);
    }
  }

  /**
   * What an honest node served any one peer since it booted stays within the budgets
   * (src/network/options.ts block requests, src/sync/options.ts sync requests), and its
   * round never jumps to where only unjustified far-future messages could take it.
   */
  private checkServing(node: ComposedNode): void {
    const seconds = (this.nowMs - node.bootedAtMs) / 1000;
    const net = DEFAULT_NETWORK_OPTIONS;
    for (const [peer, served] of node.blockRequestsServedByPeer)
      if (served > net.blockRequestsBurst + net.blockRequestsPerSecond * seconds + 1)
        this.violation(
          'BOUNDS',
          `node ${node.id} served ${served} block requests of node ${peer} in ${seconds}s`,
        );
    const sync = DEFAULT_SYNC_SERVER_OPTIONS;
    for (const [peer, served] of node.syncServe?.servedByPeer ?? [])
      if (served > sync.requestsBurst + sync.requestsPerSecond * seconds + 1)
        this.violation(
          'BOUNDS',
          `node ${node.id} served ${served} sync requests of node ${peer} in ${seconds}s`,
        );
    const round = node.lifecycle?.core()?.currentRound() ?? 0;
    this.maxHonestRound = Math.max(this.maxHonestRound, round);
    if (round >= FAR_FUTURE_ROUNDS)
      this.violation('BOUNDS', `node ${node.id} reached round ${round}: a far-future message was acted on`);
  }

  private checkLiveness(): void {
    if (this.nowMs < this.cfg.gstMs + this.cfg.livenessBoundMs) return;
    for (const node of this.nodes) {
      if (!node.up || !this.isHonest(node)) continue;
      const since = Math.max(node.lastProgressMs, this.cfg.gstMs);
      if (this.nowMs - since > this.cfg.livenessBoundMs) {
        this.violation(
          'LIVENESS',
          `${labelOf(node)} has not committed for ${(this.nowMs - since).toFixed(0)}ms`,
        );
        node.lastProgressMs = this.nowMs;
      }
    }
  }

  /** At the end: acknowledged transfers committed, and none left in any mempool. */
  private checkEnd(): void {
    for (const [tx, index] of this.acknowledged) {
      if (this.chainTxs.has(tx)) continue;
      // acknowledged by a faulty node (down for good, its journal with it, or Byzantine)
      if (!this.isHonest(this.nodes[index])) continue;
      if (this.behindFaulty(tx)) {
        this.stuckBehindFaulty++;
        continue;
      }
      this.violation('ACK_LOST', `transaction ${tx} acknowledged by node ${index} was never committed`);
    }
    for (const node of this.nodes) {
      const mempool = node.app?.mempool;
      if (!mempool) continue;
      for (const tx of node.committedTxs.keys())
        if (mempool.get(tx)) {
          this.violation('MEMPOOL_HOLDS_COMMITTED', `${labelOf(node)} still pools ${tx} at the end`);
          break;
        }
    }
    this.checkObserversCaughtUp();
  }

  /**
   * OBSERVER_BEHIND: at the end, each observer that is up has committed what the honest
   * validators had committed a liveness bound earlier, the lag LIVENESS allows a validator
   * (one booted within that bound is not judged, as LIVENESS judges no validator then).
   */
  private checkObserversCaughtUp(): void {
    const asOfMs = this.nowMs - this.cfg.livenessBoundMs;
    let expected = 0;
    for (const { atMs, height } of this.validatorHeights) {
      if (atMs > asOfMs) break;
      expected = height;
    }
    for (const node of this.nodes) {
      if (node.observer === undefined || !node.up || node.bootedAtMs > asOfMs) continue;
      if (node.committedHeight < expected)
        this.violation(
          'OBSERVER_BEHIND',
          `${labelOf(node)} committed up to ${node.committedHeight}, the validators ${expected} by t=${asOfMs.toFixed(0)}ms`,
        );
    }
  }

  // ---------------------------------------------------------------- faults

  private scheduleFaults(): void {
    const cfg = this.cfg;
    const ports: FaultPorts<ComposedNode> = {
      cfg,
      rng: this.rng,
      nodes: this.nodes,
      nowMs: () => this.nowMs,
      schedule: (atMs, fire) => this.schedule(atMs, fire),
      isHonest: (node) => this.isHonest(node),
      crash: (node) => this.crash(node),
      boot: (node) => this.boot(node),
      setPartition: (sides) => {
        this.partitionOf = sides;
      },
    };
    schedulePreGstFaults(ports);
    for (const i of cfg.permanentCrashes)
      for (const node of this.nodesOf(i)) this.schedule(cfg.permanentCrashAtMs, () => this.crash(node));
    scheduleSlowReturn(ports);
    const whole = this.config.wholeCrash;
    if (whole) {
      this.schedule(whole.atMs, () => {
        for (const node of this.nodes) this.crash(node);
      });
      this.schedule(whole.atMs + whole.downMs, () => {
        for (const node of this.nodes)
          if (!node.up && !cfg.permanentCrashes.includes(node.index)) this.boot(node);
      });
    }
    const laggard = this.config.laggard;
    if (laggard) {
      const node = this.nodes[laggard.index];
      this.schedule(laggard.downAtMs, () => this.crash(node));
      this.schedule(laggard.upAtMs, () => {
        if (!node.up) this.boot(node);
      });
    }
    this.scheduleObserverOutage();
  }

  private scheduleObserverOutage(): void {
    const outage = this.config.observerOutage;
    const node = this.nodes.find((x) => x.observer !== undefined);
    if (!outage || !node) return;
    if (outage.how === 'cutOff') {
      this.observerCut = { id: node.id, fromMs: outage.downAtMs, untilMs: outage.upAtMs };
      return;
    }
    this.schedule(outage.downAtMs, () => this.crash(node));
    this.schedule(outage.upAtMs, () => {
      if (!node.up) this.boot(node);
    });
  }

  // ---------------------------------------------------------------- run

  async run(): Promise<ComposedResult> {
    for (const node of this.nodes) this.boot(node);
    this.scheduleFaults();
    this.scheduleClients();
    this.scheduleGapFill();
    this.scheduleFloods();
    const tickEvery = Math.max(10, this.cfg.livenessBoundMs / 8);
    const tick = () => {
      this.checkLiveness();
      this.checkBounds();
      this.schedule(this.nowMs + tickEvery, tick);
    };
    this.schedule(tickEvery, tick);
    await settle();
    let ranToTheEnd = false;
    for (;;) {
      const next = this.heap.pop();
      if (!next || next.atMs > this.cfg.durationMs) {
        ranToTheEnd = true;
        break;
      }
      this.nowMs = next.atMs;
      next.fire();
      await settle();
      if (this.violations.length >= 20) break;
    }
    this.checkBounds();
    // a run cut short by violations has not drained its transfers: nothing to judge there
    if (ranToTheEnd) this.checkEnd();
    return this.result();
  }

  private heights(): { min: number; max: number } {
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const node of this.nodes) {
      if (!this.isHonest(node) || node.observer !== undefined) continue;
      max = Math.max(max, node.committedHeight);
      if (node.up) min = Math.min(min, node.committedHeight);
    }
    return { min: Number.isFinite(min) ? min : 0, max };
  }

  private gateTotals(): Pick<ComposedResult, 'verdicts' | 'gateErrors'> {
    const verdicts = emptyMetrics().verdicts;
    const gateErrors: Record<string, number> = {};
    for (const node of this.nodes) {
      for (const [kind, counters] of Object.entries(node.metrics.verdicts)) {
        const sum = verdicts[kind as MessageKind];
        sum.accepted += counters.accepted;
        sum.ignored += counters.ignored;
        sum.rejected += counters.rejected;
      }
      for (const [code, count] of Object.entries(node.metrics.gateErrors))
        gateErrors[code] = (gateErrors[code] ?? 0) + (count ?? 0);
    }
    return { verdicts, gateErrors };
  }

  private result(): ComposedResult {
    const { min, max } = this.heights();
    let committed = 0;
    for (const tx of this.acknowledged.keys()) if (this.chainTxs.has(tx)) committed++;
    const { seed, scenario, n } = this.cfg;
    return {
      seed,
      scenario,
      n,
      violations: this.violations,
      minHonestHeight: min,
      maxHonestHeight: max,
      observerHeights: this.nodes.filter((x) => x.observer !== undefined).map((x) => x.committedHeight),
      acknowledged: this.acknowledged.size,
      observerAcknowledged: [...this.acknowledged.values()].filter(
        (id) => this.nodes[id].observer !== undefined,
      ).length,
      committed,
      refused: this.refused,
      redirected: this.redirected,
      messages: this.messages,
      syncedBlocks:
        this.syncedBlocks +
        this.nodes.reduce((sum, x) => sum + (x.lifecycle?.sync()?.metrics.appliedBlocks ?? 0), 0),
      fetchedProposals:
        this.fetchedProposals + this.nodes.reduce((sum, x) => sum + (x.assembler?.metrics.fetched ?? 0), 0),
      virtualMs: this.nowMs,
      ...this.gateTotals(),
      serving: this.serving,
      syncPenalties: this.syncPenalties,
      syncStarts: this.nodes.map((x) => this.syncStarts[x.id] ?? 0),
      gappedAcknowledged: this.gappedAcknowledged,
      stuckBehindFaulty: this.stuckBehindFaulty,
      maxHonestRound: this.maxHonestRound,
      ...(this.isolated ? { isolatedValidator: this.nodes[this.isolated.id].index } : {}),
      evidence: this.evidence,
      peaks: this.peaks,
      trace: toHex(this.trace),
      replay:
        `npx tsx scripts/sim.ts --composed --seed ${seed} --scenario ${scenario} --n ${n}` +
        (this.config.broken ? ` --break ${this.config.broken}` : '') +
        (this.config.observers ? ` --observers ${this.config.observers}` : ''),
    };
  }
}

/** The mempool's caches the bounds checker reads (private fields of src/mempool/mempool.ts). */
interface MempoolCaches {
  recentCommitted: ReadonlySet<string>;
  recoveredSenders: ReadonlyMap<string, unknown>;
}

/** The application's caches the bounds checker reads (private fields of src/node/application.ts). */
interface ApplicationCaches {
  byId: ReadonlyMap<string, { height: number }>;
  byPayload: ReadonlyMap<string, { height: number }>;
  committingTxs: ReadonlyMap<string, { height: number }>;
}

/** Private fields read by name: a rename makes them undefined, and the checker throws. */
function privateCaches<T>(holder: object): T {
  return holder as unknown as T;
}

/** storeLosesTreeWrite: the disk drops the account-tree writes of every third commit. */
function loseTreeWrites(disk: MemoryDisk): void {
  const lossy = disk as MemoryDisk & { lossy?: true };
  if (lossy.lossy) return;
  lossy.lossy = true;
  const apply = disk.apply.bind(disk);
  disk.apply = (commit) => {
    const lose = commit.block.header.height % 3 === 0;
    apply(lose ? { ...commit, tree: { puts: [], deletes: [] } } : commit);
  };
}

/** How violations name a node: its validator index, or its observer name. */
function labelOf(node: ComposedNode): string {
  return node.observer ?? `node ${node.index}`;
}

/** A message on the simulated wire: gossip on a topic, or one direct frame's kind byte and body. */
type Wire = { topic: TopicKind; data: Uint8Array } | { direct: Uint8Array };

/** A consensus message as a direct frame's payload (src/network/transport.ts). */
function directPayloadOf(msg: ConsensusMessage): Uint8Array {
  switch (msg.kind) {
    case 'vote':
      return encodeDirect('vote', encodeVote(msg.vote));
    case 'blockRequest':
      return encodeDirect('blockRequest', msg.blockId);
    case 'blockResponse':
      return encodeDirect('blockResponse', encodeBlock(msg.block));
    case 'proposal':
      return encodeDirect('proposal', encodeProposal(msg.proposal));
    case 'timeout':
      return encodeDirect('timeout', encodeTimeout(msg.timeout));
  }
}
