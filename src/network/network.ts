/**
 * The network subsystem: `createNetwork(options, components)` builds a libp2p node whose
 * identity is this validator's (or observer's) secp256k1 key, admits only genesis peers,
 * gossips proposals, timeouts and transaction batches, sends votes and block fetches
 * directly, and passes every inbound message through the gate (gate.ts) before anything
 * else sees it or gossipsub forwards it.
 *
 * Inbound gossip: gossipsub runs with asyncValidation, so it forwards nothing until this
 * node reports a verdict. Messages wait for validation in a bounded queue per topic (a
 * full queue, by count or by bytes, drops the oldest message of the peer holding the most:
 * ignored, counted); the queues are drained a few messages per event-loop turn so
 * signature checks never starve the sockets, each topic getting turns in proportion to its
 * weight (inboundWeights) and, within a topic, each peer in turn: a flood of valid messages
 * from one peer on one topic slows the others but never stops them.
 */
import './polyfill.js';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { TopicValidatorResult } from '@libp2p/gossipsub';
import type { PrivateKey } from '@libp2p/interface';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import type { ConsensusMessage, Transport } from '../consensus/index.js';
import { toHex } from '../crypto/bytes.js';
import { faultTolerance } from '../genesis/index.js';
import { type Clock, systemClock, type Timer } from '../time/index.js';
import { ProposalAssembler } from './assembly.js';
import { blockServeBudgets, PeerBudgets } from './budget.js';
import { type DirectBudgets, DirectMessenger } from './direct.js';
import { encodeDirect } from './encoding.js';
import { NetworkError, reject } from './errors.js';
import {
  Gate,
  type GateContext,
  messageLimits,
  validateCompactProposal,
  validateGossipTimeout,
  validateTxBatch,
} from './gate.js';
import { gossipInternals } from './gossip-internals.js';
import { type GossipStreamKeeper, keepGossipStreams } from './gossip-streams.js';
import type {
  Network,
  NetworkComponents,
  NetworkLogger,
  NetworkMetrics,
  VerdictCounters,
} from './interface.js';
import { createLedgerLibp2p, type LedgerLibp2p } from './libp2p.js';
import { DEFAULT_NETWORK_OPTIONS, type NetworkOptions } from './options.js';
import { PeerRegistry } from './peers.js';
import { GossipPublisher } from './publisher.js';
import { FairQueue, WeightedTurns } from './queues.js';
import { Redialer } from './redial.js';
import {
  DIRECT_PENALTY,
  floorValidatorScores,
  PenaltyBook,
  SCORE_THRESHOLDS,
  scoreParams,
} from './scoring.js';
import { closeSupersededConnections, type SupersededCloser } from './superseded.js';
import { timeoutSightings } from './timeout-sightings.js';
import { directProtocolFor, TOPIC_KINDS, type TopicKind, type Topics, topicsFor } from './topics.js';
import { networkTransport } from './transport.js';
import { certificateVerdicts } from './verifier-cache.js';

/** How often proposals waiting for transaction bodies look again. */
const ASSEMBLY_RETRY_MS = 10;

/** Inbound gossip messages validated per event-loop turn. */
const VALIDATIONS_PER_TURN = 16;

/** Bytes an inbound job counts for beyond its data (the job record, ids). */
const INBOUND_JOB_OVERHEAD_BYTES = 128;

const SILENT: NetworkLogger = { info() {}, warn() {}, debug() {} };

