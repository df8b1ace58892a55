/**
 * LedgerNode: the one composition root (DESIGN.md). It loads genesis and the key, opens
 * the ledger store and the safety store, creates the subsystems and hands each the others
 * it needs: the application and its mempool (application.ts), transaction admission
 * (admission.ts), the network (src/network), consensus around block sync
 * (consensus-lifecycle.ts), the API facade (api-facade.ts) and the HTTP listeners
 * (listeners.ts), all on one clock (src/time). It composes; the work is theirs.
 *
 * Lifecycle: `LedgerNode.init(options)` validates and opens everything (typed errors for a
 * bad genesis, a key not in genesis, a data directory of another chain); `start()` binds
 * the API port and the p2p port (PORT_IN_USE) and starts consensus; `stop()` undoes it in
 * reverse and waits for in-flight writes.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type {
  EvidenceView,
  NodeApi,
  NodeStatus,
  PeerView,
  SubmitOutcome,
  TxStatus,
} from '../../explorer/server/index.js';
import {
  defaultReputation,
  secp256k1Signer,
  secp256k1Verifier,
  type ValidatorSet,
} from '../consensus/index.js';
import { toHex } from '../crypto/bytes.js';
import { keccakBackend } from '../crypto/hash.js';
import { addressOf, publicKeyOf } from '../crypto/keys.js';
import { readKeystoreFile } from '../crypto/keystore.js';
import { defaultBackend } from '../crypto/verifier.js';
import { type Genesis, loadGenesisFile, peerIdOfPublicKey } from '../genesis/index.js';
import { Mempool } from '../mempool/index.js';
import { createNodeMetrics, type NodeMetrics } from '../metrics/index.js';
import {
  cachingVerifier,
  createNetwork,
  DEFAULT_NETWORK_OPTIONS,
  type Network,
  signatureCacheEntries,
  syncProtocolFor,
} from '../network/index.js';
import { genesisCommitOf, LedgerStore, StoreError } from '../store/index.js';
import { DEFAULT_SYNC_OPTIONS, Libp2pSyncNetwork } from '../sync/index.js';
import { type Clock, deadline, systemClock } from '../time/index.js';
import { ActivityTracker } from './activity.js';
import { TransactionAdmission } from './admission.js';
import { NodeApiFacade } from './api-facade.js';
import { LedgerApplication } from './application.js';
import { ConsensusLifecycle } from './consensus-lifecycle.js';
import { DataDirLock } from './data-dir-lock.js';
import { NodeError } from './errors.js';
import { StoreExplorerReader } from './explorer-reader.js';
import { ApiListeners } from './listeners.js';
import { childLogger, type NodeLogger } from './logger.js';
import { MemoryUpkeep } from './memory-upkeep.js';
import {
  DEFAULT_MALLOC_TRIM_MS,
  DEFAULT_MEMORY_UPKEEP_MS,
  DEFAULT_SUBMIT_SLICE_TXS,
  DEFAULT_TX_JOURNAL_PRUNE_MS,
  DEFAULT_TX_REBROADCAST_MAX_TXS,
  DEFAULT_TX_REBROADCAST_MS,
  MAX_CLOCK_SKEW_MS,
  MEMORY_UPKEEP_RESCAN_PASSES,
  type NodeOptions,
} from './options.js';
import { genesisBlockOf, type NodeRole, roleOf } from './role.js';
import { LmdbSafetyStore } from './safety-store.js';

export { genesisBlockOf, type NodeRole, roleOf } from './role.js';

/** How long a stop after a fatal error waits for the stores' writes, all together. */
export const FATAL_STOP_WRITES_MS = 5000;

/** What a node may be given instead of the real thing (the simulator's virtual clock). */
export interface LedgerNodeComponents {
  /** Every timer and clock read of the node and its subsystems (default: the system clock). */
  clock?: Clock;
}

/** What `open` hands the constructor: everything checked and opened, nothing started. */
interface OpenedNode {
  options: Omit<NodeOptions, 'passphrase'>;
  genesis: Genesis;
  role: NodeRole;
  secret: Uint8Array;
  store: LedgerStore;
  safety: LmdbSafetyStore;
  validatorSet: ValidatorSet;
  clock: Clock;
  /** Held from init until the stores are closed. */
  dataDirLock: DataDirLock;
}

