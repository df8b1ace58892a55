/**
 * The consensus core: a deterministic state machine for rotating-leader 2-chain BFT
 * (Jolteon / DiemBFT v4). `step(nowMs, event)` returns the actions to perform; it reads no
 * clock, does no I/O and draws no randomness, so equal inputs give equal outputs.
 * The rules it implements are written out in docs/PROTOCOL.md; comments cite them as
 * [Vn] (voting), [Cn] (commit), [Pn] (pacemaker), [Ln] (leaders), [Sn] (safety data).
 */

import { hashHeader } from '../chain/codec.js';
import type { Block, BlockHeader } from '../chain/types.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { genesisQc, verifyQuorumCertificate, verifyTimeoutCertificate } from './certificates.js';
import { decodeQc, encodeQc, proposalDigest, timeoutDigest, voteDigest } from './codec.js';
import { ConsensusError } from './errors.js';
import { leaderForRound, type ReputationConfig } from './leader.js';
import { jolteonRules, type SafetyRules } from './rules.js';
import type { Signer, Verifier } from './signing.js';
import {
  type CertifiedBlock,
  type CommitProofOf,
  type CommittedBlock,
  type ConsensusAction,
  type ConsensusEvent,
  type Evidence,
  type HistoryEntry,
  maxFaulty,
  type Payload,
  type Proposal,
  type QuorumCertificate,
  quorumSize,
  type SafetyData,
  type SyncInfo,
  type TimeoutCertificate,
  type TimeoutMessage,
  type ValidatorSet,
  type Vote,
} from './types.js';

export interface CoreConfig {
  validatorSet: ValidatorSet;
  /** This node's validator index. */
  self: number;
  signer: Signer;
  verifier: Verifier;
  baseRoundTimeoutMs: number;
  /** Round timeouts grow as base * 2^k, k capped here. */
  maxTimeoutExponent: number;
  /** Re-request a missing block after this long. */
  fetchRetryMs: number;
  reputation: ReputationConfig;
  /**
   * Votes and timeouts more than this many rounds above the local round (after their
   * certificates are applied) are dropped, so the per-round maps stay bounded even if the
   * gate's window is not in force. Default DEFAULT_MAX_FUTURE_ROUNDS.
   */
  maxFutureRounds?: number;
  /**
   * [S3] After a (re)start, sign nothing for this many rounds (entered through certificates
   * or spent waiting for one) while watching the certificates seen for this validator's own
   * signatures; 0 (the default) turns the guard off. See `checkOwnSignatures`.
   */
  doubleSignCheckRounds?: number;
  /**
   * [S3] The core is rebuilt in a process that kept its safety data all along (after block
   * sync): no rounds are watched before signing, but own signatures are still checked.
   */
  resumedInProcess?: boolean;
  /** The voting and commit rules (rules.ts); default `jolteonRules`, the only ones in src/. */
  rules?: SafetyRules;
}

/** The core's bound on future-round state when the config names none. */
export const DEFAULT_MAX_FUTURE_ROUNDS = 100;

export interface CoreInit {
  /** The last committed block (the genesis block on first start) and its certificate. */
  root: CommittedBlock;
  rootQc: QuorumCertificate;
  /** Committed (round, proposer) entries, ascending by round, for leader reputation. */
  history: HistoryEntry[];
  /** The last durable safety data, if any. */
  safety?: SafetyData;
}

interface BlockEntry {
  id: Uint8Array;
  key: string;
  block: Block;
  round: number;
  height: number;
  parentKey: string;
  /** The QC in the header, decoded once (null: none or malformed, e.g. genesis). */
  parentQc?: QuorumCertificate | null;
}

interface PendingProposal {
  entry: BlockEntry;
  proposal: Proposal;
  proposer: number;
}

interface MissingBlock {
  id: Uint8Array;
  /**
   * The highest round the block can have (the round its certificate names, or one below
   * its child's). Once the committed tip reaches it, the block is either committed or on a
   * losing branch, and peers may never serve it: the fetch is dropped.
   */
  roundAtMost: number;
  hint: number;
  attempts: number;
  nextRetryMs: number;
}

interface PendingSend {
  seq: number;
  actions: ConsensusAction[];
  local: Array<() => void>;
}

export interface CoreStatus {
  round: number;
  highQcRound: number;
  highTcRound: number;
  lastVotedRound: number;
  highestTimeoutRound: number;
  committedHeight: number;
  committedRound: number;
  committedId: Uint8Array;
  blocksInTree: number;
  /** Rounds left before the double-sign guard lets this validator sign ([S3]); 0 once it signs. */
  doubleSignGuardRoundsLeft: number;
  /** Entries of the maps a peer's messages can grow: bounded by the round windows. */
  retained: RetainedCounts;
}

export interface RetainedCounts {
  timeoutRounds: number;
  voteSets: number;
  seenVotes: number;
  seenProposals: number;
  verifiedQcs: number;
  pendingProposals: number;
  missingBlocks: number;
}

const key = (id: Uint8Array): string => toHex(id);

/** The QC a block header carries, or null (genesis has none). */
function headerQcOf(block: Block): QuorumCertificate | null {
  try {
    return decodeQc(block.header.parentQc);
  } catch {
    return null;
  }
}