export function emptyMetrics(): NetworkMetrics {
  const v = (): VerdictCounters => ({ accepted: 0, ignored: 0, rejected: 0 });
  return {
    verdicts: {
      proposal: v(),
      timeout: v(),
      transactions: v(),
      vote: v(),
      blockRequest: v(),
      blockResponse: v(),
      direct: v(),
    },
    gateErrors: {},
    dropped: {
      outbound: { proposal: 0, timeout: 0, transactions: 0 },
      outboundTxs: 0,
      direct: 0,
      inbound: 0,
    },
    published: { proposal: 0, timeout: 0, transactions: 0 },
    throttled: { blockRequests: 0, blocksServedStored: 0, directReadPauses: 0, slowFrames: 0 },
    backpressurePauses: 0,
    refusedPeers: 0,
    refusedConnections: 0,
    redials: 0,
    gossipStreamsReopened: 0,
    supersededConnections: 0,
  };
}

function parsePrivateKey(secret: Uint8Array): PrivateKey {
  try {
    if (secret.length !== 32) throw new Error(`expected 32 bytes, got ${secret.length}`);
    return privateKeyFromRaw(secret);
  } catch (e) {
    throw new NetworkError('INVALID_KEY', `not a secp256k1 secret key: ${(e as Error).message}`);
  }
}

/** A bootstrap multiaddr and the peer id in its /p2p/ part. */
export function parsePeerAddress(text: string): { address: Multiaddr; peerId: string } {
  let address: Multiaddr;
  try {
    address = multiaddr(text);
  } catch (e) {
    throw new NetworkError('INVALID_ADDRESS', `not a multiaddr: ${text} (${(e as Error).message})`);
  }
  const peerId = address.getComponents().find((c) => c.name === 'p2p')?.value;
  if (peerId === undefined)
    throw new NetworkError('INVALID_ADDRESS', `bootstrap address ${text} must end in /p2p/<peer id>`);
  return { address, peerId };
}

interface InboundJob {
  kind: TopicKind;
  msgId: string;
  peer: string;
  data: Uint8Array;
}

/** What createNetwork builds before the network itself: its libp2p node, gate context and books. */
interface LedgerNetworkParts {
  libp2p: LedgerLibp2p;
  components: NetworkComponents;
  registry: PeerRegistry;
  topics: Topics;
  ctx: GateContext;
  penalties: PenaltyBook;
  metrics: NetworkMetrics;
  /** The gossip score a peer earned, before the validator floor (scoring.ts). */
  earnedScore: (peerId: string) => number;
  clock: Clock;
}

class LedgerNetwork implements Network {
  readonly libp2p: LedgerLibp2p;
  readonly peerId: string;
  readonly selfIndex: number | undefined;
  readonly transport: Transport;
  private readonly metricsData: NetworkMetrics;
  private readonly logger: NetworkLogger;
  private readonly registry: PeerRegistry;
  private readonly penalties: PenaltyBook;
  private readonly gate: Gate;
  private readonly ctx: GateContext;
  private readonly topicKinds = new Map<string, TopicKind>();
  private readonly publisher: GossipPublisher;
  private readonly direct: DirectMessenger;
  private readonly redialer: Redialer;
  private gossipStreams: GossipStreamKeeper | undefined;
  private supersededCloser: SupersededCloser | undefined;
  private readonly inbound: Record<TopicKind, FairQueue<InboundJob>>;
  private readonly inboundTurns: WeightedTurns<TopicKind>;
  private drainScheduled = false;
  private started = false;
  private readonly forwardDelayMs: number;
  private readonly supersededAfterMs: number;
  /** Accepted messages whose forwarding is held back (report). */
  private readonly forwardTimers = new Set<Timer>();
  /** Gossiped proposals name their transactions by hash: bodies come from the mempool. */
  private readonly assembler: ProposalAssembler;
  private assemblyTimer: Timer | undefined;
  private readonly clock: Clock;
  private readonly components: NetworkComponents;
  private readonly topics: Topics;
  private readonly earnedScore: (peerId: string) => number;