export class LedgerNode {
  readonly genesis: Genesis;
  readonly role: NodeRole;
  readonly validatorSet: ValidatorSet;
  readonly peerId: string;
  /** Resolves when the node has stopped: undefined after stop(), the error after a fatal one. */
  readonly done: Promise<Error | undefined>;
  private resolveDone!: (err: Error | undefined) => void;
  private readonly options: Omit<NodeOptions, 'passphrase'>;
  private readonly secret: Uint8Array;
  private readonly store: LedgerStore;
  private readonly safety: LmdbSafetyStore;
  private readonly dataDirLock: DataDirLock;
  private readonly clock: Clock;
  private readonly log: NodeLogger;
  private readonly selfName: string;
  private readonly verifier: ReturnType<typeof cachingVerifier>;
  private readonly app: LedgerApplication;
  private readonly mempool: Mempool;
  /** API and gossip admission, and the journal behind a 202 (opened by start). */
  private readonly admission: TransactionAdmission;
  /** What this node saw validators do in recent rounds (the explorer's uptime). */
  private readonly activity: ActivityTracker;
  /** The explorer's reads (explorer-reader.ts), handed to the API. */
  private readonly explorer: StoreExplorerReader;
  /** Prometheus metrics at GET /metrics (src/metrics): this node's registry. */
  private readonly metrics: NodeMetrics;
  private readonly consensus: ConsensusLifecycle;
  private readonly facade: NodeApiFacade;
  private readonly listeners: ApiListeners;
  /** Drops the resident pages of the lmdb files on a schedule (memory-upkeep.ts). */
  private readonly memoryUpkeep: MemoryUpkeep;
  /** Created by start. */
  private network: Network | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  /** The first fatal error reported while an orderly stop was under way: the stop ends with it. */
  private errorWhileStopping: Error | undefined;

