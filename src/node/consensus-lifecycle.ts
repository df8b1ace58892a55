/**
 * Consensus around block sync: a validator's consensus core and driver, built on the
 * durable head; block sync (src/sync), which every node runs (observers follow the chain by
 * it, validators when far behind); and the moves between them. A validator leaves
 * consensus while it syncs and rejoins on the new head once caught up; consensus starts
 * only at genesis time.
 *
 * Two steps, because the network and this module each need the other: `bind(transport,
 * sync)` once the network exists and before it starts (consensus is built on its transport,
 * so the first messages find a driver), then `start()` once it has started (sync needs its
 * peers). Until bound, the reads the network's gate makes (`currentRound`, `leaderOf`, ...)
 * answer as for a node that is not in consensus.
 *
 * Its ports (signer, stores, transport, sync endpoint, clock) are interfaces, so the composed
 * simulator (test/sim/node/composed.ts) runs this module for each simulated node.
 */
import {
  ConsensusCore,
  ConsensusDriver,
  type ConsensusMessage,
  decodeQc,
  defaultReputation,
  genesisQc,
  type HistoryEntry,
  historyEntry,
  type SafetyStore,
  type Signer,
  type Transport,
  type ValidatorSet,
  type Verifier,
} from '../consensus/index.js';
import { toHex } from '../crypto/bytes.js';
import type { Genesis } from '../genesis/index.js';
import type { NodeMetrics } from '../metrics/index.js';
import { DEFAULT_NETWORK_OPTIONS } from '../network/index.js';
import type { LedgerStore } from '../store/index.js';
import { BlockSync, DEFAULT_SYNC_OPTIONS, type SyncEndpoint, type SyncServerStats } from '../sync/index.js';
import type { Clock, Timer } from '../time/index.js';
import type { ActivityTracker } from './activity.js';
import type { LedgerApplication } from './application.js';
import { type DriverClock, driverClock } from './clock.js';
import { childLogger, type NodeLogger } from './logger.js';
import {
  DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS,
  DEFAULT_MAX_TIMEOUT_EXPONENT,
  type NodeOptions,
} from './options.js';
import type { NodeRole } from './role.js';
import type { ConsensusSafetyStore } from './safety-store.js';

export type ConsensusLifecycleOptions = Pick<
  NodeOptions,
  'maxTimeoutExponent' | 'doubleSignCheckRounds' | 'traceConsensus' | 'sync'
> & {
  /** Proposals for rounds further ahead are ignored (the network's maxFutureRounds). */
  maxFutureRounds?: number;
};

export interface ConsensusLifecycleComponents {
  genesis: Genesis;
  role: NodeRole;
  validatorSet: ValidatorSet;
  /** Signs with this validator's key, which the node keeps (and zeroes at its shutdown). */
  signer: Signer;
  verifier: Verifier;
  /** The durable chain: consensus is rebuilt on its head, and sync serves it. */
  store: Pick<LedgerStore, 'head' | 'getBlock' | 'getCommitQc' | 'getBlockBytes'>;
  safety: ConsensusSafetyStore;
  app: LedgerApplication;
  activity: ActivityTracker;
  metrics: Pick<NodeMetrics, 'consensusStep'>;
  clock: Clock;
  logger: NodeLogger;
  /** Consensus halted, or its safety data cannot be kept: the node must stop. */
  onFatal(err: Error): void;
  /** Block sync started (true) or ended (false): the composed simulator counts and traces it. */
  onSyncingChange?(syncing: boolean): void;
}

/** What the API, the metrics and the network read of consensus and sync. */
export interface ConsensusReadout {
  /** The consensus core (a validator's, once built; kept while it syncs). */
  core(): ConsensusCore | undefined;
  /** Whether the core runs now (not before genesis time's driver start, not while syncing). */
  running(): boolean;
  syncing(): boolean;
  sync(): BlockSync | undefined;
  syncServerStats(): SyncServerStats | undefined;
}