  constructor(options: NetworkOptions, parts: LedgerNetworkParts) {
    const { libp2p, components, registry, topics, ctx, penalties, metrics, clock } = parts;
    this.libp2p = libp2p;
    this.components = components;
    this.topics = topics;
    this.earnedScore = parts.earnedScore;
    this.clock = clock;
    this.metricsData = metrics;
    this.forwardDelayMs = options.forwardDelayMs;
    this.supersededAfterMs = options.supersededAfterMs;
    this.penalties = penalties;
    this.logger = components.logger ?? SILENT;
    this.registry = registry;
    this.ctx = ctx;
    this.peerId = libp2p.peerId.toString();
    this.selfIndex = registry.validatorIndexOf(this.peerId);
    this.gate = new Gate(metrics, this.logger);
    for (const kind of TOPIC_KINDS) this.topicKinds.set(topics[kind], kind);
    const inboundQueue = () =>
      new FairQueue<InboundJob>(
        options.inboundQueueMaxMessages,
        options.inboundQueueMaxBytes,
        (job) => job.data.length + INBOUND_JOB_OVERHEAD_BYTES,
      );
    this.inbound = { proposal: inboundQueue(), timeout: inboundQueue(), transactions: inboundQueue() };
    this.inboundTurns = new WeightedTurns<TopicKind>({
      proposal: options.inboundWeights.proposal,
      timeout: options.inboundWeights.timeout,
      transactions: options.inboundWeights.transactions,
    });
    this.publisher = new GossipPublisher(
      { ...options, maxLaggingPeers: faultTolerance(components.genesis.validators.length) },
      {
        pubsub: libp2p.services.pubsub,
        topics,
        metrics,
        logger: this.logger,
        clock,
        isValidatorPeer: (peer) => registry.validatorIndexOf(peer) !== undefined,
      },
    );
    this.direct = new DirectMessenger({
      libp2p,
      protocol: directProtocolFor(components.validatorSet.genesisId),
      registry,
      gate: this.gate,
      ctx,
      maxQueuedPerPeer: options.directQueueMaxMessages,
      maxQueuedBytesPerPeer: options.directQueueMaxBytes,
      maxFrameBytes: ctx.limits.proposalBytes + 1,
      maxInboundStreams: options.directInboundStreamsMax,
      frameTimeoutMs: options.directFrameTimeoutMs,
      budgets: directBudgets(options, ctx.limits.proposalBytes + 1, clock),
      committedBlockBytes: components.committedBlockBytes,
      metrics,
      logger: this.logger,
      clock,
      deliver: (from, m) => {
        // a block fetched for a waiting proposal completes it (consensus may want it too)
        if (m.kind === 'blockResponse') this.assembler.onBlock(m.block);
        this.deliver(from, m);
      },
      penalize: (peer) => this.penalties.add(peer, DIRECT_PENALTY),
    });
    this.assembler = new ProposalAssembler({
      lookupTx: components.lookupTx ?? (() => undefined),
      requestBlock: (from, id) => this.direct.send(from, encodeDirect('blockRequest', id)),
      deliver: (from, proposal) => this.deliver(from, { kind: 'proposal', proposal }),
      now: () => clock.nowMs(),
    });
    this.transport = networkTransport(
      this.publisher,
      this.direct,
      this.selfIndex,
      components.validatorSet.validators.length,
    );
    this.redialer = new Redialer(
      { minDelayMs: options.redialMinDelayMs, maxDelayMs: options.redialMaxDelayMs },
      { libp2p, metrics, logger: this.logger, clock },
    );
    for (const text of options.bootstrapAddresses) this.addBootstrap(text);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.libp2p.start();
    const pubsub = this.libp2p.services.pubsub;
    pubsub.addEventListener('gossipsub:message', this.onGossip);
    for (const kind of TOPIC_KINDS) pubsub.subscribe(this.topics[kind]);
    await this.direct.start();
    this.publisher.start();
    this.redialer.start();
    this.gossipStreams = keepGossipStreams(this.libp2p, pubsub, (peer) => {
      this.metricsData.gossipStreamsReopened++;
      this.logger.debug({ peer }, 'connected peer without a gossip stream; opening one');
    });
    this.supersededCloser = closeSupersededConnections(this.libp2p, this.supersededAfterMs, (peer) => {
      this.metricsData.supersededConnections++;
      this.logger.info({ peer }, 'peer dialled again: closing the connection it lost');
    });
    this.logger.info(
      { peerId: this.peerId, validator: this.selfIndex, addresses: this.getMultiaddrs() },
      'network started',
    );
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const timer of this.forwardTimers) timer.cancel();
    this.forwardTimers.clear();
    this.assemblyTimer?.cancel();
    this.assemblyTimer = undefined;
    this.assembler.clear();
    this.redialer.stop();
    this.gossipStreams?.stop();
    this.gossipStreams = undefined;
    this.supersededCloser?.stop();
    this.supersededCloser = undefined;
    this.publisher.stop();
    this.libp2p.services.pubsub.removeEventListener('gossipsub:message', this.onGossip);
    for (const kind of TOPIC_KINDS) this.inbound[kind].clear();
    await this.direct.stop();
    await this.libp2p.stop();
  }

  getMultiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  addBootstrap(text: string): void {
    const { address, peerId } = parsePeerAddress(text);
    if (peerId === this.peerId) return;
    if (!this.registry.isAllowed(peerId))
      throw new NetworkError('PEER_NOT_ALLOWED', `bootstrap peer ${peerId} is not listed in genesis`);
    this.redialer.add(peerId, address);
  }

  publishTransactions(txs: Uint8Array[]): void {
    this.publisher.addTransactions(txs);
  }

  connectedPeers(): string[] {
    // From the connections' own peer ids: libp2p.getPeers() re-parses every peer id from its
    // string (decompressing its public key), 0.7% of a node's CPU at saturation with sync
    // asking every tick.
    const peers = new Set<string>();
    for (const connection of this.libp2p.getConnections()) peers.add(connection.remotePeer.toString());
    return [...peers];
  }

  penalize(peerId: string): void {
    this.penalties.add(peerId, DIRECT_PENALTY);
  }

  peerScore(peerId: string): number {
    // what the peer earned: for a validator it may be below the floor gossipsub acts on
    return this.earnedScore(peerId);
  }

  metrics(): NetworkMetrics {
    return structuredClone(this.metricsData);
  }

  /** Messages waiting in the outbound gossip queue of `kind` (tests, diagnostics). */
  outboundQueued(kind: TopicKind): number {
    return this.publisher.queued(kind);
  }

  private readonly onGossip = (
    evt: CustomEvent<{
      propagationSource: { toString(): string };
      msgId: string;
      msg: { topic: string; data: Uint8Array };
    }>,
  ): void => {
    const { propagationSource, msgId, msg } = evt.detail;
    const peer = propagationSource.toString();
    const kind = this.topicKinds.get(msg.topic);
    if (kind === undefined) {
      this.report(msgId, peer, TopicValidatorResult.Ignore);
      return;
    }
    const job: InboundJob = { kind, msgId, peer, data: msg.data };
    // [overload] a full validation queue drops the oldest waiting message of the peer that
    // holds the most (ignored, counted); peers' messages are validated in turn (FairQueue)
    for (const dropped of this.inbound[kind].push(peer, job)) {
      this.metricsData.dropped.inbound++;
      this.gate.count(dropped.kind, 'ignore', 'QUEUE_FULL');
      this.report(dropped.msgId, dropped.peer, TopicValidatorResult.Ignore);
    }
    this.scheduleDrain();
  };

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.clock.defer(() => {
      this.drainScheduled = false;
      this.drainInbound();
    });
  }

  private drainInbound(): void {
    if (!this.started) return;
    for (let i = 0; i < VALIDATIONS_PER_TURN; i++) {
      // [fair drain] weighted turns: consensus topics get more, transactions always some
      const kind = this.inboundTurns.next((k) => this.inbound[k].length > 0);
      if (kind === undefined) return;
      this.handleGossip(this.inbound[kind].shift()!);
    }
    this.scheduleDrain();
  }

  private handleGossip(job: InboundJob): void {
    if (job.kind === 'transactions') {
      // admission (signature recovery, once per tx per node) is the last check of the gate
      const result = this.gate.run('transactions', job.peer, () => {
        const txs = validateTxBatch(this.ctx, job.data);
        const invalid = this.components.onTransactions(txs, job.peer);
        if (invalid) throw reject('INVALID_TX', `a batched transaction can never be valid: ${invalid}`);
        return txs;
      });
      this.report(job.msgId, job.peer, verdictResult(result.verdict));
      if (this.assembler.pending() > 0) this.assembler.retry(); // the batch may hold the missing bodies
      return;
    }
    if (job.kind === 'proposal') {
      const result = this.gate.run('proposal', job.peer, () => validateCompactProposal(this.ctx, job.data));
      this.report(job.msgId, job.peer, verdictResult(result.verdict));
      // observers too: a proposal is how block sync learns which heights are certified
      if (result.verdict === 'accept') {
        this.assembler.add(result.value.from, result.value.message);
        this.scheduleAssembly();
      }
      return;
    }
    const result = this.gate.run('timeout', job.peer, () => validateGossipTimeout(this.ctx, job.data));
    // [forward] used here, but not vouched for to peers: its signer broadcasts it to them too
    const forward =
      result.verdict === 'accept' && result.value.localOnly === true ? 'ignore' : result.verdict;
    this.report(job.msgId, job.peer, verdictResult(forward));
    if (result.verdict === 'accept') this.deliver(result.value.from, result.value.message);
  }

  /** Retries waiting proposals every few ms while any wait (and after admitted batches). */
  private scheduleAssembly(): void {
    if (this.assemblyTimer || this.assembler.pending() === 0) return;
    this.assemblyTimer = this.clock.setTimeout(() => {
      this.assemblyTimer = undefined;
      if (!this.started) return;
      this.assembler.retry();
      this.scheduleAssembly();
    }, ASSEMBLY_RETRY_MS);
  }

  private report(msgId: string, peer: string, result: TopicValidatorResult): void {
    const delayMs = this.forwardDelayMs;
    if (result !== TopicValidatorResult.Accept || delayMs <= 0) {
      gossipInternals(this.libp2p.services.pubsub).reportMessageValidationResult(msgId, peer, result);
      return;
    }
    // Accepting is what makes gossipsub forward the message to its mesh. Held back a little,
    // so that the peers that already got it from its origin have told this node so (their
    // IDONTWANT, or their own copy) and are skipped: see forwardDelayMs.
    const timer = this.clock.setTimeout(() => {
      this.forwardTimers.delete(timer);
      if (this.started)
        gossipInternals(this.libp2p.services.pubsub).reportMessageValidationResult(msgId, peer, result);
    }, delayMs);
    this.forwardTimers.add(timer);
  }

  private deliver(from: number, message: ConsensusMessage): void {
    try {
      this.components.onConsensusMessage(from, message);
    } catch (err) {
      this.logger.warn({ from, kind: message.kind, err: (err as Error).message }, 'consensus handler threw');
    }
  }
}