  private constructor(opened: OpenedNode) {
    const { options, genesis, role, secret, store, safety, clock } = opened;
    this.options = options;
    this.genesis = genesis;
    this.role = role;
    this.secret = secret;
    this.store = store;
    this.safety = safety;
    this.validatorSet = opened.validatorSet;
    this.clock = clock;
    this.dataDirLock = opened.dataDirLock;
    this.log = options.logger;
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    this.selfName = role.kind === 'validator' ? genesis.validators[role.index].name : role.name;
    this.peerId = peerIdOfPublicKey(publicKeyOf(secret, true));
    this.verifier = cachingVerifier(
      secp256k1Verifier(genesis.validators.map((v) => v.publicKey)),
      signatureCacheEntries(genesis.validators.length),
    );
    const params = { chainId: genesis.chainId, baseFeePerGas: genesis.params.baseFeePerGas };
    const limits = { maxBlockTxs: genesis.params.maxBlockTxs, maxBlockBytes: genesis.params.maxBlockBytes };
    this.metrics = this.createMetrics();
    this.app = new LedgerApplication({
      store,
      createMempool: (accounts) =>
        new Mempool({ accounts, params, blockLimits: limits, now: () => clock.nowMs() }),
      params,
      limits: { chainId: genesis.chainId, ...limits },
      proposer: addressOf(secret),
      headerReserveBytes: 256 + 80 * genesis.quorum,
      emptyBlockDelayMs: options.emptyBlockDelayMs ?? Math.min(250, genesis.params.baseRoundTimeoutMs / 4),
      maxClockSkewMs: MAX_CLOCK_SKEW_MS,
      clock,
      logger: childLogger(this.log, { module: 'app' }),
      onFatal: (err) => this.fatal(err),
      blocks: this.metrics.blocks,
      onCommitted: (block, hash) => {
        const h = block.header;
        const fields = {
          height: h.height,
          round: h.round,
          hash: toHex(hash),
          txs: block.transactions.length,
        };
        if (block.transactions.length > 0) this.log.info(fields, 'committed block');
        else this.log.debug(fields, 'committed block');
      },
    });
    this.mempool = this.app.mempool;
    this.admission = new TransactionAdmission(
      {
        mempool: this.mempool,
        txLocation: (hash) => this.app.txLocation(hash),
        publish: (raws) => this.network?.publishTransactions(raws),
        connectedPeers: () => this.peerCount(),
        logger: this.log,
        onFatal: (err) => this.fatal(err),
        clock,
      },
      {
        journalDir: join(resolve(options.dataDir), 'txjournal'),
        submitSliceTxs: options.submitSliceTxs ?? DEFAULT_SUBMIT_SLICE_TXS,
        txJournalPruneMs: options.txJournalPruneMs ?? DEFAULT_TX_JOURNAL_PRUNE_MS,
        txRebroadcastMs: options.txRebroadcastMs ?? DEFAULT_TX_REBROADCAST_MS,
        txRebroadcastMaxTxs: options.txRebroadcastMaxTxs ?? DEFAULT_TX_REBROADCAST_MAX_TXS,
        gossipSeenTtlMs: options.network?.seenTtlMs ?? DEFAULT_NETWORK_OPTIONS.seenTtlMs,
      },
    );
    this.activity = new ActivityTracker(genesis.validators.length, genesis.quorum);
    this.explorer = new StoreExplorerReader({
      store,
      mempool: this.mempool,
      chainId: genesis.chainId,
      validators: genesis.validators,
      quorum: genesis.quorum,
      reputation: defaultReputation(genesis.validators.length),
      evidence: () => safety.evidence(),
      activity: this.activity,
      self: role.kind === 'validator' ? role.index : undefined,
      inFlightTx: (hash) => this.app.inFlightTx(hash),
      onListenerError: (err) =>
        this.log.error({ err: (err as Error)?.message }, 'explorer subscriber failed; dropped'),
    });
    this.consensus = new ConsensusLifecycle(
      {
        maxTimeoutExponent: options.maxTimeoutExponent,
        doubleSignCheckRounds: options.doubleSignCheckRounds,
        traceConsensus: options.traceConsensus,
        sync: options.sync,
        maxFutureRounds: options.network?.maxFutureRounds,
      },
      {
        genesis,
        role,
        validatorSet: this.validatorSet,
        // it signs with this very array, so zeroing the key at shutdown reaches it too
        signer: secp256k1Signer(secret),
        verifier: this.verifier,
        store,
        safety,
        app: this.app,
        activity: this.activity,
        metrics: this.metrics,
        clock,
        logger: this.log,
        onFatal: (err) => this.fatal(err),
      },
    );
    this.memoryUpkeep = new MemoryUpkeep(
      { dataDir: resolve(options.dataDir), clock, logger: childLogger(this.log, { module: 'memory' }) },
      {
        everyMs: options.memoryUpkeepMs ?? DEFAULT_MEMORY_UPKEEP_MS,
        rescanEveryPasses: MEMORY_UPKEEP_RESCAN_PASSES,
        trimEveryMs: options.mallocTrimMs ?? DEFAULT_MALLOC_TRIM_MS,
      },
    );
    this.facade = new NodeApiFacade({
      genesis,
      role,
      peerId: this.peerId,
      clock,
      committedTip: () => this.app.committedTip(),
      mempool: this.mempool,
      admission: this.admission,
      safety,
      explorer: this.explorer,
      consensus: this.consensus,
      network: () => this.network,
    });
    this.listeners = new ApiListeners(
      {
        apiPort: options.apiPort,
        apiHost: options.apiHost,
        api: options.api,
        explorerPages: options.explorerPages,
        rpcPort: options.rpcPort,
        rpc: options.rpc,
        chainId: genesis.chainId,
        baseFeePerGas: genesis.params.baseFeePerGas,
        maxBlockTxs: genesis.params.maxBlockTxs,
      },
      {
        api: this.facade.api(),
        status: () => this.facade.status(),
        evidence: () => this.facade.evidence(),
        submit: (raws) => this.facade.submitTransactions(raws),
        explorer: this.explorer,
        store,
        mempool: this.mempool,
        peerCount: () => this.peerCount(),
        syncing: () => this.consensus.syncing(),
        scrape: () => this.metrics.scrape(),
        logger: this.log,
        clock,
      },
    );
  }

