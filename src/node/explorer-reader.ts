/**
 * The explorer's reads (explorer/server/reader.ts ExplorerReader) over the ledger store
 * (read-only), the mempool, the genesis validators, the safety store's evidence and the
 * activity tracker. A module of its own: the node constructs it and hands it to the API.
 *
 * - Every read is a few lmdb gets or one short range (the store's summaries and tx records,
 *   written in each block's commit batch): no block is decoded for a list or a history page.
 * - Lists are keyset pages. A cursor is base64url of a kind byte and the position of the
 *   last item returned (a height, a block position, an account's position, a mempool
 *   admission number); it is checked strictly: any other string is a CursorError.
 * - Committed data is read up to the store's durable head only, so a client that heard of a
 *   block (onHead) finds it, and a page never shows a block that /blocks does not.
 */
import {
  type AccountView,
  type BlockDetail,
  type BlockSummary,
  type CommittedTx,
  CursorError,
  type ExplorerListener,
  type ExplorerReader,
  type Page,
  type PageRequest,
  type PendingTx,
  type ProofRefusal,
  type QcView,
  type StatsView,
  type StatsWindow,
  type TxDetail,
  type ValidatorActivity,
  type ValidatorRef,
  type ValidatorsView,
} from '../../explorer/server/index.js';
import {
  type AccountProofJson,
  accountProofToJson,
  type TxProofJson,
  txProofToJson,
} from '../client/index.js';
import {
  committedInRound,
  decodeQc,
  type HistoryEntry,
  leaderForRound,
  type QuorumCertificate,
  type ReputationConfig,
} from '../consensus/index.js';
import { toHex } from '../crypto/bytes.js';
import type { GenesisValidator } from '../genesis/index.js';
import type { Mempool, PoolTx } from '../mempool/index.js';
import {
  type LedgerStore,
  receiptOfRecord,
  type StoredSummary,
  StoreError,
  type TxRecord,
} from '../store/index.js';
import type { VerifiedTransfer } from '../tx/index.js';
import { type ActivityTracker, tallyUptime } from './activity.js';
import type { InFlightTx } from './application.js';
import { BlockTreeCache, type BlockTrees, buildBlockTrees, treesMatchHeader } from './proof-trees.js';

export interface ExplorerReaderOptions {
  /** Committed blocks the validator figures cover (the newest ones). */
  activityWindowBlocks: number;
  /** Block counts of the /stats windows, shortest first. */
  statsWindowBlocks: readonly number[];
  /** Newest blocks /stats lists for charts. */
  recentBlocks: number;
  /** Rounds examined for missed proposals over the window (a long stall is counted this far). */
  maxMissedRoundsScanned: number;
  /** Block details kept decoded (a block page decodes its header and two certificates). */
  blockDetailCacheEntries: number;
  /** Bytes of committed blocks' Merkle trees kept built for the proof routes (proof-trees.ts). */
  proofTreeCacheBytes: number;
}

export const DEFAULT_EXPLORER_READER_OPTIONS: Readonly<ExplorerReaderOptions> = Object.freeze({
  activityWindowBlocks: 100,
  statsWindowBlocks: [10, 100],
  recentBlocks: 100,
  maxMissedRoundsScanned: 10_000,
  blockDetailCacheEntries: 256,
  proofTreeCacheBytes: 8 * 1024 * 1024,
});

export interface ExplorerReaderComponents {
  store: LedgerStore;
  mempool: Mempool;
  chainId: bigint;
  validators: readonly GenesisValidator[];
  /** Voting power a certificate needs (n - f). */
  quorum: number;
  /** Leader reputation as the consensus core runs it (the leader of a past round). */
  reputation: ReputationConfig;
  /** Equivocation evidence this node holds (the safety store's). */
  evidence(): ReadonlyArray<{ validator: number }>;
  /** What this node saw validators do; absent: uptime is null. */
  activity?: ActivityTracker;
  /** This node's validator index (a validator does not see its own votes cross the network). */
  self?: number;
  /** A subscriber threw: it is not called again. */
  onListenerError?(err: unknown): void;
  /**
   * A committed transaction whose block's store write is in flight (the application's): it
   * has left the mempool and is not in the store yet.
   */
  inFlightTx?(hash: Uint8Array): InFlightTx | undefined;
}