/**
 * The direct protocol's per-peer budgets. Byte budgets never fall below a few of the
 * largest frames (a chain configured with large blocks must still fetch them), whatever
 * the options say.
 */
function directBudgets(o: NetworkOptions, maxFrameBytes: number, clock: Clock): DirectBudgets {
  const now = () => clock.monotonicMs();
  const atLeast = (bytes: number, frames: number) => Math.max(bytes, frames * maxFrameBytes);
  return {
    readBytes: new PeerBudgets(
      {
        ratePerSecond: atLeast(o.directReadBytesPerSecond, 8),
        burst: atLeast(o.directReadBurstBytes, 4),
      },
      now,
    ),
    cpuMs: new PeerBudgets({ ratePerSecond: o.directCpuMsPerSecond, burst: o.directCpuBurstMs }, now),
    blocks: blockServeBudgets(o, maxFrameBytes, now),
  };
}

function verdictResult(verdict: 'accept' | 'ignore' | 'reject'): TopicValidatorResult {
  if (verdict === 'accept') return TopicValidatorResult.Accept;
  return verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
}

/**
 * Builds (does not start) the network. Throws NetworkError when the key is not a
 * secp256k1 secret, its peer id is not listed in genesis, or a bootstrap address is
 * malformed or names an unlisted peer.
 */
