/**
 * LedgerNode: the one composition root (DESIGN.md). It loads genesis and the key, opens
 * the ledger store and the safety store, and wires the consensus driver's ports to their
 * real implementations: the libp2p transport (src/network), a wall clock, the lmdb
 * safety store (a vote leaves only after its safety data is flushed) and the block
 * application (mempool payloads, speculative execution, the store's atomic commit). The
 * HTTP API (explorer/server) reads the node through the narrow NodeApi only.
 *
 * Lifecycle: `LedgerNode.init(options)` validates and opens everything (typed errors for a
 * bad genesis, a key not in genesis, a data directory of another chain); `start()` binds
 * the API port and the p2p port (PORT_IN_USE) and starts consensus; `stop()` undoes it in
 * reverse and waits for in-flight writes.
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  apiServerOptions,
  corsAllows,
  createApiServer,
  type EvidenceView,
  HostAllowList,
  type NodeApi,
  type NodeStatus,
  type PeerView,
  type SubmitOutcome,
  type TxStatus,
} from '../../explorer/server/index.js';
import { createExplorerPages } from '../../explorer/web/index.js';
import { buildGenesisBlock, type GenesisBlock } from '../chain/index.js';
import {
  ConsensusCore,
  ConsensusDriver,
  decodeQc,
  defaultReputation,
  genesisQc,
  type HistoryEntry,
  historyEntry,
  secp256k1Signer,
  secp256k1Verifier,
  type ValidatorSet,
} from '../consensus/index.js';
import { toHex } from '../crypto/bytes.js';
import { keccakBackend } from '../crypto/hash.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../crypto/keys.js';
import { readKeystoreFile } from '../crypto/keystore.js';
import { defaultBackend } from '../crypto/verifier.js';
import { type Genesis, genesisDocumentHash, loadGenesisFile, peerIdOfPublicKey } from '../genesis/index.js';
import { Mempool } from '../mempool/index.js';
import { createNodeMetrics, type NodeMetrics } from '../metrics/index.js';
import {
  cachingVerifier,
  createNetwork,
  DEFAULT_NETWORK_OPTIONS,
  type Network,
  syncProtocolFor,
} from '../network/index.js';
import {
  attachRpcWebSocket,
  createRpcMethods,
  createRpcRouter,
  DEFAULT_RPC_OPTIONS,
  type RpcWebSocket,
} from '../rpc/index.js';
import { genesisCommitOf, LedgerStore, StoreError } from '../store/index.js';
import { BlockSync, DEFAULT_SYNC_OPTIONS, Libp2pSyncNetwork } from '../sync/index.js';
import { type Clock, systemClock, type Timer } from '../time/index.js';
import { ActivityTracker } from './activity.js';
import { TransactionAdmission } from './admission.js';
import { LedgerApplication } from './application.js';
import { type DriverClock, driverClock } from './clock.js';
import { DataDirLock } from './data-dir-lock.js';
import { NodeError } from './errors.js';
import { StoreExplorerReader } from './explorer-reader.js';
import { childLogger, type NodeLogger } from './logger.js';
import {
  DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS,
  DEFAULT_MAX_TIMEOUT_EXPONENT,
  DEFAULT_SUBMIT_SLICE_TXS,
  DEFAULT_TX_JOURNAL_PRUNE_MS,
  MAX_CLOCK_SKEW_MS,
  type NodeOptions,
} from './options.js';
import { StoreRpcBackend } from './rpc-backend.js';
import { LmdbSafetyStore } from './safety-store.js';

/** The role a key gives this node in the genesis. */
export type NodeRole = { kind: 'validator'; index: number } | { kind: 'observer'; name: string };