/** What leader reputation keeps of a committed block: its round, proposer and the
 * signers of the QC it carries (they were alive and voting one round earlier).
 * `parentQc` is the header's QC when the caller has already decoded it. */
export function historyEntry(
  block: Block,
  addressIndex: Map<string, number>,
  parentQc: QuorumCertificate | null = headerQcOf(block),
): HistoryEntry {
  return {
    round: block.header.round,
    proposer: addressIndex.get(key(block.header.proposer)) ?? -1,
    signers: parentQc?.signers ?? [],
  };
}

export class ConsensusCore {
  private readonly cfg: CoreConfig;
  private readonly rules: SafetyRules;
  private readonly n: number;
  private readonly quorum: number;
  private readonly addressIndex = new Map<string, number>();
  private now = 0;
  private out: ConsensusAction[] = [];

  // [S1] safety data
  private lastVotedRound: number;
  private highestTimeoutRound: number;
  private highQc: QuorumCertificate;
  private highTc: TimeoutCertificate | undefined;

  // pacemaker
  private round = 0;
  private roundDeadlineMs = Number.POSITIVE_INFINITY;
  private lastTimerMs = Number.NaN;
  private lastTimeout: TimeoutMessage | undefined;
  /** lastTimeout's safety data is durable (it was broadcast): only then may it be repeated [S2]. */
  private lastTimeoutDurable = false;
  private lastVotedKey: string | undefined;
  private started = false;
  /** [S3] rounds to watch before signing; the core stops for good (halt) on a double sign. */
  private guardRoundsLeft: number;
  private halted = false;
  private readonly maxFutureRounds: number;

  // leader state for the current round
  private payloadRequestedRound = -1;
  private proposedRound = -1;

  // block tree, rooted at the committed tip
  private readonly blocks = new Map<string, BlockEntry>();
  private tip: BlockEntry;
  private readonly history: HistoryEntry[];
  private readonly leaderCache = new Map<number, number>();
  private commitTarget: BlockEntry | undefined;
  private commitCertificate: QuorumCertificate | undefined;
  /** The 2-chain that proves the commit target: its child and the child's QC. */
  private commitProof: CommitProofOf | undefined;

  private readonly verifiedQcs = new Map<string, QuorumCertificate>();
  private readonly pending = new Map<string, PendingProposal>();
  private readonly validation = new Map<string, boolean | 'requested'>();
  private readonly missing = new Map<string, MissingBlock>();
  private readonly seenProposals = new Map<string, Proposal>();
  private readonly seenVotes = new Map<string, Vote>();
  private readonly voteSets = new Map<string, Map<number, Uint8Array>>();
  private readonly timeoutSets = new Map<number, Map<number, TimeoutMessage>>();
  private readonly evidenceKeys = new Set<string>();

  // [S2] messages held until their safety data is durable
  private persistSeq = 0;
  private readonly pendingSends: PendingSend[] = [];

  constructor(cfg: CoreConfig, init: CoreInit) {
    this.cfg = cfg;
    this.rules = cfg.rules ?? jolteonRules;
    this.n = cfg.validatorSet.validators.length;
    if (this.n < 1 || cfg.self < 0 || cfg.self >= this.n) {
      throw new ConsensusError('INVALID_CONFIG', `validator index ${cfg.self} is not in a set of ${this.n}`);
    }
    this.quorum = quorumSize(this.n);
    this.guardRoundsLeft = cfg.resumedInProcess ? 0 : Math.max(0, cfg.doubleSignCheckRounds ?? 0);
    this.maxFutureRounds = cfg.maxFutureRounds ?? DEFAULT_MAX_FUTURE_ROUNDS;
    cfg.validatorSet.validators.forEach((v, i) => {
      this.addressIndex.set(key(v.address), i);
    });
    const rootEntry = this.entryOf(init.root.block, init.root.id);
    this.blocks.set(rootEntry.key, rootEntry);
    this.tip = rootEntry;
    this.history = init.history.slice();
    const rootQc = init.rootQc.round === 0 ? genesisQc(cfg.validatorSet.genesisId) : init.rootQc;
    this.remember(rootQc);
    const s = init.safety;
    this.lastVotedRound = s?.lastVotedRound ?? 0;
    this.highestTimeoutRound = s?.highestTimeoutRound ?? 0;
    this.highQc = s && s.highQc.round > rootQc.round ? s.highQc : rootQc;
    this.remember(this.highQc);
    this.highTc = s?.highTc;
    for (const b of s?.blocks ?? []) {
      const e = this.entryOf(b);
      if (e.round > this.tip.round && !this.blocks.has(e.key)) this.blocks.set(e.key, e);
    }
  }

  // ---------------------------------------------------------------- public surface

  step(nowMs: number, event: ConsensusEvent): ConsensusAction[] {
    if (this.halted) return [];
    this.now = Math.max(this.now, nowMs);
    this.out = [];
    switch (event.type) {
      case 'start':
        this.onStart();
        break;
      case 'tick':
        this.onTick();
        break;
      case 'proposal':
        this.onProposal(event.proposal);
        break;
      case 'vote':
        this.onVote(event.vote);
        break;
      case 'timeout':
        this.onTimeoutMessage(event.timeout);
        break;
      case 'payloadReady':
        this.onPayloadReady(event.round, event.payload);
        break;
      case 'payloadValidated':
        this.onPayloadValidated(event.blockId, event.valid);
        break;
      case 'blockFetched':
        this.onBlockFetched(event.block);
        break;
      case 'safetyPersisted':
        this.onPersisted(event.seq);
        break;
    }
    if (this.started && !this.halted) this.armTimer();
    const out = this.out;
    this.out = [];
    return out;
  }