enum CursorKind {
  Blocks = 1,
  BlockTxs = 2,
  AccountTxs = 3,
  Mempool = 4,
}

/** Leaders of past rounds remembered (the tracked rounds and a window's gaps fit). */
const MAX_CACHED_LEADERS = 16_384;

/** Heights below the head an account proof without a height falls back to. */
const MAX_DEFAULT_PROOF_STEPS = 2;

/** Longest cursor any list hands out (kind + address + height + index, base64url). */
const MAX_CURSOR_CHARS = 64;

function encodeCursor(kind: CursorKind, parts: Array<[number, 'u32' | 'u64'] | Uint8Array>): string {
  let length = 1;
  for (const p of parts) length += p instanceof Uint8Array ? p.length : p[1] === 'u32' ? 4 : 8;
  const out = Buffer.alloc(length);
  out[0] = kind;
  let at = 1;
  for (const p of parts) {
    if (p instanceof Uint8Array) {
      out.set(p, at);
      at += p.length;
    } else if (p[1] === 'u32') {
      out.writeUInt32BE(p[0], at);
      at += 4;
    } else {
      out.writeBigUInt64BE(BigInt(p[0]), at);
      at += 8;
    }
  }
  return out.toString('base64url');
}

/** The bytes of a cursor of `kind` with exactly `payloadBytes` after the kind byte. */
function decodeCursor(cursor: string, kind: CursorKind, payloadBytes: number): Buffer {
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw new CursorError('cursor is not one this list handed out');
  const bytes = Buffer.from(cursor, 'base64url');
  // canonical only: one string per position
  if (bytes.toString('base64url') !== cursor || bytes.length !== 1 + payloadBytes || bytes[0] !== kind)
    throw new CursorError('cursor is not one this list handed out');
  return bytes;
}

function readSafeU64(bytes: Buffer, at: number): number {
  const v = bytes.readBigUInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CursorError('cursor is not one this list handed out');
  return Number(v);
}

export class StoreExplorerReader implements ExplorerReader {
  private readonly options: ExplorerReaderOptions;
  private readonly listeners = new Set<ExplorerListener>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly refs: ValidatorRef[];
  private readonly addressIndex = new Map<string, number>();
  /** Leader-reputation entries of recent committed blocks, by height (immutable once committed). */
  private readonly historyCache = new Map<number, HistoryEntry>();
  /** Leaders of past rounds, final once computed over a history past them. */
  private readonly leaderCache = new Map<number, number>();
  private committedActivity:
    | {
        height: number;
        view: Omit<ValidatorsView, 'validators'> & { made: number[]; missed: number[]; signed: number[] };
      }
    | undefined;
  private statsCache: { height: number; stats: StatsView } | undefined;
  /** Details of committed blocks whose certificate is stored: immutable, oldest entry first. */
  private readonly blockCache = new Map<number, BlockDetail>();
  private readonly proofTrees: BlockTreeCache;

  constructor(
    private readonly c: ExplorerReaderComponents,
    options: Partial<ExplorerReaderOptions> = {},
  ) {
    this.options = { ...DEFAULT_EXPLORER_READER_OPTIONS, ...options };
    this.proofTrees = new BlockTreeCache(this.options.proofTreeCacheBytes);
    this.refs = c.validators.map((v, index) => ({ index, name: v.name, address: toHex(v.address) }));
    for (const ref of this.refs) this.addressIndex.set(ref.address, ref.index);
    this.unsubscribe.push(
      c.store.onHead((head) => this.emit((l) => l.onHead(head.height))),
      c.mempool.onAdmitted((admitted) => {
        if (!admitted.queued && this.listeners.size > 0) {
          const view = this.pendingView(admitted);
          this.emit((l) => l.onPendingTx(view));
        }
      }),
    );
  }

  /** Stops listening to the store and the mempool. */
  close(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.listeners.clear();
  }

  private emit(call: (listener: ExplorerListener) => void): void {
    for (const listener of this.listeners) {
      try {
        call(listener);
      } catch (err) {
        // a broken subscriber must not break a commit or an admission
        this.listeners.delete(listener);
        this.c.onListenerError?.(err);
      }
    }
  }