  /**
   * Loads and checks genesis, key and data directory; locks the data directory and opens
   * the stores. Starts nothing. The passphrase is not kept: the node holds `options`
   * without it.
   */
  static async init(options: NodeOptions, components: LedgerNodeComponents = {}): Promise<LedgerNode> {
    const { passphrase, ...kept } = options;
    const genesis = await loadGenesisFile(resolve(options.genesisPath));
    const secret = await readKeystoreFile(resolve(options.keyPath), passphrase);
    try {
      return await LedgerNode.open(kept, genesis, secret, components.clock ?? systemClock);
    } catch (err) {
      secret.fill(0);
      throw err;
    }
  }

  private static async open(
    options: Omit<NodeOptions, 'passphrase'>,
    genesis: Genesis,
    secret: Uint8Array,
    clock: Clock,
  ): Promise<LedgerNode> {
    const role = roleOf(genesis, secret);
    const gb = genesisBlockOf(genesis);
    const dataDir = resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // before any store opens: two processes on one data directory could each sign
    const lock = await DataDirLock.acquire(dataDir);
    let store: LedgerStore | undefined;
    try {
      try {
        store = LedgerStore.open(
          join(dataDir, 'chain'),
          gb.hash,
          options.provableHistoryBlocks === undefined
            ? {}
            : { provableHistoryBlocks: options.provableHistoryBlocks },
        );
      } catch (err) {
        if (err instanceof StoreError && err.code === 'GENESIS_MISMATCH')
          throw new NodeError('DATA_DIR_MISMATCH', err.message, { cause: err });
        throw err;
      }
      // The safety store is created with the chain store; a validator whose chain store
      // exists without it would restart at last voted round 0 and could sign twice.
      const safetyMustExist = role.kind === 'validator' && store.isInitialised() && !options.resetSafetyData;
      let node: LedgerNode | undefined;
      const safetyPath = join(dataDir, 'safety');
      const safety = await LmdbSafetyStore.open(safetyPath, gb.hash, {
        create: !safetyMustExist,
        evidenceBytesPerValidator: options.evidenceBytesPerValidator,
        onFailure: (err) =>
          node?.fatal(
            new NodeError('STORAGE_FAILURE', `safety data could not be written: ${err.message}`, {
              cause: err,
            }),
          ),
      }).catch((err: unknown) => {
        if (err instanceof NodeError && err.code === 'SAFETY_DATA_MISSING')
          throw new NodeError(
            'SAFETY_DATA_MISSING',
            `${err.message}, next to this validator's chain store at ${join(dataDir, 'chain')}: starting without it forgets the last voted round and could sign twice. Restore it, or start with --reset-safety-data only if this validator's key has not signed since (e.g. it is stopped everywhere for longer than the network's rounds it could have voted in)`,
          );
        throw err;
      });
      if (safety.created && role.kind === 'validator' && options.resetSafetyData && store.isInitialised())
        options.logger.warn({ path: safetyPath }, 'safety data reset: starting with last voted round 0');
      try {
        if (!store.isInitialised()) {
          await store.initialise(genesisCommitOf(gb));
        }
      } catch (err) {
        await safety.close();
        throw err;
      }
      const validatorSet: ValidatorSet = {
        chainId: genesis.chainId,
        genesisId: gb.hash,
        validators: genesis.validators.map((v) => ({ address: v.address, publicKey: v.publicKey })),
      };
      node = new LedgerNode({
        options,
        genesis,
        role,
        secret,
        store,
        safety,
        validatorSet,
        clock,
        dataDirLock: lock,
      });
      return node;
    } catch (err) {
      await store?.close();
      await lock.release();
      throw err;
    }
  }

  /** The bound API port (after start). */
  get apiPort(): number {
    return this.listeners.apiPort;
  }

  /** The JSON-RPC port's number once listening (0: none). */
  get rpcPort(): number {
    return this.listeners.rpcPort;
  }