  /** A block the node holds in its tree (for answering peers' fetches). */
  getBlock(id: Uint8Array): Block | undefined {
    return this.blocks.get(key(id))?.block;
  }

  /** The leader of `round` as this node currently computes it [L1]. */
  leaderOf(round: number): number {
    let l = this.leaderCache.get(round);
    if (l === undefined) {
      l = leaderForRound(round, this.n, this.history, this.cfg.reputation);
      if (this.leaderCache.size > 64) this.leaderCache.clear();
      this.leaderCache.set(round, l);
    }
    return l;
  }

  /** The round this core is in (the gate's round window reads it per message). */
  currentRound(): number {
    return this.round;
  }

  /** Rounds of the highest QC and TC this core holds (what a piggybacked certificate must beat). */
  highestCertified(): { qcRound: number; tcRound: number } {
    return { qcRound: this.highQc.round, tcRound: this.highTc?.round ?? 0 };
  }

  status(): CoreStatus {
    return {
      round: this.round,
      highQcRound: this.highQc.round,
      highTcRound: this.highTc?.round ?? 0,
      lastVotedRound: this.lastVotedRound,
      highestTimeoutRound: this.highestTimeoutRound,
      committedHeight: this.tip.height,
      committedRound: this.tip.round,
      committedId: this.tip.id,
      blocksInTree: this.blocks.size,
      doubleSignGuardRoundsLeft: this.guardRoundsLeft,
      retained: {
        timeoutRounds: this.timeoutSets.size,
        voteSets: this.voteSets.size,
        seenVotes: this.seenVotes.size,
        seenProposals: this.seenProposals.size,
        verifiedQcs: this.verifiedQcs.size,
        pendingProposals: this.pending.size,
        missingBlocks: this.missing.size,
      },
    };
  }

  syncInfo(): SyncInfo {
    return this.highTc ? { highQc: this.highQc, highTc: this.highTc } : { highQc: this.highQc };
  }

  // ---------------------------------------------------------------- helpers

  private entryOf(block: Block, id = hashHeader(block.header), parentQc?: QuorumCertificate): BlockEntry {
    return {
      id,
      key: key(id),
      block,
      round: block.header.round,
      height: block.header.height,
      parentKey: key(block.header.parentHash),
      parentQc,
    };
  }

  /** The header's QC, decoded at most once per block (decoding dominated n = 100 runs). */
  private headerQc(e: BlockEntry): QuorumCertificate | null {
    if (e.parentQc === undefined) e.parentQc = headerQcOf(e.block);
    return e.parentQc;
  }

  private qcKey(qc: QuorumCertificate): string {
    return `${qc.round}:${key(qc.blockId)}`;
  }

  private remember(qc: QuorumCertificate): void {
    this.verifiedQcs.set(this.qcKey(qc), qc);
  }

  /** A QC for (round, blockId) that was verified once needs no second check. */
  private verifyQc(qc: QuorumCertificate): boolean {
    const k = this.qcKey(qc);
    if (this.verifiedQcs.has(k)) return true;
    if (!verifyQuorumCertificate(qc, this.cfg.validatorSet, this.cfg.verifier)) return false;
    this.verifiedQcs.set(k, qc);
    return true;
  }

  private verifyTc(tc: TimeoutCertificate): boolean {
    return verifyTimeoutCertificate(tc, this.cfg.validatorSet, this.cfg.verifier, (qc) => this.verifyQc(qc));
  }

  private safetyData(): SafetyData {
    const d: SafetyData = {
      lastVotedRound: this.lastVotedRound,
      highestTimeoutRound: this.highestTimeoutRound,
      highQc: this.highQc,
    };
    if (this.highTc) d.highTc = this.highTc;
    const keep = new Map<string, Block>();
    for (const start of [this.lastVotedKey, key(this.highQc.blockId)]) {
      let cur = start === undefined ? undefined : this.blocks.get(start);
      while (cur && cur.round > this.tip.round && !keep.has(cur.key)) {
        keep.set(cur.key, cur.block);
        cur = this.blocks.get(cur.parentKey);
      }
    }
    d.blocks = [...keep.values()].sort((a, b) => a.header.height - b.header.height);
    return d;
  }

  /** [S2] Hands safety data to storage; `actions` and `local` run once it is durable. */
  private persistThen(actions: ConsensusAction[], local: Array<() => void>): void {
    const seq = ++this.persistSeq;
    this.out.push({ type: 'persistSafety', seq, data: this.safetyData() });
    this.pendingSends.push({ seq, actions, local });
  }

  private onPersisted(seq: number): void {
    while (this.pendingSends.length > 0 && this.pendingSends[0].seq <= seq) {
      const p = this.pendingSends.shift()!;
      this.out.push(...p.actions);
      for (const f of p.local) f();
    }
  }