  subscribe(listener: ExplorerListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ---------------------------------------------------------------- blocks

  head(): { height: number; hash: string } {
    const head = this.c.store.head();
    return { height: head.height, hash: toHex(head.hash) };
  }

  blocks(req: PageRequest & { before?: number }): Page<BlockSummary> {
    const head = this.c.store.head().height;
    let from = head;
    if (req.cursor !== undefined) {
      const bytes = decodeCursor(req.cursor, CursorKind.Blocks, 8);
      from = readSafeU64(bytes, 1) - 1;
    } else if (req.before !== undefined) from = req.before - 1;
    from = Math.min(from, head);
    if (from < 0) return { items: [], next: null };
    const summaries = this.c.store.getSummaries(from, req.limit + 1);
    const more = summaries.length > req.limit;
    const items = summaries.slice(0, req.limit).map((s) => this.summaryView(s));
    const last = items.at(-1);
    return {
      items,
      next: more && last ? encodeCursor(CursorKind.Blocks, [[last.height, 'u64']]) : null,
    };
  }

  block(id: { height: number } | { hash: Uint8Array }): BlockDetail | undefined {
    const head = this.c.store.head().height;
    const height = 'height' in id ? id.height : this.c.store.getBlockHeight(id.hash);
    if (height === undefined || height > head || height < 0) return undefined;
    const cached = this.blockCache.get(height);
    if (cached) return cached;
    const summary = this.c.store.getSummary(height);
    const header = this.c.store.getHeader(height);
    if (!summary || !header) return undefined;
    const commitQc = this.c.store.getCommitQc(height);
    const detail: BlockDetail = {
      ...this.summaryView(summary),
      chainId: header.chainId.toString(),
      stateRoot: toHex(header.stateRoot),
      txRoot: toHex(header.txRoot),
      parentQc: height === 0 ? null : this.qcView(header.parentQc),
      qc: commitQc ? this.qcView(commitQc) : null,
    };
    // final once its certificate is stored (the head's may come later)
    if (detail.qc && this.options.blockDetailCacheEntries > 0) {
      if (this.blockCache.size >= this.options.blockDetailCacheEntries)
        this.blockCache.delete(this.blockCache.keys().next().value!);
      this.blockCache.set(height, detail);
    }
    return detail;
  }

  blockTxs(height: number, req: PageRequest): Page<CommittedTx> | undefined {
    const head = this.c.store.head().height;
    if (!Number.isSafeInteger(height) || height < 0 || height > head) return undefined;
    const summary = this.c.store.getSummary(height);
    if (!summary) return undefined;
    let from = 0;
    if (req.cursor !== undefined) {
      const bytes = decodeCursor(req.cursor, CursorKind.BlockTxs, 12);
      if (readSafeU64(bytes, 1) !== height) throw new CursorError('cursor belongs to another block');
      from = bytes.readUInt32BE(9);
    }
    const records = this.c.store.getBlockTxRecords(height, from, req.limit + 1);
    const more = records.length > req.limit;
    const items = records.slice(0, req.limit).map((r) => this.committedView(r, summary));
    const last = items.at(-1);
    return {
      items,
      next:
        more && last
          ? encodeCursor(CursorKind.BlockTxs, [
              [height, 'u64'],
              [last.index + 1, 'u32'],
            ])
          : null,
    };
  }

  // ---------------------------------------------------------------- proofs

  txProof(hash: Uint8Array): TxProofJson | ProofRefusal {
    const head = this.c.store.head().height;
    const record = this.c.store.getTxRecordByHash(hash);
    if (!record || record.height > head) {
      const pending = this.c.mempool.pooled(hash) ?? this.c.inFlightTx?.(hash);
      return pending
        ? {
            refused: 'NOT_COMMITTED',
            message: `transaction ${toHex(hash)} is not committed yet: its proof exists once it is`,
          }
        : { refused: 'NOT_FOUND', message: `transaction ${toHex(hash)} is not committed on this node` };
    }
    const commit = this.commitProof(record.height);
    if ('refused' in commit) return commit;
    const trees = this.blockTrees(record.height, commit.header);
    if (!trees) return { refused: 'NOT_PROVABLE', message: `block ${record.height} has no summary` };
    return txProofToJson({
      commit,
      inclusion: { txHash: record.txHash, proof: trees.txs.proof(record.index) },
      receipt: { receipt: receiptOfRecord(record), proof: trees.receipts.proof(record.index) },
    });
  }

  /** The committed block's two trees, built from one range read of its records on a miss. */
  private blockTrees(
    height: number,
    header: { txRoot: Uint8Array; receiptsRoot: Uint8Array },
  ): BlockTrees | undefined {
    const cached = this.proofTrees.get(height);
    if (cached && treesMatchHeader(cached, header)) return cached;
    const summary = this.c.store.getSummary(height);
    if (!summary) return undefined;
    const records = this.c.store.getBlockTxRecords(height, 0, summary.txCount);
    const trees = buildBlockTrees(
      records.map((r) => r.txHash),
      records.map(receiptOfRecord),
    );
    // the store's records must be the ones the committed header's roots commit to
    if (!treesMatchHeader(trees, header))
      throw new Error(`the stored transactions of block ${height} do not match its header's roots`);
    this.proofTrees.set(height, trees);
    return trees;
  }

  accountProof(address: Uint8Array, height?: number): AccountProofJson | ProofRefusal {
    if (height !== undefined) return this.accountProofAt(address, height);
    // the head, or the newest height below it whose proof of commit is stored: after a crash
    // between two blocks of a run, the head's is stored only with the next commit
    const head = this.c.store.head().height;
    let answer: AccountProofJson | ProofRefusal = this.accountProofAt(address, head);
    for (let h = head - 1; 'refused' in answer && h >= Math.max(0, head - MAX_DEFAULT_PROOF_STEPS); h--)
      answer = this.accountProofAt(address, h);
    return answer;
  }

  private accountProofAt(address: Uint8Array, height: number): AccountProofJson | ProofRefusal {
    let stored: ReturnType<LedgerStore['proveAccountAt']>;
    try {
      stored = this.c.store.proveAccountAt(height, address);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NOT_PROVABLE')
        return { refused: 'NOT_PROVABLE', message: err.message };
      throw err;
    }
    const commit = this.commitProof(height);
    if ('refused' in commit) return commit;
    return accountProofToJson({
      commit,
      account: { address: stored.address, account: stored.account, proof: stored.proof },
    });
  }

  private commitProof(height: number): NonNullable<ReturnType<LedgerStore['getCommitProof']>> | ProofRefusal {
    try {
      const proof = this.c.store.getCommitProof(height);
      if (proof) return proof;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'PROOF_TOO_LONG')
        return { refused: 'NOT_PROVABLE', message: err.message };
      throw err;
    }
    // stored with the next commit: a crash between two blocks of a run left it missing
    return {
      refused: 'NOT_PROVABLE',
      message: `block ${height} has no stored proof of commit yet; it is stored with the next block`,
    };
  }