/** Finds the key in the genesis; refuses a key that is neither a validator's nor an observer's. */
export function roleOf(genesis: Genesis, secret: Uint8Array): NodeRole {
  const address = toHex(addressOf(secret));
  const index = genesis.validators.findIndex((v) => toHex(v.address) === address);
  if (index >= 0) return { kind: 'validator', index };
  const peerId = peerIdOfPublicKey(publicKeyOf(secret, true));
  const observer = genesis.observers.find((o) => o.peerId === peerId);
  if (observer) return { kind: 'observer', name: observer.name };
  throw new NodeError(
    'KEY_NOT_IN_GENESIS',
    `the key ${toChecksumAddress(addressOf(secret))} (peer id ${peerId}) is neither a validator nor an observer of this genesis`,
  );
}

export function genesisBlockOf(genesis: Genesis): GenesisBlock {
  return buildGenesisBlock({
    chainId: genesis.chainId,
    timestampMs: genesis.genesisTimeMs,
    alloc: genesis.alloc.map((a) => [a.address, a.balance] as const),
    documentHash: genesisDocumentHash(genesis),
  });
}

/** What a node may be given instead of the real thing (the simulator's virtual clock). */
export interface LedgerNodeComponents {
  /** Every timer and clock read of the node and its subsystems (default: the system clock). */
  clock?: Clock;
}

