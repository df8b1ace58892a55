/**
 * The node as the HTTP API sees it (explorer/server's NodeApi): status, peers, evidence,
 * metrics, transaction status and submission. It only reads the subsystems the
 * composition root hands it, each through the narrow view below; it owns one thing of its
 * own, the event-loop delay histogram behind `metrics().eventLoop`, with start/stop.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type {
  EvidenceView,
  NodeApi,
  NodeStatus,
  PeerView,
  SubmitOutcome,
  TxStatus,
} from '../../explorer/server/index.js';
import { toChecksumAddress } from '../crypto/keys.js';
import type { Genesis } from '../genesis/index.js';
import type { Mempool } from '../mempool/index.js';
import type { Network } from '../network/index.js';
import type { Clock } from '../time/index.js';
import type { TransactionAdmission } from './admission.js';
import type { ConsensusReadout } from './consensus-lifecycle.js';
import type { StoreExplorerReader } from './explorer-reader.js';
import type { NodeRole } from './role.js';
import type { LmdbSafetyStore } from './safety-store.js';

export interface NodeApiFacadeComponents {
  genesis: Genesis;
  role: NodeRole;
  peerId: string;
  /** Whether genesis time has come (the status says when consensus starts). */
  clock: Clock;
  /** The committed tip as the application has it (ahead of the store while a write lands). */
  committedTip(): { height: number; id: string };
  mempool: Mempool;
  admission: TransactionAdmission;
  safety: Pick<LmdbSafetyStore, 'evidence'>;
  explorer: StoreExplorerReader;
  consensus: ConsensusReadout;
  /** The network once created (start), else undefined. */
  network(): Network | undefined;
}

export class NodeApiFacade {
  /** Event-loop delay since the previous metrics read (whether the API's work stalls consensus). */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 1 });

  constructor(private readonly c: NodeApiFacadeComponents) {}

  start(): void {
    this.loopDelay.enable();
  }

  stop(): void {
    this.loopDelay.disable();
  }

  /** Admits transactions from the API (see admission.ts). */
  submitTransactions(raws: readonly Uint8Array[]): Promise<SubmitOutcome[]> {
    return this.c.admission.submit(raws);
  }

  transactionStatus(hash: Uint8Array): TxStatus {
    return this.c.admission.status(hash);
  }

  status(): NodeStatus {
    const { genesis, role, consensus } = this.c;
    const tip = this.c.committedTip();
    const core = consensus.core();
    const round = core?.status().round ?? 0;
    const leaderIndex = core?.leaderOf(round);
    const leader =
      leaderIndex === undefined
        ? null
        : {
            index: leaderIndex,
            name: genesis.validators[leaderIndex].name,
            address: toChecksumAddress(genesis.validators[leaderIndex].address),
          };
    return {
      chainId: genesis.chainId.toString(),
      height: tip.height,
      headHash: tip.id,
      round,
      leader,
      syncing: consensus.syncing(),
      peers: this.c.network()?.connectedPeers().length ?? 0,
      mempoolSize: this.c.mempool.size(),
      role: role.kind,
      ...(role.kind === 'validator' ? { validator: role.index } : {}),
      peerId: this.c.peerId,
      ...this.genesisWait(),
    };
  }

  /** Before genesis time nothing can be committed: the status says when it starts. */
  private genesisWait(): Pick<NodeStatus, 'waitingForGenesis' | 'startsAtMs'> {
    const { genesisTimeMs } = this.c.genesis;
    return this.c.clock.nowMs() < genesisTimeMs
      ? { waitingForGenesis: true, startsAtMs: genesisTimeMs }
      : { waitingForGenesis: false };
  }

  /** Connected peers with what genesis says they are and their gossip score. */
  peers(): PeerView[] {
    const network = this.c.network();
    if (!network) return [];
    const { validators, observers } = this.c.genesis;
    return network.connectedPeers().map((peerId): PeerView => {
      const score = network.peerScore(peerId);
      const v = validators.findIndex((x) => x.peerId === peerId);
      if (v >= 0) return { peerId, role: 'validator', validator: v, name: validators[v].name, score };
      const o = observers.find((x) => x.peerId === peerId);
      return o ? { peerId, role: 'observer', name: o.name, score } : { peerId, role: 'unknown', score };
    });
  }

  /** Equivocation evidence this node has recorded (durable across restarts). */
  evidence(): EvidenceView[] {
    return this.c.safety.evidence().map((e) => ({
      ...e,
      name: this.c.genesis.validators[e.validator]?.name ?? `validator ${e.validator}`,
    }));
  }

  /** Where this validator's consensus stands: the first thing to read when rounds stall. */
  private consensusMetrics() {
    const core = this.c.consensus.core();
    if (!core) return null;
    const { committedId, ...figures } = core.status();
    return { ...figures, running: this.c.consensus.running() };
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
        mempool: this.c.mempool.metrics(),
        consensus: this.consensusMetrics(),
        network: this.c.network()?.metrics() ?? null,
        eventLoop: this.eventLoopDelay(),
      }),
      evidence: () => this.evidence(),
      transactionStatus: (hash) => this.transactionStatus(hash),
      submitTransactions: (raws) => this.submitTransactions(raws),
      explorer: this.c.explorer,
    };
  }
}