  // ---------------------------------------------------------------- transactions and accounts

  tx(hash: Uint8Array): TxDetail {
    // The mempool first: a transaction leaves it in the same turn as its block commits (the
    // application's onCommit), and its record is in the store once that commit lands.
    const pooled = this.c.mempool.pooled(hash);
    if (pooled) return this.pendingView(pooled);
    const record = this.c.store.getTxRecordByHash(hash);
    if (record) {
      const summary = this.c.store.getSummary(record.height);
      if (summary) return this.committedView(record, summary);
    }
    // between the application's commit and the store's: what the record will hold
    const inFlight = this.c.inFlightTx?.(hash);
    if (inFlight) return this.inFlightView(inFlight);
    return { hash: toHex(hash), status: 'unknown' };
  }

  account(address: Uint8Array): AccountView {
    const account = this.c.store.getAccount(address);
    const nonce = account?.nonce ?? 0n;
    const pending = this.c.mempool.pendingNonce(address);
    return {
      address: toHex(address),
      balance: (account?.balance ?? 0n).toString(),
      nonce: nonce.toString(),
      // the mempool counts from the application's committed state, which may be a block ahead
      pendingNonce: (pending > nonce ? pending : nonce).toString(),
      exists: account !== undefined,
    };
  }

  accountTxs(address: Uint8Array, req: PageRequest): Page<CommittedTx> {
    const head = this.c.store.head().height;
    // from the durable head down: a block still being written is not listed yet
    let before = { height: head + 1, index: 0 };
    if (req.cursor !== undefined) {
      const bytes = decodeCursor(req.cursor, CursorKind.AccountTxs, 32);
      if (!bytes.subarray(1, 21).equals(Buffer.from(address.buffer, address.byteOffset, address.byteLength)))
        throw new CursorError('cursor belongs to another account');
      before = { height: readSafeU64(bytes, 21), index: bytes.readUInt32BE(29) };
    }
    const records = this.c.store.getAccountTxRecords(address, { before, limit: req.limit + 1 });
    const more = records.length > req.limit;
    const summaries = new Map<number, StoredSummary>();
    const items: CommittedTx[] = [];
    for (const r of records.slice(0, req.limit)) {
      let summary = summaries.get(r.height);
      if (!summary) {
        summary = this.c.store.getSummary(r.height);
        if (!summary) break;
        summaries.set(r.height, summary);
      }
      items.push(this.committedView(r, summary));
    }
    const last = items.at(-1);
    return {
      items,
      next:
        more && last
          ? encodeCursor(CursorKind.AccountTxs, [address, [last.height, 'u64'], [last.index, 'u32']])
          : null,
    };
  }