  private requestFetch(id: Uint8Array, roundAtMost: number, hint: number): void {
    const k = key(id);
    if (roundAtMost <= this.tip.round || this.blocks.has(k) || this.missing.has(k)) return;
    this.missing.set(k, {
      id,
      roundAtMost,
      hint,
      attempts: 1,
      nextRetryMs: this.now + this.cfg.fetchRetryMs,
    });
    this.out.push({ type: 'fetchBlock', blockId: id, from: hint });
  }

  private armTimer(): void {
    let at = this.roundDeadlineMs;
    for (const m of this.missing.values()) if (m.nextRetryMs < at) at = m.nextRetryMs;
    if (at !== this.lastTimerMs && Number.isFinite(at)) {
      this.lastTimerMs = at;
      this.out.push({ type: 'setTimer', atMs: at });
    }
  }

  private reportEvidence(e: Evidence): void {
    const k = `${e.kind}:${e.round}:${e.validator}`;
    if (this.evidenceKeys.has(k)) return;
    this.evidenceKeys.add(k);
    this.out.push({ type: 'evidence', evidence: e });
  }

  // ---------------------------------------------------------------- pacemaker [P1-P6]

  private onStart(): void {
    if (this.started) return;
    this.started = true;
    const entry = Math.max(this.highQc.round, this.highTc?.round ?? 0) + 1;
    this.advanceRound(entry, true);
    this.checkCommit(this.highQc);
    // A restarted node must not re-vote or re-time-out in a round it already acted in:
    // lastVotedRound / highestTimeoutRound are restored, and those rules stay in force.
  }

  private timeoutDurationMs(): number {
    // [P2] grows while rounds fail (rounds since the last certified one), reset by a QC
    const k = Math.min(Math.max(0, this.round - this.highQc.round - 1), this.cfg.maxTimeoutExponent);
    return this.cfg.baseRoundTimeoutMs * 2 ** k;
  }

  private advanceRound(newRound: number, force = false): void {
    if (!this.started) return;
    if (newRound <= this.round && !force) return;
    if (newRound > this.round && !force && this.guardRoundsLeft > 0) this.guardRoundsLeft--;
    this.round = Math.max(this.round, newRound);
    this.roundDeadlineMs = this.now + this.timeoutDurationMs();
    this.lastTimeout = undefined;
    this.lastTimeoutDurable = false;
    this.pruneRoundState();
    this.tryPropose();
    for (const p of this.pending.values()) {
      if (p.entry.round === this.round) this.tryVote(p);
    }
  }

  private onTick(): void {
    // The armed timer has fired (a real clock may fire it slightly before its time, when
    // nothing below is due yet): forget it, so armTimer arms the next one in any case.
    this.lastTimerMs = Number.NaN;
    for (const m of this.missing.values()) {
      if (m.nextRetryMs <= this.now) {
        m.attempts++;
        m.nextRetryMs = this.now + this.cfg.fetchRetryMs;
        this.out.push({ type: 'fetchBlock', blockId: m.id, from: (m.hint + m.attempts - 1) % this.n });
      }
    }
    if (this.started && this.now >= this.roundDeadlineMs) {
      if (this.guardRoundsLeft > 0) this.watchedRoundExpired();
      else this.localTimeout();
    }
  }

  /**
   * [S3] A round spent watching ran out without a certificate: it counts as watched, so a
   * network whose validators all restarted together still starts signing after N rounds.
   */
  private watchedRoundExpired(): void {
    this.roundDeadlineMs = this.now + this.timeoutDurationMs();
    this.guardRoundsLeft--;
    if (this.guardRoundsLeft > 0) return;
    this.tryPropose();
    for (const p of this.pending.values()) if (p.entry.round === this.round) this.tryVote(p);
  }

  /**
   * [S3] A certificate (or a message) carries this validator's signature for a round above
   * what its durable safety data says it signed: another process signs with this key, or
   * this data directory was restored from an old backup. Signing now could double-sign.
   */
  private checkOwnSignatures(kind: 'vote' | 'timeout', round: number, signers: readonly number[]): void {
    if (this.cfg.doubleSignCheckRounds === undefined || this.cfg.doubleSignCheckRounds <= 0) return;
    const signedUpTo = kind === 'vote' ? this.lastVotedRound : this.highestTimeoutRound;
    if (round <= signedUpTo || !signers.includes(this.cfg.self)) return;
    this.halted = true;
    this.started = false;
    this.out.push({
      type: 'halt',
      error: new ConsensusError(
        'DOUBLE_SIGN_RISK',
        `validator ${this.cfg.self} signed a ${kind} in round ${round} that its safety data (last ${kind} round ${signedUpTo}) does not record: another process uses this key, or the data directory is an old copy`,
      ),
    });
  }

  /** [P3] Time out the current round: sign, persist, then broadcast; re-send on expiry. */
  private localTimeout(): void {
    this.roundDeadlineMs = this.now + this.timeoutDurationMs();
    if (this.lastTimeout && this.lastTimeout.round === this.round) {
      // [S2] the first broadcast waits for its persist ack; a repeat must not overtake it
      if (this.lastTimeoutDurable)
        this.out.push({ type: 'broadcastTimeout', timeout: this.lastTimeout, repeat: true });
      return;
    }
    // After a restart in a round it already timed out in, the node signs again: the lost
    // message is re-created with the same round and a high QC at least as high.
    const digest = timeoutDigest(this.cfg.validatorSet, this.round, this.highQc.round);
    const timeout: TimeoutMessage = {
      round: this.round,
      highQc: this.highQc,
      signer: this.cfg.self,
      signature: this.cfg.signer.sign(digest),
    };
    if (this.highTc) timeout.highTc = this.highTc;
    this.lastTimeout = timeout;
    this.lastTimeoutDurable = false;
    this.highestTimeoutRound = Math.max(this.highestTimeoutRound, this.round);
    const durable = () => {
      if (this.lastTimeout === timeout) this.lastTimeoutDurable = true;
      this.acceptTimeout(timeout);
    };
    this.persistThen([{ type: 'broadcastTimeout', timeout }], [durable]);
  }

