/**
 * The driver: connects a ConsensusCore to transport, clock, safety store and the block
 * application. It holds no protocol logic and runs unchanged in the simulator and the
 * real node; only the injected ports differ. Events are queued and run one at a time, so
 * a port may call back synchronously without re-entering the core.
 */
import type { Block } from '../chain/types.js';
import type { ConsensusCore } from './core.js';
import type { ConsensusError } from './errors.js';
import type {
  CertifiedBlock,
  CommitProofOf,
  CommittedBlock,
  ConsensusAction,
  ConsensusEvent,
  Evidence,
  Payload,
  Proposal,
  QuorumCertificate,
  SafetyData,
  TimeoutMessage,
  Vote,
} from './types.js';

/** What travels between validators. `blockRequest`/`blockResponse` serve fetches. */
export type ConsensusMessage =
  | { kind: 'proposal'; proposal: Proposal }
  | { kind: 'vote'; vote: Vote }
  | { kind: 'timeout'; timeout: TimeoutMessage }
  | { kind: 'blockRequest'; blockId: Uint8Array }
  | { kind: 'blockResponse'; block: Block };

export interface BroadcastOptions {
  /**
   * The same bytes were broadcast before and must reach every validator again: gossip
   * drops a message it has seen (gossipsub's seen cache), so a repeat that only re-enters
   * gossip never reaches a peer that missed the first copy (e.g. one that was not yet
   * subscribed). The transport sends repeats past any such deduplication.
   */
  repeat?: boolean;
}

export interface Transport {
  /** To every other validator. */
  broadcast(message: ConsensusMessage, options?: BroadcastOptions): void;
  send(to: number, message: ConsensusMessage): void;
}

export interface Clock {
  now(): number;
  /** Calls `fire` at `atMs`, replacing any timer set before. */
  setTimer(atMs: number, fire: () => void): void;
}

export interface SafetyStore {
  /** Makes `data` durable, then calls `durable` (never before). */
  persist(data: SafetyData, durable: () => void): void;
}

export interface PayloadRequest {
  round: number;
  parentId: Uint8Array;
  parent: Block;
  height: number;
  /** The certified blocks between the committed tip and `parent`, oldest first. */
  ancestors: readonly CertifiedBlock[];
}

/** A proposed block to validate, with the certified chain it extends. */
export interface PayloadCheck {
  block: Block;
  parent: Block;
  /** The certified blocks between the committed tip and `parent`, oldest first. */
  ancestors: readonly CertifiedBlock[];
}

export interface BlockApplication {
  buildPayload(request: PayloadRequest, ready: (payload: Payload) => void): void;
  /**
   * Executes `check.block` on its parent; an application that has not executed the parent
   * (e.g. after a restart) executes `check.ancestors` and the parent first.
   */
  validatePayload(check: PayloadCheck, done: (valid: boolean) => void): void;
  /**
   * Committed blocks in order; the last one is certified by `certificate`, and `proof` (when
   * the 2-chain is known, always outside tests' one-chain mode) is its child and the child's QC.
   */
  commit(blocks: CommittedBlock[], certificate: QuorumCertificate, proof?: CommitProofOf): void;
  /** A committed block by id, for answering fetches of blocks below the core's tree. */
  getCommittedBlock(id: Uint8Array): Block | undefined;
}

export interface DriverPorts {
  transport: Transport;
  clock: Clock;
  safetyStore: SafetyStore;
  app: BlockApplication;
  onEvidence?: (evidence: Evidence) => void;
  /** The core stopped for good (e.g. DOUBLE_SIGN_RISK): the node must stop, not carry on. */
  onHalt?: (error: ConsensusError) => void;
  /**
   * Sees every event the core steps on and every action it returns, in order: an
   * operator's window into a stalled round (the node logs these at debug level).
   */
  trace?: (step: TraceRecord) => void;
}

/** One line of the consensus trace: small, with rounds and peers, never signatures. */
export type TraceRecord = { dir: 'in' | 'out'; type: string; round?: number; peer?: number; repeat?: true };