export class LedgerNode {
  private network!: Network;
  private driver: ConsensusDriver | undefined;
  private core: ConsensusCore | undefined;
  /** The consensus driver's one timer, over the node's clock. */
  private readonly driverClock: DriverClock;
  private readonly app: LedgerApplication;
  private readonly mempool: Mempool;
  /** API and gossip admission, and the journal behind a 202 (opened by start). */
  private readonly admission: TransactionAdmission;
  /** What this node saw validators do in recent rounds (the explorer's uptime). */
  private readonly activity: ActivityTracker;
  /** The explorer's reads (explorer-reader.ts), handed to the API. */
  private readonly explorer: StoreExplorerReader;
  private server: Server | undefined;
  /** The JSON-RPC port's server (--rpc-port), and the WebSocket endpoints of both. */
  private rpcServer: Server | undefined;
  private readonly rpcSockets: RpcWebSocket[] = [];
  /** Prometheus metrics at GET /metrics (src/metrics): this node's registry. */
  private readonly metrics: NodeMetrics;
  /** Event-loop delay since the previous metrics read (whether the API's work stalls consensus). */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 1 });
  /** Block sync (src/sync): observers follow the chain by it; validators when far behind. */
  private sync: BlockSync | undefined;
  private syncNet: Libp2pSyncNetwork | undefined;
  /** Bumped on each sync mode change, so a stale consensus restart does not run. */
  private syncEpoch = 0;
  private started = false;
  private stopping: Promise<void> | undefined;
  /** Set while consensus waits for a genesis time in the future. */
  private genesisTimer: Timer | undefined;
  private resolveDone!: (err: Error | undefined) => void;
  /** Resolves when the node has stopped: undefined after stop(), the error after a fatal one. */
  readonly done: Promise<Error | undefined>;
  private readonly log: NodeLogger;
  private readonly selfName: string;
  /** Held from init until the stores are closed. */
  private dataDirLock: DataDirLock | undefined;
  readonly peerId: string;

  private constructor(
    private readonly options: Omit<NodeOptions, 'passphrase'>,
    readonly genesis: Genesis,
    readonly role: NodeRole,
    private readonly secret: Uint8Array,
    private readonly store: LedgerStore,
    private readonly safety: LmdbSafetyStore,
    readonly validatorSet: ValidatorSet,
    private readonly clock: Clock,
  ) {
    this.log = options.logger;
    this.driverClock = driverClock(clock);
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    this.selfName = role.kind === 'validator' ? genesis.validators[role.index].name : role.name;
    this.peerId = peerIdOfPublicKey(publicKeyOf(secret, true));
    const params = { chainId: genesis.chainId, baseFeePerGas: genesis.params.baseFeePerGas };
    const limits = { maxBlockTxs: genesis.params.maxBlockTxs, maxBlockBytes: genesis.params.maxBlockBytes };
    this.metrics = this.createMetrics();
    let app: LedgerApplication | undefined;
    this.mempool = new Mempool({
      accounts: { getAccount: (a) => app!.committedAccounts.getAccount(a) },
      params,
      blockLimits: limits,
      now: () => clock.nowMs(),
    });
    app = new LedgerApplication({
      store,
      mempool: this.mempool,
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
    this.app = app;
    this.admission = new TransactionAdmission(
      {
        mempool: this.mempool,
        txLocation: (hash) => app!.txLocation(hash),
        publish: (raws) => this.network?.publishTransactions(raws),
        connectedPeers: () => (this.network ? this.network.connectedPeers().length : 0),
        logger: this.log,
        onFatal: (err) => this.fatal(err),
        clock,
      },
      {
        journalDir: join(resolve(options.dataDir), 'txjournal'),
        submitSliceTxs: options.submitSliceTxs ?? DEFAULT_SUBMIT_SLICE_TXS,
        txJournalPruneMs: options.txJournalPruneMs ?? DEFAULT_TX_JOURNAL_PRUNE_MS,
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
      evidence: () => this.safety.evidence(),
      activity: this.activity,
      self: role.kind === 'validator' ? role.index : undefined,
      inFlightTx: (hash) => this.app.inFlightTx(hash),
      onListenerError: (err) =>
        this.log.error({ err: (err as Error)?.message }, 'explorer subscriber failed; dropped'),
    });
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
          node?.fatal(new NodeError('STORAGE_FAILURE', `safety data could not be written: ${err.message}`)),
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
      node = new LedgerNode(options, genesis, role, secret, store, safety, validatorSet, clock);
      node.dataDirLock = lock;
      return node;
    } catch (err) {
      await store?.close();
      await lock.release();
      throw err;
    }
  }

  /** The bound API port (after start). */
  get apiPort(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The JSON-RPC port's number once listening (0: none). */
  get rpcPort(): number {
    return (this.rpcServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  get p2pAddresses(): string[] {
    return this.network ? this.network.getMultiaddrs() : [];
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.loopDelay.enable();
    await this.admission.open();
    await this.listenApi();
    const verifier = cachingVerifier(
      secp256k1Verifier(this.genesis.validators.map((v) => v.publicKey)),
      DEFAULT_NETWORK_OPTIONS.verifiedSignatureCacheSize,
    );
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
        verifier,
        secretKey: this.secret,
        onConsensusMessage: (from, message) => {
          // a verified proposal at height h shows that h - 1 is certified
          if (message.kind === 'proposal')
            this.sync?.observeCertified(message.proposal.block.header.height - 1);
          this.activity.observe(from, message);
          this.driver?.onMessage(from, message);
        },
        onTransactions: (txs) => this.admission.onGossip(txs),
        lookupTx: (hash) => this.mempool.get(hash)?.raw,
        // block requests for committed blocks are answered with the stored bytes as they are
        committedBlockBytes: (id) => this.app.committedBlockBytes(id),
        // The gate reads consensus while it runs, and the committed tip otherwise (during
        // sync, on observers): the core is created after the network, so read it late.
        currentRound: () => Math.max(this.core?.currentRound() ?? 0, this.app.syncTip().header.round),
        leaderOf: (round) => (this.driver ? this.core?.leaderOf(round) : undefined),
        committed: () => {
          const { height, round } = this.app.syncTip().header;
          return { height, round };
        },
        highestCertified: () => (this.driver ? this.core?.highestCertified() : undefined),
        logger: childLogger(this.log, { module: 'network' }),
        clock: this.clock,
      },
    );
    if (this.role.kind === 'validator') this.createConsensus(verifier);
    try {
      await this.network.start();
    } catch (err) {
      await this.closeApi();
      if (/EADDRINUSE/.test(String((err as Error)?.message ?? err)))
        throw new NodeError(
          'PORT_IN_USE',
          `a p2p listen address is in use: ${this.options.listen.join(', ')}`,
        );
      throw err;
    }
    await this.startSync(verifier);
    this.startConsensusAtGenesis();
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

  /**
   * Starts consensus at genesis time. Operators set it ahead to start together; a block
   * built before it would be timestamped before the genesis block, which no validator or
   * syncing node accepts.
   */
  private startConsensusAtGenesis(): void {
    const { genesisTimeMs } = this.genesis;
    const waitMs = genesisTimeMs - this.clock.nowMs();
    if (waitMs <= 0) {
      if (this.genesisTimer !== undefined) this.log.info({ genesisTimeMs }, 'genesis time reached');
      this.genesisTimer = undefined;
      this.driver?.start();
      return;
    }
    if (this.genesisTimer === undefined)
      this.log.info({ genesisTimeMs, waitMs }, 'waiting for genesis time before starting consensus');
    // setTimeout holds at most 2^31 - 1 ms: a genesis further ahead re-arms
    this.genesisTimer = this.clock.setTimeout(
      () => {
        if (!this.stopping) this.startConsensusAtGenesis();
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
  private createConsensus(verifier: ReturnType<typeof cachingVerifier>, rejoining = false): void {
    if (this.role.kind !== 'validator') return;
    const head = this.store.head();
    const rootBlock = this.store.getBlock(head.height)!;
    const qcBytes = head.height > 0 ? this.store.getCommitQc(head.height) : undefined;
    const rootQc = qcBytes ? decodeQc(qcBytes) : genesisQc(this.validatorSet.genesisId);
    const reputation = defaultReputation(this.genesis.validators.length);
    const addressIndex = new Map(this.genesis.validators.map((v, i) => [toHex(v.address), i]));
    const history: HistoryEntry[] = [];
    const keep = 2 * (reputation.windowBlocks + reputation.lagRounds + 8);
    for (let h = Math.max(1, head.height - keep + 1); h <= head.height; h++) {
      const block = this.store.getBlock(h);
      if (block) history.push(historyEntry(block, addressIndex));
    }
    const base = this.genesis.params.baseRoundTimeoutMs;
    this.core = new ConsensusCore(
      {
        validatorSet: this.validatorSet,
        self: this.role.index,
        signer: secp256k1Signer(this.secret),
        verifier,
        baseRoundTimeoutMs: base,
        maxTimeoutExponent: this.options.maxTimeoutExponent ?? DEFAULT_MAX_TIMEOUT_EXPONENT,
        fetchRetryMs: Math.max(50, Math.floor(base / 2)),
        reputation,
        maxFutureRounds: this.options.network?.maxFutureRounds ?? DEFAULT_NETWORK_OPTIONS.maxFutureRounds,
        doubleSignCheckRounds: this.options.doubleSignCheckRounds ?? DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS,
        resumedInProcess: rejoining,
      },
      { root: { id: head.hash, block: rootBlock }, rootQc, history, safety: this.safety.load() },
    );
    const self = this.role.index;
    const transport = this.network.transport;
    this.driver = new ConsensusDriver(this.core, {
      // this node's own proposals, votes and timeouts never come back through the gate
      transport: {
        broadcast: (message, options) => {
          this.activity.observeOwn(self, message);
          transport.broadcast(message, options);
        },
        send: (to, message) => {
          this.activity.observeOwn(self, message);
          transport.send(to, message);
        },
      },
      clock: this.driverClock,
      safetyStore: this.safety,
      app: this.app,
      trace: (record) => {
        this.metrics.consensusStep(record);
        if (this.options.traceConsensus)
          this.log.debug({ ...record, atRound: this.core?.status().round }, 'consensus');
      },
      onHalt: (err) => this.fatal(err),
      onEvidence: (e) => {
        this.log.warn({ kind: e.kind, round: e.round, validator: e.validator }, 'equivocation evidence');
        this.safety.recordEvidence(e, this.clock.nowMs());
      },
    });
  }

  /** Serves and fetches blocks by height range (docs/PROTOCOL.md, "Block sync"). */
  private async startSync(verifier: ReturnType<typeof cachingVerifier>): Promise<void> {
    const { params } = this.genesis;
    const options = { ...DEFAULT_SYNC_OPTIONS, ...this.options.sync };
    const network = this.network;
    this.syncNet = new Libp2pSyncNetwork({
      libp2p: network.libp2p,
      protocol: syncProtocolFor(this.validatorSet.genesisId),
      maxFrameBytes: params.maxBlockBytes + 128 * this.genesis.validators.length + 1024,
      peers: () => network.connectedPeers(),
      penalize: (peer) => network.penalize(peer),
      maxInboundStreams: options.maxInboundStreams,
      logger: childLogger(this.log, { module: 'sync' }),
      clock: this.clock,
    });
    await this.syncNet.start(
      {
        headHeight: () => this.store.head().height,
        getBlockBytes: (h) => this.store.getBlockBytes(h),
        getCommitQc: (h) => this.store.getCommitQc(h),
      },
      options.requestTimeoutMs,
    );
    this.sync = new BlockSync(
      {
        mode: this.role.kind,
        chain: { tip: () => this.app.syncTip(), commit: (v) => this.app.commitSynced(v) },
        network: this.syncNet,
        clock: this.clock,
        ctx: {
          validatorSet: this.validatorSet,
          verifier,
          limits: {
            chainId: this.genesis.chainId,
            maxBlockTxs: params.maxBlockTxs,
            maxBlockBytes: params.maxBlockBytes,
          },
          params: { chainId: this.genesis.chainId, baseFeePerGas: params.baseFeePerGas },
        },
        logger: childLogger(this.log, { module: 'sync' }),
        onSyncingChange: (syncing) => this.onSyncingChange(syncing, verifier),
      },
      options,
    );
    this.sync.start();
  }

  /** A validator leaves consensus while it syncs, and rejoins on the new head once caught up. */
  private onSyncingChange(syncing: boolean, verifier: ReturnType<typeof cachingVerifier>): void {
    if (this.role.kind !== 'validator' || this.stopping) return;
    const epoch = ++this.syncEpoch;
    if (syncing) {
      this.driver?.stop();
      this.driver = undefined;
      this.driverClock.cancel();
      return;
    }
    // the consensus core is rebuilt on the durable head, so wait for the synced writes
    void this.app.drained().then(() => {
      if (epoch !== this.syncEpoch || this.stopping || this.driver) return;
      this.createConsensus(verifier, true);
      (this.driver as ConsensusDriver | undefined)?.start();
      this.log.info({ height: this.store.head().height }, 'rejoined consensus after sync');
    });
  }

  private async listenApi(): Promise<void> {
    // per-client limits, Host allow-list, timeouts and connection caps: explorer/server
    const onError = (err: unknown) => this.log.error({ err: (err as Error)?.message }, 'API handler failed');
    const pages =
      this.options.explorerPages === false
        ? undefined
        : createExplorerPages(this.explorer, {
            status: () => this.status(),
            evidence: () => this.evidence(),
            onError,
          });
    const rpcOptions = { ...DEFAULT_RPC_OPTIONS, ...this.options.rpc };
    const rpcMethods = createRpcMethods(
      new StoreRpcBackend({
        store: this.store,
        mempool: this.mempool,
        chainId: this.genesis.chainId,
        baseFeePerGas: this.genesis.params.baseFeePerGas,
        maxBlockTxs: this.genesis.params.maxBlockTxs,
        clientVersion: CLIENT_VERSION,
        submit: (raws) => this.submitTransactions(raws),
        peerCount: () => (this.network ? this.network.connectedPeers().length : 0),
        syncing: () => this.sync?.syncing ?? false,
      }),
      rpcOptions,
    );
    const rpcDispatch = (name: string) => (Object.hasOwn(rpcMethods, name) ? rpcMethods[name] : undefined);
    const settings = apiServerOptions(this.options.api);
    const hosts = new HostAllowList(this.options.apiHost, settings.allowedHosts);
    const webSocket = (server: Server, path: '/rpc' | '/') =>
      attachRpcWebSocket(
        server,
        {
          path,
          methods: rpcMethods,
          headObject: (height) => rpcMethods.eth_getBlockByNumber([`0x${height.toString(16)}`, false]),
          onHead: (listener) => this.store.onHead((head) => listener(head.height)),
          head: () => this.store.head().height,
          allowsHost: (host) => hosts.allows(host),
          allowsOrigin: (origin) => corsAllows(settings.allowedOrigins, origin),
          onInternalError: onError,
          clock: this.clock,
        },
        rpcOptions,
      );
    const serve = (rpcPath: '/rpc' | '/') =>
      createApiServer(this.api(), {
        onError,
        server: this.options.api,
        boundHost: this.options.apiHost,
        rpc: createRpcRouter(rpcDispatch, rpcOptions, onError),
        rpcPath,
        ...(rpcPath === '/rpc' ? { pages, prometheus: () => this.metrics.scrape() } : {}),
      });
    const server = serve('/rpc');
    this.rpcSockets.push(webSocket(server, '/rpc'));
    await listenOn(server, this.options.apiPort, this.options.apiHost, 'API');
    this.server = server;
    if (this.options.rpcPort !== undefined) {
      const rpcServer = serve('/');
      this.rpcSockets.push(webSocket(rpcServer, '/'));
      await listenOn(rpcServer, this.options.rpcPort, this.options.apiHost, 'RPC');
      this.rpcServer = rpcServer;
    }
  }

  private async closeApi(): Promise<void> {
    for (const socket of this.rpcSockets.splice(0)) socket.close();
    const servers = [this.server, this.rpcServer].filter((s): s is Server => s !== undefined);
    this.server = undefined;
    this.rpcServer = undefined;
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((ok) => {
            server.close(() => ok());
            server.closeAllConnections();
          }),
      ),
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
    this.log.error({ code: (err as NodeError).code, err: err.message }, 'stopping after a fatal error');
    this.stopping ??= this.shutdown(err);
  }

  private async shutdown(reason: Error | undefined): Promise<void> {
    this.log.info({}, 'stopping');
    this.genesisTimer?.cancel();
    this.driver?.stop();
    this.driverClock.cancel();
    this.sync?.stop();
    this.app.stop();
    try {
      await this.closeApi();
      await this.syncNet?.stop();
      if (this.started) await this.network?.stop();
      await this.app.drained();
      this.explorer.close();
      this.loopDelay.disable();
      await this.admission.close();
      await this.safety.close();
      await this.store.close();
      await this.dataDirLock?.release();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'error during shutdown');
      reason ??= err as Error;
    } finally {
      this.secret.fill(0);
    }
    this.log.info({}, 'stopped');
    this.resolveDone(reason);
  }

  // ---------------------------------------------------------------- transactions and API

  /** Admits transactions from the API (see admission.ts). */
  submitTransactions(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]> {
    return this.admission.submit(raws);
  }

  transactionStatus(hash: Uint8Array): TxStatus {
    return this.admission.status(hash);
  }

  status(): NodeStatus {
    const tip = this.app.committedTip();
    const core = this.core?.status();
    const round = core?.round ?? 0;
    const leaderIndex = this.core ? this.core.leaderOf(round) : undefined;
    const leader =
      leaderIndex === undefined
        ? null
        : {
            index: leaderIndex,
            name: this.genesis.validators[leaderIndex].name,
            address: toChecksumAddress(this.genesis.validators[leaderIndex].address),
          };
    return {
      chainId: this.genesis.chainId.toString(),
      height: tip.height,
      headHash: tip.id,
      round,
      leader,
      syncing: this.sync?.syncing ?? false,
      peers: this.network ? this.network.connectedPeers().length : 0,
      mempoolSize: this.mempool.size(),
      role: this.role.kind,
      ...(this.role.kind === 'validator' ? { validator: this.role.index } : {}),
      peerId: this.peerId,
      ...this.genesisWait(),
    };
  }

  /** Before genesis time nothing can be committed: the status says when it starts. */
  private genesisWait(): Pick<NodeStatus, 'waitingForGenesis' | 'startsAtMs'> {
    const { genesisTimeMs } = this.genesis;
    return this.clock.nowMs() < genesisTimeMs
      ? { waitingForGenesis: true, startsAtMs: genesisTimeMs }
      : { waitingForGenesis: false };
  }

  /** Connected peers with what genesis says they are and their gossip score. */
  peers(): PeerView[] {
    if (!this.network) return [];
    return this.network.connectedPeers().map((peerId): PeerView => {
      const score = this.network.peerScore(peerId);
      const v = this.genesis.validators.findIndex((x) => x.peerId === peerId);
      if (v >= 0)
        return { peerId, role: 'validator', validator: v, name: this.genesis.validators[v].name, score };
      const o = this.genesis.observers.find((x) => x.peerId === peerId);
      return o ? { peerId, role: 'observer', name: o.name, score } : { peerId, role: 'unknown', score };
    });
  }

  /** Equivocation evidence this node has recorded (durable across restarts). */
  evidence(): EvidenceView[] {
    return this.safety.evidence().map((e) => ({
      ...e,
      name: this.genesis.validators[e.validator]?.name ?? `validator ${e.validator}`,
    }));
  }

  /** Where this validator's consensus stands: the first thing to read when rounds stall. */
  private consensusMetrics() {
    if (!this.core) return null;
    const { committedId, ...figures } = this.core.status();
    return { ...figures, running: this.driver !== undefined };
  }

  /**
   * The Prometheus registry over this node's subsystems, read late: the network, consensus
   * and sync exist only once started (and consensus not on an observer or while syncing).
   */
  private createMetrics(): NodeMetrics {
    const running = () => (this.driver ? this.core : undefined);
    return createNodeMetrics({
      sources: {
        committedHeight: () => this.app.committedTip().height,
        mempool: () => this.mempool.metrics(),
        network: () => (this.network ? this.network.metrics() : undefined),
        peers: () => (this.network ? this.network.connectedPeers().length : 0),
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
        sync: () =>
          this.sync && {
            syncing: this.sync.syncing,
            targetHeight: this.sync.target,
            provenHeight: this.sync.proven,
            counters: this.sync.metrics,
            server: this.syncNet?.serverStats(),
          },
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

  /** Event-loop delay percentiles since the previous call, which starts a new window. */
  private eventLoopDelay() {
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    const figures = {
      p50Ms: ms(this.loopDelay.percentile(50)),
      p99Ms: ms(this.loopDelay.percentile(99)),
      maxMs: ms(this.loopDelay.max),
    };
    this.loopDelay.reset();
    return figures;
  }

  /** The narrow interface the HTTP API reads. */
  api(): NodeApi {
    return {
      status: () => this.status(),
      peers: () => this.peers(),
      metrics: () => ({
        mempool: this.mempool.metrics(),
        consensus: this.consensusMetrics(),
        network: this.network ? this.network.metrics() : null,
        eventLoop: this.eventLoopDelay(),
      }),
      evidence: () => this.evidence(),
      transactionStatus: (hash) => this.transactionStatus(hash),
      submitTransactions: (raws) => this.submitTransactions(raws),
      explorer: this.explorer,
    };
  }
}

/** web3_clientVersion: the project, its version and the runtime, as other clients name themselves. */
const CLIENT_VERSION = `bft-ledger/v0.1.0/${process.platform}-${process.arch}/node${process.versions.node}`;

/** Listens, turning a taken port into NodeError PORT_IN_USE. */
function listenOn(server: Server, port: number, host: string, what: string): Promise<void> {
  return new Promise<void>((ok, fail) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      fail(err.code === 'EADDRINUSE' ? new NodeError('PORT_IN_USE', `${what} port ${port} is in use`) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      ok();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