  private onTimeoutMessage(t: TimeoutMessage): void {
    if (!Number.isSafeInteger(t.round) || t.round < 1 || t.signer < 0 || t.signer >= this.n) return;
    if (t.highQc.round >= t.round) return;
    if (!this.processSync({ highQc: t.highQc, highTc: t.highTc })) return;
    if (t.round < this.round || this.halted) return;
    // [window] certificates applied, a round still far ahead is unjustified: keep nothing of it
    if (t.round > this.round + this.maxFutureRounds) return;
    const digest = timeoutDigest(this.cfg.validatorSet, t.round, t.highQc.round);
    if (!this.cfg.verifier.verify(digest, t.signature, t.signer)) return;
    this.checkOwnSignatures('timeout', t.round, [t.signer]);
    if (this.halted) return;
    this.acceptTimeout(t);
  }

  /** [P4] Collect timeouts; f+1 make this node time out too; 2f+1 form a TC. */
  private acceptTimeout(t: TimeoutMessage): void {
    if (t.round < this.round) return;
    let set = this.timeoutSets.get(t.round);
    if (!set) {
      set = new Map();
      this.timeoutSets.set(t.round, set);
    }
    if (set.has(t.signer)) return;
    set.set(t.signer, t);
    const mayTimeOut = this.guardRoundsLeft === 0;
    if (t.round === this.round && set.size >= maxFaulty(this.n) + 1 && !this.lastTimeout && mayTimeOut) {
      this.localTimeout();
    }
    if (set.size === this.quorum && (this.highTc?.round ?? 0) < t.round) {
      const signers = [...set.keys()].sort((a, b) => a - b);
      let highQc = set.get(signers[0])!.highQc;
      for (const s of signers) {
        const q = set.get(s)!.highQc;
        if (q.round > highQc.round) highQc = q;
      }
      const tc: TimeoutCertificate = {
        round: t.round,
        highQc,
        signers,
        highQcRounds: signers.map((s) => set.get(s)!.highQc.round),
        signatures: signers.map((s) => set.get(s)!.signature),
      };
      this.processTc(tc);
    }
  }

  /** Verifies and applies the certificates a message carries; false if any is invalid. */
  private processSync(sync: SyncInfo): boolean {
    // Only a certificate that raises this node's own is verified and applied (a re-sent
    // message with old certificates costs no verification).
    const qcUseful = sync.highQc.round > this.highQc.round;
    if (qcUseful && !this.verifyQc(sync.highQc)) return false;
    const tc = sync.highTc;
    if (tc && tc.round > (this.highTc?.round ?? 0)) {
      if (!this.verifyTc(tc)) return false;
      this.processTc(tc);
    }
    if (qcUseful) this.processQc(sync.highQc);
    return true;
  }

  private processTc(tc: TimeoutCertificate): void {
    this.checkOwnSignatures('timeout', tc.round, tc.signers);
    if (this.halted) return;
    if (tc.round > (this.highTc?.round ?? 0)) this.highTc = tc;
    this.processQc(tc.highQc);
    this.advanceRound(tc.round + 1);
  }

  /** [C1] A new certified block: raise highQc, check the 2-chain commit, advance the round. */
  private processQc(qc: QuorumCertificate): void {
    this.checkOwnSignatures('vote', qc.round, qc.signers);
    if (this.halted) return;
    this.remember(qc);
    if (qc.round > this.highQc.round) this.highQc = qc;
    this.checkCommit(qc);
    this.advanceRound(qc.round + 1);
  }

  // ---------------------------------------------------------------- commit [C1-C3]

  private checkCommit(qc: QuorumCertificate): void {
    if (qc.round <= this.tip.round) return;
    const b = this.blocks.get(key(qc.blockId));
    if (!b) {
      this.requestFetch(qc.blockId, qc.round, this.leaderOf(qc.round));
      return;
    }
    const parent = this.blocks.get(b.parentKey);
    switch (this.rules.commitRuling(b.round, parent?.round)) {
      case 'fetchParent':
        this.requestFetch(b.block.header.parentHash, b.round - 1, this.leaderOf(b.round));
        return;
      case 'commitParent': {
        if (!parent) return;
        // b's header carries the parent's QC: that is the commit certificate.
        const certificate = this.headerQc(b);
        if (certificate) this.setCommitTarget(parent, certificate, { child: b.block.header, childQc: qc });
        return;
      }
      case 'commitCertified':
        this.setCommitTarget(b, qc);
        return;
      case 'none':
        return;
    }
  }

  private setCommitTarget(target: BlockEntry, certificate: QuorumCertificate, proof?: CommitProofOf): void {
    if (target.height <= this.tip.height) return;
    if (this.commitTarget && this.commitTarget.height >= target.height) return;
    this.commitTarget = target;
    this.commitCertificate = certificate;
    this.commitProof = proof;
    this.tryCommit();
  }