function traceIn(e: ConsensusEvent): TraceRecord {
  switch (e.type) {
    case 'proposal':
      return { dir: 'in', type: e.type, peer: e.from, round: e.proposal.block.header.round };
    case 'vote':
      return { dir: 'in', type: e.type, peer: e.from, round: e.vote.round };
    case 'timeout':
      return { dir: 'in', type: e.type, peer: e.from, round: e.timeout.round };
    case 'payloadReady':
      return { dir: 'in', type: e.type, round: e.round };
    default:
      return { dir: 'in', type: e.type };
  }
}

function traceOut(a: ConsensusAction): TraceRecord {
  switch (a.type) {
    case 'broadcastProposal':
      return { dir: 'out', type: a.type, round: a.proposal.block.header.round };
    case 'sendVote':
      return { dir: 'out', type: a.type, peer: a.to, round: a.vote.round };
    case 'broadcastTimeout':
      return { dir: 'out', type: a.type, round: a.timeout.round, ...(a.repeat ? { repeat: true } : {}) };
    case 'requestPayload':
      return { dir: 'out', type: a.type, round: a.round };
    case 'fetchBlock':
      return { dir: 'out', type: a.type, peer: a.from };
    default:
      return { dir: 'out', type: a.type };
  }
}

export class ConsensusDriver {
  private readonly queue: ConsensusEvent[] = [];
  private draining = false;
  private stopped = false;

  constructor(
    readonly core: ConsensusCore,
    private readonly ports: DriverPorts,
  ) {}

  start(): void {
    this.submit({ type: 'start' });
  }

  /** Stops acting on anything (a crash in the simulator, shutdown in the node). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  onMessage(from: number, message: ConsensusMessage) {
    switch (message.kind) {
      case 'proposal':
        return this.submit({ type: 'proposal', from, proposal: message.proposal });
      case 'vote':
        return this.submit({ type: 'vote', from, vote: message.vote });
      case 'timeout':
        return this.submit({ type: 'timeout', from, timeout: message.timeout });
      case 'blockResponse':
        return this.submit({ type: 'blockFetched', block: message.block });
      case 'blockRequest': {
        if (this.stopped) return;
        const block =
          this.core.getBlock(message.blockId) ?? this.ports.app.getCommittedBlock(message.blockId);
        if (block) this.ports.transport.send(from, { kind: 'blockResponse', block });
        return;
      }
    }
  }

  submit(event: ConsensusEvent): void {
    if (this.stopped) return;
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const next = this.queue.shift()!;
        const trace = this.ports.trace;
        if (trace) trace(traceIn(next));
        for (const action of this.core.step(this.ports.clock.now(), next)) {
          if (trace) trace(traceOut(action));
          this.dispatch(action);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private dispatch(a: ConsensusAction) {
    const { transport, clock, safetyStore, app } = this.ports;
    switch (a.type) {
      case 'broadcastProposal':
        return transport.broadcast({ kind: 'proposal', proposal: a.proposal });
      case 'sendVote':
        return transport.send(a.to, { kind: 'vote', vote: a.vote });
      case 'broadcastTimeout':
        return transport.broadcast({ kind: 'timeout', timeout: a.timeout }, { repeat: a.repeat === true });
      case 'persistSafety':
        return safetyStore.persist(a.data, () => this.submit({ type: 'safetyPersisted', seq: a.seq }));
      case 'commit':
        return app.commit(a.blocks, a.certificate, a.proof);
      case 'fetchBlock':
        return transport.send(a.from, { kind: 'blockRequest', blockId: a.blockId });
      case 'requestPayload':
        return app.buildPayload(
          {
            round: a.round,
            parentId: a.parentId,
            parent: a.parent,
            height: a.height,
            ancestors: a.ancestors,
          },
          (payload) => this.submit({ type: 'payloadReady', round: a.round, payload }),
        );
      case 'validatePayload':
        return app.validatePayload({ block: a.block, parent: a.parent, ancestors: a.ancestors }, (valid) =>
          this.submit({ type: 'payloadValidated', blockId: a.blockId, valid }),
        );
      case 'setTimer':
        return clock.setTimer(a.atMs, () => this.submit({ type: 'tick' }));
      case 'evidence':
        return this.ports.onEvidence?.(a.evidence);
      case 'halt':
        this.stop();
        return this.ports.onHalt?.(a.error);
    }
  }
}