  mempool(req: PageRequest): Page<PendingTx> {
    let beforeSeq: number | undefined;
    if (req.cursor !== undefined) beforeSeq = readSafeU64(decodeCursor(req.cursor, CursorKind.Mempool, 8), 1);
    const pooled = this.c.mempool.listNewestFirst({ beforeSeq, limit: req.limit + 1 });
    const more = pooled.length > req.limit;
    const page = pooled.slice(0, req.limit);
    const last = page.at(-1);
    return {
      items: page.map((p) => this.pendingView(p)),
      next: more && last ? encodeCursor(CursorKind.Mempool, [[last.seq, 'u64']]) : null,
    };
  }

  // ---------------------------------------------------------------- validators and stats

  validators(): ValidatorsView {
    const committed = this.committedFigures();
    const evidence = new Array<number>(this.refs.length).fill(0);
    for (const e of this.c.evidence())
      if (e.validator >= 0 && e.validator < evidence.length) evidence[e.validator]++;
    const uptime = this.uptime();
    const blocks = committed.window.blocks;
    return {
      window: committed.window,
      quorum: this.c.quorum,
      validators: this.refs.map(
        (ref, i): ValidatorActivity => ({
          ...ref,
          peerId: this.c.validators[i].peerId,
          power: this.c.validators[i].power,
          proposals: { made: committed.made[i], missed: committed.missed[i] },
          qcShare: blocks > 0 ? committed.signed[i] / blocks : 0,
          uptime: uptime ? uptime[i] : null,
          evidence: evidence[i],
        }),
      ),
    };
  }

  /** Proposals made and missed and QC signatures over the window: a function of the head. */
  private committedFigures() {
    const head = this.c.store.head().height;
    if (this.committedActivity?.height === head) return this.committedActivity.view;
    const n = this.refs.length;
    const made = new Array<number>(n).fill(0);
    const missed = new Array<number>(n).fill(0);
    const signed = new Array<number>(n).fill(0);
    const fromHeight = Math.max(1, head - this.options.activityWindowBlocks + 1);
    // the leaders of the window's rounds were chosen from blocks up to lag + window rounds older
    const history = this.history(fromHeight - this.reputationReach(), head);
    let scanned = 0;
    for (let h = fromHeight; h <= head; h++) {
      const entry = this.historyCache.get(h);
      if (!entry) continue;
      if (entry.proposer >= 0) made[entry.proposer]++;
      for (const s of entry.signers) if (s >= 0 && s < n) signed[s]++;
      const parent = this.historyCache.get(h - 1);
      // rounds between two consecutive committed blocks committed nothing: their leaders missed
      if (parent && h - 1 >= 1) {
        for (
          let r = parent.round + 1;
          r < entry.round && scanned < this.options.maxMissedRoundsScanned;
          r++
        ) {
          scanned++;
          const leader = this.leaderOf(r, history);
          if (leader !== undefined) missed[leader]++;
        }
      }
    }
    const blocks = head >= fromHeight ? head - fromHeight + 1 : 0;
    const view = {
      window: { fromHeight: blocks > 0 ? fromHeight : head, toHeight: head, blocks },
      quorum: this.c.quorum,
      made,
      missed,
      signed,
    };
    this.committedActivity = { height: head, view };
    return view;
  }