  /** [C2] Commit the target and every uncommitted ancestor, in order, once all are known. */
  private tryCommit(): void {
    const target = this.commitTarget;
    if (!target || !this.commitCertificate) return;
    const chain: BlockEntry[] = [];
    let cur = target;
    while (cur.height > this.tip.height) {
      chain.push(cur);
      const parent = this.blocks.get(cur.parentKey);
      if (!parent) {
        this.requestFetch(cur.block.header.parentHash, cur.round - 1, this.leaderOf(cur.round));
        return;
      }
      cur = parent;
    }
    this.commitTarget = undefined;
    if (cur.key !== this.tip.key) return; // does not extend the committed chain: never commit it
    chain.reverse();
    this.out.push({
      type: 'commit',
      blocks: chain.map((e) => ({ id: e.id, block: e.block })),
      certificate: this.commitCertificate,
      ...(this.commitProof ? { proof: this.commitProof } : {}),
    });
    for (const e of chain) {
      this.history.push(historyEntry(e.block, this.addressIndex, this.headerQc(e)));
    }
    const keep = this.cfg.reputation.windowBlocks + this.cfg.reputation.lagRounds + 8;
    if (this.history.length > 2 * keep) this.history.splice(0, this.history.length - keep);
    this.leaderCache.clear();
    this.tip = target;
    this.pruneTree();
  }

  private pruneTree(): void {
    for (const [k, e] of this.blocks) {
      if (e.round <= this.tip.round && k !== this.tip.key) {
        this.blocks.delete(k);
        this.validation.delete(k);
        this.pending.delete(k);
      }
    }
    for (const [k, e] of this.pending) if (e.entry.round <= this.tip.round) this.pending.delete(k);
    for (const [k, m] of this.missing) if (m.roundAtMost <= this.tip.round) this.missing.delete(k);
  }

  private pruneRoundState(): void {
    const floor = Math.min(this.tip.round, this.round - 2);
    for (const r of this.timeoutSets.keys()) if (r < this.round) this.timeoutSets.delete(r);
    for (const k of this.voteSets.keys())
      if (Number(k.split(':')[0]) < this.round - 1) this.voteSets.delete(k);
    for (const [k, p] of this.seenProposals) if (p.block.header.round < floor) this.seenProposals.delete(k);
    for (const [k, v] of this.seenVotes) if (v.round < floor) this.seenVotes.delete(k);
    for (const [k, qc] of this.verifiedQcs) if (qc.round < floor && qc.round > 0) this.verifiedQcs.delete(k);
    if (this.evidenceKeys.size > 10_000) this.evidenceKeys.clear();
  }

  // ---------------------------------------------------------------- blocks

  private insertBlock(entry: BlockEntry): void {
    if (this.blocks.has(entry.key)) return;
    if (entry.round <= this.tip.round) return;
    this.blocks.set(entry.key, entry);
    this.missing.delete(entry.key);
    // A certified block, or the parent of a certified one, may complete a commit.
    const own = this.verifiedQcs.get(`${entry.round}:${entry.key}`);
    if (own) this.checkCommit(own);
    for (const b of this.blocks.values()) {
      if (b.parentKey !== entry.key) continue;
      const child = this.verifiedQcs.get(`${b.round}:${b.key}`);
      if (child) this.checkCommit(child);
    }
    this.tryCommit();
    // The block may be a child's parent or a missing link further down a waiting lineage.
    for (const p of [...this.pending.values()]) if (!this.validation.has(p.entry.key)) this.advancePending(p);
    this.tryPropose();
  }

  /**
   * The certified blocks strictly between the committed tip and `parent`, oldest first:
   * what the application must have executed before it can execute a child of `parent`
   * (after a restart it holds only the committed tip). A missing link is fetched from
   * `hint`; 'forked' when the chain reaches the tip's height on another branch.
   */
  private lineageOf(parent: BlockEntry, hint: number): CertifiedBlock[] | 'fetching' | 'forked' {
    const ancestors: CertifiedBlock[] = [];
    let cur = parent;
    while (cur.height > this.tip.height + 1) {
      const next = this.blocks.get(cur.parentKey);
      if (!next) {
        this.requestFetch(cur.block.header.parentHash, cur.round - 1, hint);
        return 'fetching';
      }
      cur = next;
      ancestors.push({ id: cur.id, block: cur.block });
    }
    if (cur.key !== this.tip.key && cur.parentKey !== this.tip.key) return 'forked';
    return ancestors.reverse();
  }

  private parentQcRound(b: BlockEntry): number {
    return this.headerQc(b)?.round ?? -1;
  }

  private onBlockFetched(block: Block): void {
    const id = hashHeader(block.header);
    const k = key(id);
    if (!this.missing.has(k)) return; // only blocks this node asked for
    if (block.header.chainId !== this.cfg.validatorSet.chainId) return;
    const entry = this.entryOf(block, id);
    if (entry.round <= this.tip.round) {
      this.missing.delete(k);
      return;
    }
    this.insertBlock(entry);
  }

  // ---------------------------------------------------------------- proposals [V1-V4]