  get p2pAddresses(): string[] {
    return this.network ? this.network.getMultiaddrs() : [];
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.facade.start();
    await this.admission.open();
    await this.listeners.start();
    const consensus = this.consensus;
    this.network = await createNetwork(
      {
        ...this.options.network,
        listenAddresses: this.options.listen,
        bootstrapAddresses: this.options.bootstrap,
        announceAddresses: this.options.announce ?? [],
      },
      {
        genesis: this.genesis,
        validatorSet: this.validatorSet,
        verifier: this.verifier,
        secretKey: this.secret,
        onConsensusMessage: (from, message) => consensus.onMessage(from, message),
        onTransactions: (txs) => this.admission.onGossip(txs),
        lookupTx: (hash) => this.mempool.get(hash)?.raw,
        // block requests for committed blocks are answered with the stored bytes as they are
        committedBlockBytes: (id) => this.app.committedBlockBytes(id),
        // the gate reads consensus while it runs, and the committed tip otherwise
        currentRound: () => consensus.currentRound(),
        leaderOf: (round) => consensus.leaderOf(round),
        committed: () => consensus.committed(),
        highestCertified: () => consensus.highestCertified(),
        logger: childLogger(this.log, { module: 'network' }),
        clock: this.clock,
      },
    );
    const network = this.network;
    // built before the network starts: it registers its libp2p handler only in the lifecycle's start
    const syncEndpoint = new Libp2pSyncNetwork({
      libp2p: network.libp2p,
      protocol: syncProtocolFor(this.validatorSet.genesisId),
      maxFrameBytes: this.genesis.params.maxBlockBytes + 128 * this.genesis.validators.length + 1024,
      peers: () => network.connectedPeers(),
      penalize: (peer) => network.penalize(peer),
      maxInboundStreams: this.options.sync?.maxInboundStreams ?? DEFAULT_SYNC_OPTIONS.maxInboundStreams,
      logger: childLogger(this.log, { module: 'sync' }),
      clock: this.clock,
    });
    consensus.bind(network.transport, syncEndpoint);
    try {
      await this.network.start();
    } catch (err) {
      await this.listeners.stop();
      if (/EADDRINUSE/.test(String((err as Error)?.message ?? err)))
        throw new NodeError(
          'PORT_IN_USE',
          `a p2p listen address is in use: ${this.options.listen.join(', ')}`,
        );
      throw err;
    }
    await consensus.start();
    this.memoryUpkeep.start();
    this.log.info(
      {
        chainId: this.genesis.chainId.toString(),
        role: this.role.kind,
        name: this.selfName,
        height: this.store.head().height,
        api: `http://${this.options.apiHost}:${this.apiPort}`,
        p2p: this.network.getMultiaddrs(),
        // a silent fallback to the pure-JS backends would cost most of the throughput
        crypto: { signatures: defaultBackend().name, keccak: keccakBackend },
      },
      'node started',
    );
  }

  /** Stops consensus, the API and the network, then waits for in-flight writes. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown(undefined);
    return this.stopping;
  }

  /**
   * Stops in order as after a fatal error of its own: `done` resolves with `err`. For an
   * error the process caught nowhere else (the CLI's uncaughtException handler).
   */
  abort(err: Error): Promise<void> {
    this.fatal(err);
    return this.stopping ?? Promise.resolve();
  }

  private fatal(err: Error): void {
    if (this.stopping) {
      // often the same failure reported again (lmdb-js rejects a failed commit's promises
      // one by one): a stop after a fatal error keeps its first reason; an orderly stop
      // ends with this one
      this.log.warn({ code: (err as NodeError).code, err: err.message }, 'a further error while stopping');
      this.errorWhileStopping ??= err;
      return;
    }
    this.log.error({ code: (err as NodeError).code, err: err.message }, 'stopping after a fatal error');
    this.stopping = this.shutdown(err);
  }