  /** Uptime shares from what this node saw, or null per validator without chances. */
  private uptime(): Array<number | null> | undefined {
    const activity = this.c.activity;
    if (!activity) return undefined;
    const rounds = activity.snapshot();
    if (rounds.length === 0) return this.refs.map(() => null);
    const head = this.c.store.head().height;
    // the history that chose the leaders of the tracked rounds: at most one block per round
    const span = rounds[rounds.length - 1].round - rounds[0].round + 1;
    const history = this.history(head - span - this.reputationReach(), head);
    // rounds up to the committed head's: a block of round r commits in round r + 2, so
    // these are settled, and rounds nobody has reached yet (a signed timeout from one
    // validator can name one) are not scored
    const tally = tallyUptime(rounds, this.refs.length, (r) => this.leaderOf(r, history), {
      self: this.c.self,
      lastRound: this.c.store.getSummary(head)?.round ?? 0,
    });
    return tally.map((t) => (t.chances > 0 ? t.taken / t.chances : null));
  }

  /** The leader of past round `round`: leaderForRound over the blocks committed by then. */
  private leaderOf(round: number, history: readonly HistoryEntry[]): number | undefined {
    const cached = this.leaderCache.get(round);
    if (cached !== undefined) return cached;
    const lo = committedInRound(history, round);
    if (lo === 0) return round % this.refs.length;
    const leader = leaderForRound(round, this.refs.length, history.slice(0, lo), this.c.reputation);
    // final once the history holds a block of a later round than those the rule reads
    if (lo < history.length) {
      if (this.leaderCache.size >= MAX_CACHED_LEADERS) this.leaderCache.clear();
      this.leaderCache.set(round, leader);
    }
    return leader;
  }

  /** Blocks before a round that leader reputation reads: its lag and its window. */
  private reputationReach(): number {
    return this.c.reputation.lagRounds + this.c.reputation.windowBlocks + 2;
  }