  private onProposal(p: Proposal): void {
    const h: BlockHeader = p.block.header;
    if (h.chainId !== this.cfg.validatorSet.chainId) return;
    if (!Number.isSafeInteger(h.round) || h.round <= this.tip.round) return;
    const proposer = this.addressIndex.get(key(h.proposer));
    if (proposer === undefined) return;
    let qc: QuorumCertificate;
    try {
      qc = decodeQc(h.parentQc);
    } catch {
      return;
    }
    if (!equalBytes(qc.blockId, h.parentHash) || qc.round >= h.round) return;
    if (!this.verifyQc(qc)) return;
    if (p.tc && (p.tc.round + 1 !== h.round || !this.verifyTc(p.tc))) return;
    if (!p.tc && qc.round + 1 !== h.round) return; // [V2] a proposal after a failed round carries the TC
    const id = hashHeader(h);
    const digest = proposalDigest(this.cfg.validatorSet, h.round, id);
    if (!this.cfg.verifier.verify(digest, p.signature, proposer)) return;
    // [V4] proposing is voting: a proposal of this validator's it does not remember is a double sign
    this.checkOwnSignatures('vote', h.round, [proposer]);
    // The certificates are genuine whoever sent them: catch up first [P5].
    this.processQc(qc);
    if (p.tc) this.processTc(p.tc);
    if (this.halted) return;
    const seenKey = `${h.round}:${proposer}`;
    const prev = this.seenProposals.get(seenKey);
    if (prev) {
      const identical = equalBytes(hashHeader(prev.block.header), id);
      if (!identical) {
        this.reportEvidence({
          kind: 'proposal',
          round: h.round,
          validator: proposer,
          first: prev,
          second: p,
        });
      }
      // [V1] only the first proposal of a proposer's round counts; a repeat goes no further
      if (!this.rules.processesRepeat('proposal', identical)) return;
    } else this.seenProposals.set(seenKey, p);
    if (this.leaderOf(h.round) !== proposer) return; // [L1]
    const entry = this.entryOf(p.block, id, qc);
    const pending: PendingProposal = { entry, proposal: p, proposer };
    this.pending.set(entry.key, pending);
    this.insertBlock(entry);
    this.advancePending(pending);
  }

  private advancePending(p: PendingProposal): void {
    const parent = this.blocks.get(p.entry.parentKey);
    if (!parent) {
      this.requestFetch(p.entry.block.header.parentHash, p.entry.round - 1, p.proposer);
      return;
    }
    if (p.entry.height !== parent.height + 1 || p.entry.round <= parent.round) {
      this.pending.delete(p.entry.key);
      return;
    }
    const v = this.validation.get(p.entry.key);
    if (v === undefined) {
      const ancestors = this.lineageOf(parent, p.proposer);
      if (ancestors === 'fetching') return; // insertBlock advances it again
      if (ancestors === 'forked') {
        this.pending.delete(p.entry.key); // below the committed tip on another branch: never committable
        return;
      }
      this.validation.set(p.entry.key, 'requested');
      this.out.push({
        type: 'validatePayload',
        blockId: p.entry.id,
        block: p.entry.block,
        parent: parent.block,
        ancestors,
      });
      return;
    }
    if (v === true) this.tryVote(p);
  }

  private onPayloadValidated(blockId: Uint8Array, valid: boolean): void {
    const k = key(blockId);
    if (this.validation.get(k) !== 'requested') return;
    this.validation.set(k, valid);
    const p = this.pending.get(k);
    if (!p) return;
    if (!valid) {
      this.pending.delete(k);
      return;
    }
    this.tryVote(p);
  }

  private tryVote(p: PendingProposal): void {
    const e = p.entry;
    if (this.guardRoundsLeft > 0 || this.halted) return; // [S3] watching before signing
    if (e.round !== this.round || this.validation.get(e.key) !== true) return;
    if (!this.blocks.has(e.parentKey)) return; // [V3] the parent is known
    const candidate = { round: e.round, blockId: e.id, qcRound: this.parentQcRound(e), tc: p.proposal.tc };
    const signed = { lastVotedRound: this.lastVotedRound, highestTimeoutRound: this.highestTimeoutRound };
    if (!this.rules.safeToVote(candidate, signed)) return; // [V1-V2]
    this.pending.delete(e.key);
    this.lastVotedRound = Math.max(this.lastVotedRound, e.round);
    this.lastVotedKey = e.key;
    const vote = this.makeVote(e);
    const next = this.leaderOf(e.round + 1);
    if (next === this.cfg.self) this.persistThen([], [() => this.acceptVote(vote)]);
    else this.persistThen([{ type: 'sendVote', to: next, vote }], []);
  }

  private makeVote(e: BlockEntry): Vote {
    return {
      round: e.round,
      blockId: e.id,
      signer: this.cfg.self,
      signature: this.cfg.signer.sign(voteDigest(this.cfg.validatorSet, e.round, e.id)),
      sync: this.syncInfo(),
    };
  }

  // ---------------------------------------------------------------- votes [V5]

  private onVote(v: Vote): void {
    if (!Number.isSafeInteger(v.round) || v.round < 1 || v.signer < 0 || v.signer >= this.n) return;
    if (!this.processSync(v.sync)) return;
    if (v.round <= this.tip.round || this.halted) return;
    // [window] certificates applied, a round still far ahead is unjustified: keep nothing of it
    if (v.round > this.round + this.maxFutureRounds) return;
    const digest = voteDigest(this.cfg.validatorSet, v.round, v.blockId);
    if (!this.cfg.verifier.verify(digest, v.signature, v.signer)) return;
    this.checkOwnSignatures('vote', v.round, [v.signer]);
    if (this.halted) return;
    this.acceptVote(v);
  }