  private async shutdown(reason: Error | undefined): Promise<void> {
    this.log.info({}, 'stopping');
    const upkeepStopped = this.memoryUpkeep.stop();
    // consensus and sync halt at once (before the first await); sync stops serving below
    const consensusStopped = this.consensus.stop();
    this.app.stop();
    const writes = this.writesSettled(reason);
    try {
      await this.listeners.stop();
      await consensusStopped;
      if (this.started) await this.network?.stop();
      await writes.wait(this.app.drained(), 'the chain store');
      this.explorer.close();
      this.facade.stop();
      // before any store closes: a pass releases the stores' mappings, which must stay mapped
      await upkeepStopped;
      await writes.wait(this.admission.close(), 'the transaction journal');
      await writes.wait(this.safety.close(), 'the safety data');
      await writes.wait(this.store.close(), 'the chain store');
      // a write still running may land after this process lets the directory go: the lock
      // stays, and the next start takes it over as stale once this process has exited
      if (writes.allSettled()) await this.dataDirLock.release();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'error during shutdown');
      reason ??= err as Error;
    } finally {
      writes.done();
      this.secret.fill(0);
    }
    this.log.info({}, 'stopped');
    this.resolveDone(reason ?? this.errorWhileStopping);
  }

  /**
   * How a stop waits for a store's writes: to the end on an orderly stop; after a fatal error
   * until FATAL_STOP_WRITES_MS have passed, for all stores together. A store on a failing
   * disk may never settle (lmdb-js with overlappingSync, which the stores no longer use,
   * resolved neither the flush of a failed transaction's writes nor the close), and a
   * process whose every wait hangs empties its event loop and exits 13, not with the code
   * of its error. Nothing waited for is acknowledged yet (a 202 waits for its journal write).
   */
  private writesSettled(reason: Error | undefined): {
    wait: (write: Promise<void>, what: string) => Promise<void>;
    /** False once a wait ended at the deadline, its write still running. */
    allSettled: () => boolean;
    done: () => void;
  } {
    if (reason === undefined) return { wait: (write) => write, allSettled: () => true, done: () => {} };
    const stopBy = deadline(this.clock, FATAL_STOP_WRITES_MS);
    let late = false;
    return {
      wait: async (write, what) => {
        if (await stopBy.within(write)) return;
        late = true;
        write.catch(() => {});
        this.log.warn({ store: what }, 'writes did not settle after the fatal error; stopping without them');
      },
      allSettled: () => !late,
      done: () => stopBy.cancel(),
    };
  }

  // ---------------------------------------------------------------- the API (api-facade.ts)

  submitTransactions(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]> {
    return this.facade.submitTransactions(raws);
  }

  transactionStatus(hash: Uint8Array): TxStatus {
    return this.facade.transactionStatus(hash);
  }

  status(): NodeStatus {
    return this.facade.status();
  }

  peers(): PeerView[] {
    return this.facade.peers();
  }

  evidence(): EvidenceView[] {
    return this.facade.evidence();
  }

  /** The narrow interface the HTTP API reads. */
  api(): NodeApi {
    return this.facade.api();
  }

  /** The WebSocket endpoints of the listeners. */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: test/integration/rpc-hostile.test.ts counts their connections
  private get rpcSockets(): ReadonlyArray<{ connections(): number }> {
    return this.listeners.webSockets();
  }

  private peerCount(): number {
    return this.network ? this.network.connectedPeers().length : 0;
  }

  /**
   * The Prometheus registry over this node's subsystems, read late: the network, consensus
   * and sync exist only once started (and consensus not on an observer or while syncing).
   */
  private createMetrics(): NodeMetrics {
    const running = () => (this.consensus.running() ? this.consensus.core() : undefined);
    return createNodeMetrics({
      sources: {
        committedHeight: () => this.app.committedTip().height,
        mempool: () => this.mempool.metrics(),
        network: () => (this.network ? this.network.metrics() : undefined),
        peers: () => this.peerCount(),
        consensus: () => {
          const status = running()?.status();
          return (
            status && {
              round: status.round,
              highQcRound: status.highQcRound,
              highTcRound: status.highTcRound,
              lastVotedRound: status.lastVotedRound,
            }
          );
        },
        sync: () => {
          const sync = this.consensus.sync();
          return (
            sync && {
              syncing: sync.syncing,
              targetHeight: sync.target,
              provenHeight: sync.proven,
              counters: sync.metrics,
              server: this.consensus.syncServerStats(),
            }
          );
        },
        memoryUpkeep: () => this.memoryUpkeep.metrics,
      },
      consensus: {
        round: () => running()?.currentRound(),
        highestTcRound: () => running()?.highestCertified().tcRound ?? 0,
        leaderOf: (round) => running()?.leaderOf(round),
      },
      info: { role: this.role.kind, chainId: this.genesis.chainId.toString() },
      nowMs: () => this.clock.monotonicMs(),
    });
  }
}