  /** History entries of heights from..to (cached; heights below genesis + 1 skipped). */
  private history(from: number, to: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let h = Math.max(1, from); h <= to; h++) {
      const e = this.entryAt(h);
      if (e) out.push(e);
    }
    // keep what the next call needs: the window and the reach of leader reputation
    const keep =
      this.options.activityWindowBlocks +
      4 * (this.c.reputation.windowBlocks + this.c.reputation.lagRounds) +
      1024;
    if (this.historyCache.size > 2 * keep) {
      for (const k of this.historyCache.keys()) if (k < to - keep) this.historyCache.delete(k);
    }
    return out;
  }

  private entryAt(height: number): HistoryEntry | undefined {
    let e = this.historyCache.get(height);
    if (e) return e;
    const header = this.c.store.getHeader(height);
    if (!header) return undefined;
    let signers: number[] = [];
    try {
      signers = header.parentQc.length > 0 ? decodeQc(header.parentQc).signers : [];
    } catch {
      signers = [];
    }
    e = { round: header.round, proposer: this.addressIndex.get(toHex(header.proposer)) ?? -1, signers };
    this.historyCache.set(height, e);
    return e;
  }

  stats(): StatsView {
    const head = this.c.store.head().height;
    if (this.statsCache?.height === head) return this.statsCache.stats;
    const headSummary = this.c.store.getSummary(head);
    const windows: StatsWindow[] = this.options.statsWindowBlocks.map((k) => this.window(head, k));
    const recent = this.c.store
      .getSummaries(head, Math.min(this.options.recentBlocks, head))
      .reverse()
      .map((s) => ({ height: s.height, timestampMs: s.timestampMs, txCount: s.txCount, round: s.round }));
    const stats: StatsView = {
      height: head,
      totalTxs: headSummary?.totalTxs ?? 0,
      totalAccounts: headSummary?.totalAccounts ?? 0,
      windows,
      recent,
    };
    this.statsCache = { height: head, stats };
    return stats;
  }

  /** The newest `k` blocks (never genesis, whose time is the chain's start): from the running totals. */
  private window(head: number, k: number): StatsWindow {
    const start = Math.max(1, head - k);
    const blocks = head - start;
    const first = this.c.store.getSummary(start);
    const last = this.c.store.getSummary(head);
    if (blocks <= 0 || !first || !last)
      return { blocks: 0, seconds: 0, txPerSecond: 0, meanBlockTimeMs: 0, roundsPerBlock: 0 };
    const ms = Math.max(0, last.timestampMs - first.timestampMs);
    return {
      blocks,
      seconds: ms / 1000,
      txPerSecond: ms > 0 ? ((last.totalTxs - first.totalTxs) * 1000) / ms : 0,
      meanBlockTimeMs: ms / blocks,
      roundsPerBlock: (last.round - first.round) / blocks,
    };
  }

  // ---------------------------------------------------------------- views

  private validatorRef(proposer: Uint8Array): ValidatorRef {
    const index = this.addressIndex.get(toHex(proposer));
    // genesis and foreign blocks: a proposer outside the set is shown by address
    return index === undefined ? { index: -1, name: '', address: toHex(proposer) } : this.refs[index];
  }

  private summaryView(s: StoredSummary): BlockSummary {
    return {
      height: s.height,
      hash: toHex(s.hash),
      parentHash: toHex(s.parentHash),
      round: s.round,
      timestampMs: s.timestampMs,
      proposer: this.validatorRef(s.proposer),
      txCount: s.txCount,
      sizeBytes: s.sizeBytes,
      gasUsed: s.gasUsed.toString(),
      fees: s.fees.toString(),
      burned: s.burned.toString(),
    };
  }

  private qcView(bytes: Uint8Array): QcView | null {
    let qc: QuorumCertificate;
    try {
      qc = decodeQc(bytes);
    } catch {
      return null;
    }
    const signed = new Set(qc.signers);
    let votingPower = 0;
    const members = this.refs.map((ref, i) => {
      const power = this.c.validators[i].power;
      if (signed.has(i)) votingPower += power;
      return { ...ref, power, signed: signed.has(i) };
    });
    return { round: qc.round, blockHash: toHex(qc.blockId), quorum: this.c.quorum, votingPower, members };
  }

  private committedView(r: TxRecord, block: StoredSummary): CommittedTx {
    return {
      hash: toHex(r.txHash),
      from: toHex(r.from),
      to: toHex(r.to),
      value: r.value.toString(),
      nonce: r.nonce.toString(),
      gasLimit: r.gasLimit.toString(),
      maxFeePerGas: r.maxFeePerGas.toString(),
      maxPriorityFeePerGas: r.maxPriorityFeePerGas.toString(),
      status: 'committed',
      height: r.height,
      index: r.index,
      blockHash: toHex(block.hash),
      timestampMs: block.timestampMs,
      receipt: {
        status: 1,
        gasUsed: r.gasUsed.toString(),
        effectiveGasPrice: r.effectiveGasPrice.toString(),
        fee: r.fee.toString(),
      },
    };
  }

  private inFlightView(f: InFlightTx): CommittedTx {
    const { transfer: t, receipt: r } = f;
    return {
      hash: toHex(r.txHash),
      from: toHex(r.from),
      to: toHex(r.to),
      value: t.value.toString(),
      nonce: t.nonce.toString(),
      gasLimit: t.gasLimit.toString(),
      maxFeePerGas: t.maxFeePerGas.toString(),
      maxPriorityFeePerGas: t.maxPriorityFeePerGas.toString(),
      status: 'committed',
      height: f.height,
      index: f.index,
      blockHash: toHex(f.blockHash),
      timestampMs: f.timestampMs,
      receipt: {
        status: 1,
        gasUsed: r.gasUsed.toString(),
        effectiveGasPrice: r.effectiveGasPrice.toString(),
        fee: r.fee.toString(),
      },
    };
  }

  private pendingView(p: PoolTx): PendingTx {
    const tx: VerifiedTransfer = p.tx;
    return {
      hash: toHex(tx.hash),
      from: toHex(tx.from),
      to: toHex(tx.to),
      value: tx.value.toString(),
      nonce: tx.nonce.toString(),
      gasLimit: tx.gasLimit.toString(),
      maxFeePerGas: tx.maxFeePerGas.toString(),
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas.toString(),
      status: 'pending',
      ...(p.queued ? { queued: true as const } : {}),
      receivedAtMs: p.admittedAtMs,
    };
  }
}