export class ConsensusLifecycle implements ConsensusReadout {
  private transport: Transport | undefined;
  private coreNow: ConsensusCore | undefined;
  private driver: ConsensusDriver | undefined;
  /** The consensus driver's one timer, over the node's clock. */
  private readonly driverClock: DriverClock;
  private blockSync: BlockSync | undefined;
  private syncNet: SyncEndpoint | undefined;
  /** Bumped on each sync mode change, so a stale consensus restart does not run. */
  private syncEpoch = 0;
  /** Set while consensus waits for a genesis time in the future. */
  private genesisTimer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly o: ConsensusLifecycleOptions,
    private readonly c: ConsensusLifecycleComponents,
  ) {
    this.driverClock = driverClock(c.clock);
  }

  // ------------------------------------------------------------ readout

  core(): ConsensusCore | undefined {
    return this.coreNow;
  }

  running(): boolean {
    return this.driver !== undefined;
  }

  syncing(): boolean {
    return this.blockSync?.syncing ?? false;
  }

  sync(): BlockSync | undefined {
    return this.blockSync;
  }

  syncServerStats(): SyncServerStats | undefined {
    return this.syncNet?.serverStats();
  }

  // ------------------------------------------------------------ what the network's gate reads

  /** A verified consensus message from the network. */
  onMessage(from: number, message: ConsensusMessage): void {
    // a verified proposal at height h shows that h - 1 is certified
    if (message.kind === 'proposal')
      this.blockSync?.observeCertified(message.proposal.block.header.height - 1);
    this.c.activity.observe(from, message);
    this.driver?.onMessage(from, message);
  }

  /** Consensus's round while it runs, and the committed tip's otherwise (during sync, on observers). */
  currentRound(): number {
    return Math.max(this.coreNow?.currentRound() ?? 0, this.c.app.syncTip().header.round);
  }

  leaderOf(round: number): number | undefined {
    return this.driver ? this.coreNow?.leaderOf(round) : undefined;
  }

  committed(): { height: number; round: number } {
    const { height, round } = this.c.app.syncTip().header;
    return { height, round };
  }

  highestCertified(): { qcRound: number; tcRound: number } | undefined {
    return this.driver ? this.coreNow?.highestCertified() : undefined;
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Step 1: the network exists, not yet started. A validator's consensus is built on its
   * transport; `sync` serves and fetches blocks over it from step 2 on.
   */
  bind(transport: Transport, sync: SyncEndpoint): void {
    this.transport = transport;
    this.syncNet = sync;
    if (this.c.role.kind === 'validator') this.createConsensus(false);
  }

  /** Step 2: the network has started. Starts block sync, then consensus at genesis time. */
  async start(): Promise<void> {
    if (!this.syncNet) throw new Error('ConsensusLifecycle.start before bind(transport, sync)');
    await this.startSync(this.syncNet);
    this.startConsensusAtGenesis();
  }

  /** Stops consensus and sync at once, then stops serving sync requests. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.genesisTimer?.cancel();
    this.genesisTimer = undefined;
    this.driver?.stop();
    this.driverClock.cancel();
    this.blockSync?.stop();
    await this.syncNet?.stop();
  }

  /**
   * Starts consensus at genesis time. Operators set it ahead to start together; a block
   * built before it would be timestamped before the genesis block, which no validator or
   * syncing node accepts.
   */
  private startConsensusAtGenesis(): void {
    const { genesisTimeMs } = this.c.genesis;
    const waitMs = genesisTimeMs - this.c.clock.nowMs();
    if (waitMs <= 0) {
      if (this.genesisTimer !== undefined) this.c.logger.info({ genesisTimeMs }, 'genesis time reached');
      this.genesisTimer = undefined;
      this.driver?.start();
      return;
    }
    if (this.genesisTimer === undefined)
      this.c.logger.info({ genesisTimeMs, waitMs }, 'waiting for genesis time before starting consensus');
    // a timer holds at most 2^31 - 1 ms: a genesis further ahead re-arms
    this.genesisTimer = this.c.clock.setTimeout(
      () => {
        if (!this.stopped) this.startConsensusAtGenesis();
      },
      Math.min(waitMs, 2 ** 31 - 1),
    );
  }

  /**
   * Builds the consensus core on the durable head. `rejoining`: rebuilt after a sync in this
   * process, whose safety data never left its hands (and the data directory is locked), so
   * the double-sign guard watches no rounds before signing (they would only cost rounds);
   * it still stops the node on a signature of its own that its safety data does not record.
   */
  private createConsensus(rejoining: boolean): void {
    const { c, o } = this;
    if (c.role.kind !== 'validator' || !this.transport) return;
    const { store, genesis, validatorSet } = c;
    const head = store.head();
    const rootBlock = store.getBlock(head.height)!;
    const qcBytes = head.height > 0 ? store.getCommitQc(head.height) : undefined;
    const rootQc = qcBytes ? decodeQc(qcBytes) : genesisQc(validatorSet.genesisId);
    const reputation = defaultReputation(genesis.validators.length);
    const addressIndex = new Map(genesis.validators.map((v, i) => [toHex(v.address), i]));
    const history: HistoryEntry[] = [];
    const keep = 2 * (reputation.windowBlocks + reputation.lagRounds + 8);
    for (let h = Math.max(1, head.height - keep + 1); h <= head.height; h++) {
      const block = store.getBlock(h);
      if (block) history.push(historyEntry(block, addressIndex));
    }
    const base = genesis.params.baseRoundTimeoutMs;
    const core = new ConsensusCore(
      {
        validatorSet,
        self: c.role.index,
        signer: c.signer,
        verifier: c.verifier,
        baseRoundTimeoutMs: base,
        maxTimeoutExponent: o.maxTimeoutExponent ?? DEFAULT_MAX_TIMEOUT_EXPONENT,
        fetchRetryMs: Math.max(50, Math.floor(base / 2)),
        reputation,
        maxFutureRounds: o.maxFutureRounds ?? DEFAULT_NETWORK_OPTIONS.maxFutureRounds,
        doubleSignCheckRounds: o.doubleSignCheckRounds ?? DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS,
        resumedInProcess: rejoining,
      },
      { root: { id: head.hash, block: rootBlock }, rootQc, history, safety: c.safety.load() },
    );
    this.coreNow = core;
    const self = c.role.index;
    const transport = this.transport;
    this.driver = new ConsensusDriver(core, {
      // this node's own proposals, votes and timeouts never come back through the gate
      transport: {
        broadcast: (message, options) => {
          c.activity.observeOwn(self, message);
          transport.broadcast(message, options);
        },
        send: (to, message) => {
          c.activity.observeOwn(self, message);
          transport.send(to, message);
        },
      },
      clock: this.driverClock,
      safetyStore: withUndurableBlocks(c.safety, c.app),
      app: c.app,
      trace: (record) => {
        c.metrics.consensusStep(record);
        if (o.traceConsensus)
          c.logger.debug({ ...record, atRound: this.coreNow?.status().round }, 'consensus');
      },
      onHalt: (err) => c.onFatal(err),
      onEvidence: (e) => {
        c.logger.warn({ kind: e.kind, round: e.round, validator: e.validator }, 'equivocation evidence');
        c.safety.recordEvidence(e, c.clock.nowMs());
      },
    });
  }

  /** Serves and fetches blocks by height range (docs/PROTOCOL.md, "Block sync"). */
  private async startSync(syncNet: SyncEndpoint): Promise<void> {
    const { c } = this;
    const { params } = c.genesis;
    const options = { ...DEFAULT_SYNC_OPTIONS, ...this.o.sync };
    const logger = childLogger(c.logger, { module: 'sync' });
    await syncNet.start(
      {
        headHeight: () => c.store.head().height,
        getBlockBytes: (h) => c.store.getBlockBytes(h),
        getCommitQc: (h) => c.store.getCommitQc(h),
      },
      options.requestTimeoutMs,
    );
    this.blockSync = new BlockSync(
      {
        mode: c.role.kind,
        chain: { tip: () => c.app.syncTip(), commit: (v) => c.app.commitSynced(v) },
        network: syncNet,
        clock: c.clock,
        ctx: {
          validatorSet: c.validatorSet,
          verifier: c.verifier,
          limits: {
            chainId: c.genesis.chainId,
            maxBlockTxs: params.maxBlockTxs,
            maxBlockBytes: params.maxBlockBytes,
          },
          params: { chainId: c.genesis.chainId, baseFeePerGas: params.baseFeePerGas },
        },
        logger,
        onSyncingChange: (syncing) => this.onSyncingChange(syncing),
      },
      options,
    );
    this.blockSync.start();
  }

  /** A validator leaves consensus while it syncs, and rejoins on the new head once caught up. */
  private onSyncingChange(syncing: boolean): void {
    if (this.stopped) return;
    this.c.onSyncingChange?.(syncing);
    if (this.c.role.kind !== 'validator') return;
    const epoch = ++this.syncEpoch;
    if (syncing) {
      this.driver?.stop();
      this.driver = undefined;
      this.driverClock.cancel();
      return;
    }
    // the consensus core is rebuilt on the durable head, so wait for the synced writes
    void this.c.app.drained().then(() => {
      if (epoch !== this.syncEpoch || this.stopped || this.driver) return;
      this.createConsensus(true);
      (this.driver as ConsensusDriver | undefined)?.start();
      this.c.logger.info({ height: this.c.store.head().height }, 'rejoined consensus after sync');
    });
  }
}

/**
 * The safety store as the core's driver uses it: each persist also keeps the committed
 * blocks the chain store has not made durable yet (LedgerApplication.undurableBlocks), so
 * that after a crash or a failed write the blocks between the store's head and the core's
 * certified blocks are still on this node's disk.
 */
export function withUndurableBlocks(
  store: SafetyStore,
  app: Pick<LedgerApplication, 'undurableBlocks'>,
): SafetyStore {
  return {
    persist: (data, durable) => {
      const undurable = app.undurableBlocks();
      if (undurable.length === 0) return store.persist(data, durable);
      store.persist({ ...data, blocks: [...undurable, ...(data.blocks ?? [])] }, durable);
    },
  };
}