  private acceptVote(v: Vote): void {
    const seenKey = `${v.round}:${v.signer}`;
    const prev = this.seenVotes.get(seenKey);
    if (prev) {
      if (!equalBytes(prev.blockId, v.blockId)) {
        this.reportEvidence({ kind: 'vote', round: v.round, validator: v.signer, first: prev, second: v });
      }
      // [V1, V5] a signer's first vote of a round is the one that counts
      if (!this.rules.processesRepeat('vote', equalBytes(prev.blockId, v.blockId))) return;
    } else this.seenVotes.set(seenKey, v);
    if (this.leaderOf(v.round + 1) !== this.cfg.self) return;
    if (v.round < this.highQc.round) return;
    const vk = `${v.round}:${key(v.blockId)}`;
    if (this.verifiedQcs.has(vk)) return;
    let set = this.voteSets.get(vk);
    if (!set) {
      set = new Map();
      this.voteSets.set(vk, set);
    }
    if (set.has(v.signer)) return;
    set.set(v.signer, v.signature);
    if (set.size >= this.quorum) {
      const signers = [...set.keys()].sort((a, b) => a - b);
      const qc: QuorumCertificate = {
        round: v.round,
        blockId: v.blockId,
        signers,
        signatures: signers.map((s) => set.get(s)!),
      };
      this.voteSets.delete(vk);
      this.processQc(qc);
    }
  }

  // ---------------------------------------------------------------- proposing [P6]

  private tryPropose(): void {
    if (this.guardRoundsLeft > 0 || this.halted) return; // [S3] watching before signing
    if (!this.started || this.leaderOf(this.round) !== this.cfg.self || this.proposedRound === this.round)
      return;
    const viaQc = this.highQc.round + 1 === this.round;
    const viaTc = this.highTc !== undefined && this.highTc.round + 1 === this.round;
    if (!viaQc && !viaTc) return;
    const parent = this.blocks.get(key(this.highQc.blockId));
    if (!parent) {
      this.requestFetch(this.highQc.blockId, this.highQc.round, this.leaderOf(this.highQc.round));
      return;
    }
    if (this.payloadRequestedRound === this.round) return;
    const ancestors = this.lineageOf(parent, this.leaderOf(this.highQc.round));
    if (ancestors === 'fetching') return; // insertBlock proposes once the lineage is known
    if (ancestors === 'forked') return; // the highest QC cannot be below the committed tip
    this.payloadRequestedRound = this.round;
    this.out.push({
      type: 'requestPayload',
      round: this.round,
      parentId: parent.id,
      parent: parent.block,
      height: parent.height + 1,
      ancestors,
    });
  }

  private onPayloadReady(round: number, payload: Payload): void {
    if (round !== this.round || this.proposedRound === round || this.leaderOf(round) !== this.cfg.self)
      return;
    if (this.guardRoundsLeft > 0 || this.halted) return; // [S3]
    const parent = this.blocks.get(key(this.highQc.blockId));
    if (!parent) return;
    if (!equalBytes(payload.parentId, parent.id)) {
      // The high QC moved within the round: build again on the new parent.
      this.payloadRequestedRound = -1;
      this.tryPropose();
      return;
    }
    const header: BlockHeader = {
      chainId: this.cfg.validatorSet.chainId,
      height: parent.height + 1,
      round,
      parentHash: parent.id,
      proposer: this.cfg.validatorSet.validators[this.cfg.self].address,
      timestampMs: Math.max(payload.timestampMs, parent.block.header.timestampMs),
      txRoot: payload.txRoot,
      stateRoot: payload.stateRoot,
      receiptsRoot: payload.receiptsRoot,
      parentQc: encodeQc(this.highQc),
    };
    const block: Block = { header, transactions: payload.transactions };
    const id = hashHeader(header);
    const proposal: Proposal = {
      block,
      signature: this.cfg.signer.sign(proposalDigest(this.cfg.validatorSet, round, id)),
    };
    if (this.highQc.round + 1 !== round && this.highTc) proposal.tc = this.highTc;
    this.proposedRound = round;
    // [V4] Proposing is voting: the leader votes for its own block, and the vote's
    // lastVotedRound is durable before the proposal leaves, so a restarted leader can
    // never sign a second, different proposal for the same round.
    if (round <= this.lastVotedRound || round <= this.highestTimeoutRound) return;
    const entry = this.entryOf(block, id, this.highQc);
    this.seenProposals.set(`${round}:${this.cfg.self}`, proposal);
    this.validation.set(entry.key, true);
    this.insertBlock(entry);
    this.lastVotedRound = round;
    this.lastVotedKey = entry.key;
    const vote = this.makeVote(entry);
    const next = this.leaderOf(round + 1);
    const send: ConsensusAction[] = [{ type: 'broadcastProposal', proposal }];
    if (next !== this.cfg.self) send.push({ type: 'sendVote', to: next, vote });
    this.persistThen(send, next === this.cfg.self ? [() => this.acceptVote(vote)] : []);
  }
}