export async function createNetwork(
  options: Partial<NetworkOptions>,
  components: NetworkComponents,
): Promise<Network & { outboundQueued(kind: TopicKind): number }> {
  const opts: NetworkOptions = { ...DEFAULT_NETWORK_OPTIONS, ...options };
  const { genesis, validatorSet } = components;
  const logger = components.logger ?? SILENT;
  const metrics = emptyMetrics();
  const registry = new PeerRegistry(genesis, metrics, logger);
  const privateKey = parsePrivateKey(components.secretKey);
  const topics = topicsFor(validatorSet.genesisId);
  const n = validatorSet.validators.length;
  if (n !== genesis.validators.length)
    throw new NetworkError('INVALID_OPTIONS', 'validator set and genesis list different validators');
  const limits = messageLimits(
    n,
    genesis.params.maxBlockBytes,
    genesis.params.maxBlockTxs,
    opts.txBatchMaxTxs,
    opts.txBatchMaxBytes,
  );
  const ctx: GateContext = {
    validatorSet,
    verifier: components.verifier,
    addressIndex: new Map(validatorSet.validators.map((v, i) => [toHex(v.address), i])),
    limits,
    currentRound: components.currentRound,
    maxPastRounds: opts.maxPastRounds,
    maxFutureRounds: opts.maxFutureRounds,
    leaderOf: components.leaderOf,
    committed: components.committed,
    highestCertified: components.highestCertified,
    certificates: certificateVerdicts(),
    // the round window, and some room for justified rounds above it (a node far behind
    // may hold more of those, and then drops its lowest rounds: over for it anyway)
    timeouts: timeoutSightings(opts.maxPastRounds + opts.maxFutureRounds + 16),
  };
  const clock = components.clock ?? systemClock;
  const penalties = new PenaltyBook(() => clock.monotonicMs());
  const libp2p = await createLedgerLibp2p({
    privateKey,
    listenAddresses: opts.listenAddresses,
    announceAddresses: opts.announceAddresses,
    gater: registry.gater(),
    topics: TOPIC_KINDS.map((k) => topics[k]),
    heartbeatIntervalMs: opts.heartbeatIntervalMs,
    seenTtlMs: opts.seenTtlMs,
    maxMessageBytes: Math.max(limits.proposalBytes, limits.batchBytes),
    streamBufferMaxBytes: opts.gossipStreamBufferMaxBytes,
    scoreParams: scoreParams(topics, penalties),
    scoreThresholds: SCORE_THRESHOLDS,
    maxConnections: 2 * (n + genesis.observers.length) + 8,
  });
  // [score] genesis validators are never graylisted on score alone (scoring.ts)
  const earnedScore = floorValidatorScores(
    libp2p.services.pubsub,
    (peer) => registry.validatorIndexOf(peer) !== undefined,
  );
  const selfId = libp2p.peerId.toString();
  if (!registry.isAllowed(selfId)) {
    throw new NetworkError('NOT_IN_GENESIS', `this node's peer id ${selfId} is not listed in genesis`);
  }
  return new LedgerNetwork(opts, {
    libp2p,
    components,
    registry,
    topics,
    ctx,
    penalties,
    metrics,
    earnedScore,
    clock,
  });
}
