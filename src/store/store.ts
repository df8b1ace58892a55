/**
 * The ledger store: typed repositories over one lmdb environment, one named database
 * per bucket (Lodestar's layout). Committed data is written in exactly one place,
 * `commitBlock`, in one lmdb transaction that also moves the head, and the call returns
 * only once the write is flushed to disk. After a crash the store therefore holds every
 * block whose commit returned, each whole, or nothing of it.
 *
 * Buckets (key -> value), docs/FORMATS.md:
 *   meta       utf8 name -> bytes        genesisHash, head (height(8) || hash(32)), format (u32)
 *   blocks     height(8) -> canonical block encoding
 *   summaries  height(8) -> block summary with running totals (codec.ts, 196 bytes)
 *   txRecords  height(8) || first index(4) -> the tx records (codec.ts, 256 bytes each) of
 *              up to TX_RECORDS_PER_GROUP consecutive transactions; they hold the receipts
 *   blockIds   hash(32) -> height(8)
 *   commitQcs  height(8) -> QC certifying the block (bytes from consensus)
 *   commitProofs  height of D(8) -> proof point of D: empty (its child is the stored block
 *              D + 1, certified by that block's commit QC) or rlp([child header, QC(child)])
 *   txs        txHash(32) -> height(8) || index(4)
 *   history    address(20) || ~height(8) || ~index(4) -> txHash(32)
 *   accounts   address(20) -> account(40)
 *   tree       account-tree node key -> node (src/commitment)
 *   undo       height(8) || kind(1) || chunk(1) -> what the block replaced (undo.ts)
 */
import { RLP } from '@ethereumjs/rlp';
import { type Database, open, type RootDatabase } from 'lmdb';
import { decodeBlock, decodeHeader, encodeBlock, encodeHeader, hashHeader } from '../chain/codec.js';
import type { Block, BlockHeader } from '../chain/types.js';
import { accountKey, proveKey, rootOf, type TreeProof, type TreeReader } from '../commitment/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { Address } from '../crypto/keys.js';
import { decodeRlp, type RlpValue } from '../crypto/rlp.js';
import type { Account, AccountChange, Receipt } from '../state/index.js';
import { decodeAccount } from '../state/index.js';
import {
  BlockRecords,
  decodeHistoryKey,
  decodeSummary,
  decodeTxLocation,
  decodeTxRecord,
  encodeSummary,
  encodeTxLocation,
  heightKey,
  historyKey,
  type IndexedTransfer,
  readHeight,
  receiptOfRecord,
  type StoredSummary,
  TX_RECORD_BYTES,
  TX_RECORDS_PER_GROUP,
  type TxRecord,
  txRecordGroupKey,
} from './codec.js';
import { checkDataFile, mapSizeFor, writeFailure } from './data-file.js';
import { StoreError } from './errors.js';
import type { ChainStore } from './interface.js';
import { DEFAULT_STORE_OPTIONS, type StoreOptions } from './options.js';
import { sortedByKey } from './sort.js';
import {
  encodeUndoChunks,
  UNDO_ACCOUNT,
  UNDO_MARKER,
  UNDO_TREE,
  type UndoEntry,
  undoChunkOf,
  undoEntry,
  undoKey,
} from './undo.js';

/** Everything one committed block changes, written atomically by `commitBlock`. */
export interface BlockCommit {
  block: Block;
  hash: Uint8Array;
  receipts: readonly Receipt[];
  /** Final value of every account the block changed. */
  accounts: Iterable<AccountChange>;
  /** Account-tree nodes to write and delete (src/commitment's TreeUpdate). */
  tree: { puts: ReadonlyArray<readonly [Uint8Array, Uint8Array]>; deletes: readonly Uint8Array[] };
  /** The quorum certificate that certifies this block, when known at commit time. */
  commitQc?: Uint8Array;
  /**
   * What proves this block committed from the blocks of its committed run that are not
   * stored yet (src/chain commitProofPoints): written in this block's batch, so the block
   * is provable as soon as its commit returns.
   */
  commitProof?: StoredCommitProofPoint;
  /**
   * What the block replaced: the value before it of every tree node it wrote or deleted and
   * of every account it changed (undefined: absent). Without it, heights below this block
   * are not provable (proveAccountAt).
   */
  undo?: { nodes: readonly UndoEntry[]; accounts: readonly UndoEntry[] };
  /**
   * The block's transfers as executed, in block order (the VerifiedTransfers the executor
   * already holds): their signed fields go into the tx records, with no decode at commit.
   */
  transfers: readonly IndexedTransfer[];
  /** Base fees the block burned (ExecutedBlock.burned). */
  burned: bigint;
  /** Accounts the block created: changed accounts that did not exist before it. */
  createdAccounts: number;
}

/**
 * A proof point: the headers above the block up to a committed block D (`chain`, empty or
 * absent when D is the block itself), D's child C one round after D, and the QC certifying C.
 */
export interface StoredCommitProofPoint {
  chain?: readonly BlockHeader[];
  child: BlockHeader;
  childQc: Uint8Array;
}

/**
 * A proof of commit of the block at some height (docs/PROTOCOL.md "Commit"; the shape
 * src/client's CommitProof checks): `header` (B), the headers above it up to the
 * committed block D (`chain`, empty when D is B), D's child C and the QC certifying C.
 */
export interface StoredCommitProof {
  header: BlockHeader;
  chain: BlockHeader[];
  child: BlockHeader;
  childQc: Uint8Array;
}

/**
 * Headers a proof of commit may carry from the proven block up to D, D included (src/client's
 * default maxCommitChainHeaders): a proof point further up is refused (PROOF_TOO_LONG).
 */
export const MAX_COMMIT_PROOF_HEADERS = 64;

/** An account and its proof against the state root of a committed block (proveAccountAt). */
export interface StoredAccountProof {
  height: number;
  header: BlockHeader;
  address: Address;
  /** The account at that height, or null when the proof shows it did not exist. */
  account: Account | null;
  proof: TreeProof;
}

/** Running totals after a block, carried from one summary to the next. */
interface Totals {
  txs: number;
  accounts: number;
}

export interface Head {
  height: number;
  hash: Uint8Array;
}

export interface TxLocation {
  height: number;
  index: number;
}

export interface HistoryPage {
  items: Array<TxLocation & { txHash: Uint8Array }>;
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * A bucket: binary keys and values. Writes take plain Uint8Arrays (lmdb-js copies them
 * inside the call); reads return Buffers.
 */
type Bin = Database<Uint8Array, Uint8Array>;

const META_GENESIS = Buffer.from('genesisHash');
const META_HEAD = Buffer.from('head');
const META_FORMAT = Buffer.from('format');

/**
 * The layout version of the buckets. 1 (never written): before the summaries and tx
 * records of the explorer. 2: headers without a receipts root. 3: one tx record per
 * transaction and a receipts bucket. 4: the same buckets, whose blocks' QCs are signed over
 * the consensus digests v1 (without the genesis id, docs/PROTOCOL.md), which v2 nodes
 * cannot verify. A store of another version is refused, never misread.
 */
export const STORE_FORMAT = 5;

function formatValue(version: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, version);
  return out;
}

export const MAX_HISTORY_PAGE = 100;

function buf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A commit queues the puts of each bucket sorted by key (byKey): lmdb's writer thread then
 * walks the B-tree left to right, so consecutive puts land on pages it has just copied and
 * still has in cache (BENCHMARKS.md, "Ledger core").
 */
function putAll(db: Bin, records: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): void {
  for (let i = 0; i < records.length; i++) db.put(records[i][0], records[i][1]);
}

/** Where an RLP list's payload starts and how long it is (the block's outer list, its header). */
function rlpListPrefix(bytes: Uint8Array, at: number): { payloadAt: number; payloadBytes: number } {
  const b = bytes[at];
  if (b === undefined || b < 0xc0) throw new StoreError('CORRUPT_STORE', 'stored block is not an RLP list');
  if (b <= 0xf7) return { payloadAt: at + 1, payloadBytes: b - 0xc0 };
  const lengthBytes = b - 0xf7;
  let length = 0;
  for (let i = 1; i <= lengthBytes; i++) length = length * 256 + bytes[at + i];
  return { payloadAt: at + 1 + lengthBytes, payloadBytes: length };
}

/** Refuses a proof point that does not start above `header` and end in a 2-chain. */
function checkProofPoint(header: BlockHeader, hash: Uint8Array, point: StoredCommitProofPoint): void {
  const chain = point.chain ?? [];
  if (chain.length + 1 > MAX_COMMIT_PROOF_HEADERS)
    throw new StoreError(
      'PROOF_TOO_LONG',
      `block ${header.height}: its proof point carries ${chain.length} headers`,
    );
  let parent = header;
  let parentHash = hash;
  for (const h of [...chain, point.child]) {
    if (h.height !== parent.height + 1 || !equalBytes(h.parentHash, parentHash))
      throw new StoreError(
        'NOT_NEXT_BLOCK',
        `block ${header.height}: its proof point is not a chain above it`,
      );
    parent = h;
    parentHash = hashHeader(h);
  }
  const committed = chain.at(-1) ?? header;
  if (point.child.round !== committed.round + 1)
    throw new StoreError(
      'NOT_NEXT_BLOCK',
      `block ${header.height}: its proof point's child is not one round later`,
    );
}

/**
 * Decodes a stored proof point: rlp([child header, QC(child), [chain headers]]). Anything
 * but that one encoding is CORRUPT_STORE, never the RLP library's or a header's own error,
 * so a damaged record is reported as the store's fault.
 */
export function decodeProofPoint(value: Uint8Array): {
  chain: BlockHeader[];
  child: BlockHeader;
  childQc: Uint8Array;
} {
  const corrupt = (why: string, cause?: unknown) =>
    new StoreError('CORRUPT_STORE', `a stored proof point ${why}`, { cause });
  let items: RlpValue;
  try {
    // two levels deep; a header is a byte string here, so no item count beyond the input's
    items = decodeRlp(value, { maxDepth: 2, maxItems: value.length + 1 });
  } catch (err) {
    throw corrupt('is not RLP', err);
  }
  const [child, childQc, chain] = Array.isArray(items) ? items : [];
  if (
    !Array.isArray(items) ||
    items.length !== 3 ||
    !(child instanceof Uint8Array) ||
    !(childQc instanceof Uint8Array) ||
    !Array.isArray(chain) ||
    !chain.every((h) => h instanceof Uint8Array)
  )
    throw corrupt('is not [child, QC, [headers]]');
  if (!equalBytes(RLP.encode(items), value)) throw corrupt('is not canonical RLP');
  try {
    return {
      child: decodeHeader(child),
      childQc: Uint8Array.from(childQc),
      chain: (chain as Uint8Array[]).map((h) => decodeHeader(h)),
    };
  } catch (err) {
    throw corrupt(`holds a header that does not decode: ${(err as Error).message}`, err);
  }
}

export class LedgerStore implements ChainStore {
  private readonly meta: Bin;
  private readonly blocks: Bin;
  private readonly blockIds: Bin;
  private readonly commitQcs: Bin;
  private readonly commitProofs: Bin;
  private readonly txs: Bin;
  private readonly history: Bin;
  private readonly accounts: Bin;
  private readonly tree: Bin;
  private readonly undo: Bin;
  /** Heights whose proof point carries a chain, written by this process: height -> top of the chain. */
  private readonly chainedProofTops = new Map<number, number>();
  /** Undo keys written per height not yet pruned in this process (pruning deletes exactly these). */
  private readonly undoKeysByHeight = new Map<number, Uint8Array[]>();
  private readonly options: StoreOptions;
  private readonly summaries: Bin;
  private readonly txRecords: Bin;
  /** Running totals as of `tail` (the next summary adds to them). */
  private tailTotals: Totals = { txs: 0, accounts: 0 };
  /** The round of `tail` (a block one round later with its QC proves it committed). */
  private tailRound = 0;
  private readonly headListeners = new Set<(head: Head) => void>();
  /** The durable head: the last block whose commit has returned. */
  private cachedHead: Head | undefined;
  /** The head once every queued commit lands; commits are checked against it, so they can pipeline. */
  private tail: Head | undefined;
  /** Set when a write fails: the store refuses further commits rather than leave a gap. */
  private failure: StoreError | undefined;
  /** Settles once the last commit queued has moved the head or failed (never rejects). */
  private landed: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly env: RootDatabase,
    private readonly dir: string,
    options: Partial<StoreOptions>,
  ) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
    if (!Number.isSafeInteger(this.options.provableHistoryBlocks) || this.options.provableHistoryBlocks < 0)
      throw new StoreError('CORRUPT_STORE', 'provableHistoryBlocks must be a non-negative integer');
    const bucket = (name: string): Bin =>
      env.openDB(name, { keyEncoding: 'binary', encoding: 'binary' }) as unknown as Bin;
    this.meta = bucket('meta');
    this.blocks = bucket('blocks');
    this.blockIds = bucket('blockIds');
    this.commitQcs = bucket('commitQcs');
    this.commitProofs = bucket('commitProofs');
    this.txs = bucket('txs');
    this.history = bucket('history');
    this.accounts = bucket('accounts');
    this.tree = bucket('tree');
    this.undo = bucket('undo');
    this.summaries = bucket('summaries');
    this.txRecords = bucket('txRecords');
    this.cachedHead = this.readHead();
    this.tail = this.cachedHead;
  }

  /** Committed heights below the head at which accounts stay provable (store option). */
  get provableHistoryBlocks(): number {
    return this.options.provableHistoryBlocks;
  }

  /** The stored format version; undefined in a store that never had one written. */
  private formatVersion(): number | undefined {
    const v = this.meta.getBinary(META_FORMAT);
    return v && v.length === 4 ? v.readUInt32BE(0) : undefined;
  }

  private loadTotals(): void {
    if (!this.cachedHead) return;
    const summary = this.getSummary(this.cachedHead.height);
    if (!summary)
      throw new StoreError('CORRUPT_STORE', `the head block ${this.cachedHead.height} has no summary`);
    this.tailTotals = { txs: summary.totalTxs, accounts: summary.totalAccounts };
    this.tailRound = summary.round;
  }

  /**
   * Opens (or creates) the store in `dir` for the chain whose genesis block hash is
   * `genesisHash`. A store that belongs to another chain refuses to open.
   */
  static open(dir: string, genesisHash: Uint8Array, options: Partial<StoreOptions> = {}): LedgerStore {
    // before lmdb maps the file: a damaged one would kill the process, not throw
    checkDataFile(dir);
    // eventTurnBatching off: a commit's batch (transact) closes its transaction at the end of
    // the batch, not at the next turn of the event loop, so lmdb's writer thread commits and
    // flushes it while the caller executes the next block (the node and bench:core return
    // to synchronous execution without yielding). Atomicity comes from the batch itself.
    // overlappingSync off (lmdb-js turns it on by default but on Windows): with it, a transaction's
    // meta page could land while its data pages met a full disk, and the store reopened on a
    // head whose tree pages were never written (the full-disk e2e test: "certified block
    // does not execute" after the restart, in 3 runs of 10); its flushes also never settled
    // after such a failure. Without it a transaction is durable, or failed, when it resolves.
    const mapSize = mapSizeFor(options.mapSizeBytes ?? DEFAULT_STORE_OPTIONS.mapSizeBytes);
    const env = open({
      path: dir,
      ...(mapSize > 0 ? { mapSize } : {}),
      maxDbs: 16,
      keyEncoding: 'binary',
      encoding: 'binary',
      eventTurnBatching: false,
      overlappingSync: false,
    });
    let store: LedgerStore;
    try {
      store = new LedgerStore(env, dir, options);
    } catch (err) {
      env.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError(
        'CORRUPT_STORE',
        `data directory ${dir} cannot be read: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const stored = store.genesisHash();
    if (stored && !equalBytes(stored, genesisHash)) {
      env.close();
      throw new StoreError(
        'GENESIS_MISMATCH',
        `data directory ${dir} belongs to the chain with genesis ${toHex(stored)}, not ${toHex(genesisHash)}; use another --data directory`,
      );
    }
    const format = store.formatVersion() ?? (stored ? 1 : undefined);
    if (format !== undefined && format !== STORE_FORMAT) {
      env.close();
      throw new StoreError(
        'UNSUPPORTED_FORMAT',
        `data directory ${dir} holds store format ${format}, this node reads format ${STORE_FORMAT}: start from a fresh data directory (move or delete this one; the node syncs the chain from its peers)`,
      );
    }
    try {
      store.checkRecords(genesisHash);
      store.loadTotals();
    } catch (err) {
      env.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError(
        'CORRUPT_STORE',
        `data directory ${dir} is damaged: its records do not decode (${(err as Error).message})`,
        { cause: err },
      );
    }
    return store;
  }

  /**
   * Refuses a store whose records contradict each other, rather than take it for a new one
   * or serve from it: chain data without a genesis record (which a new store would get
   * written over it), a genesis record without a head, a head whose block is missing or
   * hashes to something else, a block 0 that is not this chain's genesis.
   */
  private checkRecords(genesisHash: Uint8Array): void {
    const damaged = (why: string) =>
      new StoreError(
        'CORRUPT_STORE',
        `data directory ${this.dir} is damaged: ${why}; move it aside and start from an empty one (the node syncs the chain from its peers)`,
      );
    const stored = this.genesisHash();
    if (!stored) {
      for (const _ of this.meta.getKeys({ limit: 1 }))
        throw damaged('it holds chain records but no genesis record');
      for (const _ of this.blocks.getKeys({ limit: 1 }))
        throw damaged('it holds blocks but no genesis record');
      return;
    }
    if (stored.length !== 32) throw damaged('its genesis record is not a block hash');
    const head = this.cachedHead;
    if (!head) throw damaged('it has a genesis record but no head');
    const genesisHeader = this.getHeader(0);
    if (!genesisHeader || !equalBytes(hashHeader(genesisHeader), genesisHash))
      throw damaged('its block 0 is missing or is not the genesis block');
    const headHeader = this.getHeader(head.height);
    if (!headHeader || !equalBytes(hashHeader(headHeader), head.hash))
      throw damaged(`its head names block ${head.height}, which is missing or has another hash`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // After a failed write nothing is left to land: the close is started, not awaited (with
    // overlappingSync, off since, lmdb-js settled neither `flushed` nor `close()` then).
    if (!this.failure) {
      try {
        await this.env.flushed;
      } catch (err) {
        this.failure = this.writeFailure(err);
      }
    }
    const closing = this.env.close();
    if (!this.failure) await closing;
    else closing.catch(() => {});
  }

  genesisHash(): Uint8Array | undefined {
    const v = this.meta.getBinary(META_GENESIS);
    return v && u8(v);
  }

  isInitialised(): boolean {
    return this.cachedHead !== undefined;
  }

  /** The last committed block; throws NOT_INITIALISED before genesis is written. */
  head(): Head {
    if (!this.cachedHead) throw new StoreError('NOT_INITIALISED', 'the store holds no genesis block yet');
    return this.cachedHead;
  }

  private readHead(): Head | undefined {
    const v = this.meta.getBinary(META_HEAD);
    if (!v) return undefined;
    if (v.length !== 40)
      throw new StoreError('CORRUPT_STORE', `data directory ${this.dir}: the head record is damaged`);
    return { height: readHeight(v), hash: u8(v).slice(8, 40) };
  }

  /** Writes the genesis block (height 0) and its allocations. */
  async initialise(genesis: BlockCommit): Promise<void> {
    if (this.tail) throw new StoreError('ALREADY_INITIALISED', 'the store already has a genesis block');
    if (genesis.block.header.height !== 0)
      throw new StoreError('NOT_NEXT_BLOCK', 'genesis must have height 0');
    await this.write(genesis, true);
  }

  /**
   * Atomically commits the next block with its receipts, indexes, account changes and
   * tree nodes; resolves once flushed to disk. A caller may call again before the previous
   * commit resolved (execution of the next block overlaps the disk write): commits land
   * in call order, each checked against the block queued before it.
   */
  async commitBlock(commit: BlockCommit): Promise<void> {
    if (this.failure)
      throw new StoreError(this.failure.code, `an earlier commit failed: ${this.failure.message}`);
    const head = this.tail;
    if (!head) throw new StoreError('NOT_INITIALISED', 'the store holds no genesis block yet');
    const { header } = commit.block;
    if (header.height !== head.height + 1 || !equalBytes(header.parentHash, head.hash)) {
      throw new StoreError(
        'NOT_NEXT_BLOCK',
        `block ${header.height} (parent ${toHex(header.parentHash)}) does not extend head ${head.height} (${toHex(head.hash)})`,
      );
    }
    if (commit.commitProof) checkProofPoint(commit.block.header, commit.hash, commit.commitProof);
    await this.write(commit, false);
  }

  private async write(commit: BlockCommit, isGenesis: boolean): Promise<void> {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
    if (this.failure)
      throw new StoreError(this.failure.code, `an earlier commit failed: ${this.failure.message}`);
    const head = { height: commit.block.header.height, hash: commit.hash.slice() };
    this.tail = head;
    // transact queues the batch now, in call order; only the head's move waits below
    const landing = this.land(head, this.transact(commit, isGenesis), this.landed);
    this.landed = landing.then(
      () => {},
      () => {},
    );
    await landing;
  }

  /**
   * Moves the head to `head` once its write and every commit queued before it landed.
   * lmdb-js lands the batches in order, but a commit's `await env.flushed` waits for
   * whichever flush is pending when it is called (a later transaction's, once more commits
   * were queued), so the continuations of pipelined commits can run out of call order:
   * without the wait on `before` the head fell back to an earlier block once the later
   * ones had landed, and head listeners saw the heights out of order. A failure is
   * recorded only once the commits before it landed, so it fails the commits after it,
   * never an earlier one whose write is durable.
   */
  private async land(head: Head, written: Promise<void>, before: Promise<void>): Promise<void> {
    try {
      await written;
    } catch (e) {
      const err = e instanceof StoreError ? e : this.writeFailure(e);
      await before;
      this.failure ??= err;
      throw err;
    }
    await before;
    // a block whose parent failed to land is not part of the chain, whatever lmdb wrote
    if (this.failure)
      throw new StoreError(this.failure.code, `an earlier commit failed: ${this.failure.message}`);
    this.cachedHead = head;
    for (const listener of this.headListeners) listener(head);
  }

  /**
   * Calls `listener` each time the durable head moves (after the commit's flush, so a
   * reader that then asks for the new head's block finds it); returns the unsubscribe.
   * Listeners run synchronously in the commit's continuation and must be cheap and not throw.
   */
  onHead(listener: (head: Head) => void): () => void {
    this.headListeners.add(listener);
    return () => this.headListeners.delete(listener);
  }

  private async transact(commit: BlockCommit, isGenesis: boolean): Promise<void> {
    const { block, hash, receipts } = commit;
    const height = block.header.height;
    const hk = heightKey(height);
    const headValue = new Uint8Array(40);
    headValue.set(hk, 0);
    headValue.set(hash, 8);
    const blockBytes = encodeBlock(block);
    const proofRecords = this.proofRecordsOf(commit, isGenesis);
    const undoRecords = this.undoRecordsOf(commit);
    const undoPrunes = this.undoPrunesAt(height);
    const accounts = Array.isArray(commit.accounts)
      ? (commit.accounts as AccountChange[])
      : [...commit.accounts];
    // Every small key and value of the block in one buffer: one allocation instead of one per
    // record, and lmdb-js resolves the address of one ArrayBuffer instead of thousands.
    const { transfers } = commit;
    if (transfers.length !== receipts.length)
      throw new StoreError(
        'CORRUPT_STORE',
        `block ${height}: ${transfers.length} transfers for ${receipts.length} receipts`,
      );
    const records = new BlockRecords(height, receipts.length, accounts.length);
    let gasUsed = 0n;
    let fees = 0n;
    for (let index = 0; index < receipts.length; index++) {
      const r = receipts[index];
      records.addTx(r, transfers[index], index);
      gasUsed += r.gasUsed;
      fees += r.fee;
    }
    for (let i = 0; i < accounts.length; i++) records.addAccount(accounts[i].address, accounts[i].account);
    const txs = sortedByKey(records.txs);
    const history = sortedByKey(records.history);
    const accountRecords = sortedByKey(records.accounts);
    const totals: Totals = {
      txs: (isGenesis ? 0 : this.tailTotals.txs) + receipts.length,
      accounts: (isGenesis ? 0 : this.tailTotals.accounts) + commit.createdAccounts,
    };
    const summary = encodeSummary({
      hash,
      parentHash: block.header.parentHash,
      round: block.header.round,
      timestampMs: block.header.timestampMs,
      proposer: block.header.proposer,
      txCount: receipts.length,
      sizeBytes: blockBytes.length,
      gasUsed,
      fees,
      burned: commit.burned,
      totalTxs: totals.txs,
      totalAccounts: totals.accounts,
    });
    // the next queued commit adds to these, before this one has landed
    this.tailTotals = totals;
    this.tailRound = block.header.round;
    const { deletes } = commit.tree;
    const treePuts = sortedByKey(commit.tree.puts); // a new array: the caller's stays as is
    // One lmdb batch: the puts are queued as instructions that lmdb's writer thread applies
    // in a single transaction (the batch is atomic), so the B-tree work of about 7,600
    // records per 1,000-tx block runs beside the next block's execution instead of on the
    // main thread (a `transaction` callback runs its puts on the main thread). The writer
    // reads the values after this call returns: every value here is fresh or never mutated.
    // Everything that can fail is computed above, so the callback only queues puts.
    await this.env.batch(() => {
      if (isGenesis) {
        this.meta.put(META_GENESIS, hash);
        this.meta.put(META_FORMAT, formatValue(STORE_FORMAT));
      }
      this.blocks.put(hk, blockBytes);
      this.summaries.put(hk, summary);
      this.blockIds.put(hash, hk);
      if (commit.commitQc) this.commitQcs.put(hk, commit.commitQc);
      for (const key of proofRecords.removes) this.commitProofs.remove(key);
      for (const [key, value] of proofRecords.puts) this.commitProofs.put(key, value);
      for (const key of undoPrunes) this.undo.remove(key);
      putAll(this.undo, undoRecords);
      putAll(this.txs, txs);
      putAll(this.history, history);
      // keys ascend with the index: lmdb appends them at the end of the bucket
      putAll(this.txRecords, records.txRecordGroups);
      putAll(this.accounts, accountRecords);
      for (let i = 0; i < deletes.length; i++) this.tree.remove(deletes[i]);
      putAll(this.tree, treePuts);
      this.meta.put(META_HEAD, headValue);
    });
    await this.env.flushed;
  }

  /**
   * The proof-point records a commit writes and deletes (docs/FORMATS.md "Proofs of commit"):
   * - the block's own point when given (rlp([child, QC(child), [chain...]]));
   * - when the block is one round after its parent and comes with its QC, the parent's
   *   point is this block: an empty record at the parent's height replaces the fuller one;
   * - points written earlier by this process whose chain reaches this block are deleted:
   *   the nearest point at or above them is now this block's, readable from the chain.
   */
  private proofRecordsOf(
    commit: BlockCommit,
    isGenesis: boolean,
  ): { puts: Array<[Uint8Array, Uint8Array]>; removes: Uint8Array[] } {
    const { header } = commit.block;
    const puts: Array<[Uint8Array, Uint8Array]> = [];
    const removes: Uint8Array[] = [];
    for (const [height, top] of this.chainedProofTops) {
      if (top > header.height) continue;
      removes.push(heightKey(height));
      this.chainedProofTops.delete(height);
    }
    if (!isGenesis && commit.commitQc && header.round === this.tailRound + 1)
      puts.push([heightKey(header.height - 1), new Uint8Array(0)]);
    const proof = commit.commitProof;
    if (proof) {
      const chain = proof.chain ?? [];
      puts.push([
        heightKey(header.height),
        RLP.encode([encodeHeader(proof.child), proof.childQc, chain.map(encodeHeader)]),
      ]);
      if (chain.length > 0) this.chainedProofTops.set(header.height, header.height + chain.length);
    }
    return { puts, removes };
  }

  /** The undo records of a commit (undo.ts): its chunks and its marker, keys ascending. */
  private undoRecordsOf(commit: BlockCommit): Array<[Uint8Array, Uint8Array]> {
    if (!commit.undo || this.options.provableHistoryBlocks === 0) return [];
    const { height } = commit.block.header;
    const out: Array<[Uint8Array, Uint8Array]> = [];
    for (const [chunk, value] of encodeUndoChunks(UNDO_TREE, commit.undo.nodes))
      out.push([undoKey(height, UNDO_TREE, chunk), value]);
    for (const [chunk, value] of encodeUndoChunks(UNDO_ACCOUNT, commit.undo.accounts))
      out.push([undoKey(height, UNDO_ACCOUNT, chunk), value]);
    out.push([undoKey(height, UNDO_MARKER, 0), new Uint8Array(0)]);
    this.undoKeysByHeight.set(
      height,
      out.map(([key]) => key),
    );
    return out;
  }

  /**
   * Undo keys the commit of `height` deletes: those of height - K, which no provable height
   * needs any more (heights head - K .. head read the records of head - K + 1 .. head). Keys
   * written by this process are remembered (their write may still be in flight); older ones
   * were written by an earlier run, so they are durable and a range read finds them.
   */
  private undoPrunesAt(height: number): Uint8Array[] {
    if (this.options.provableHistoryBlocks === 0) return []; // none written
    const old = height - this.options.provableHistoryBlocks;
    if (old < 1) return [];
    const known = this.undoKeysByHeight.get(old);
    if (known) {
      this.undoKeysByHeight.delete(old);
      return known;
    }
    const keys: Uint8Array[] = [];
    for (const key of this.undo.getKeys({ start: undoKey(old, 0, 0), end: undoKey(old + 1, 0, 0) }))
      keys.push(u8(Buffer.from(key)));
    return keys;
  }

  /**
   * The account at `address` with its proof against the state root of the committed block
   * at `height`: any height from head - provableHistoryBlocks to the head. Older heights,
   * heights above the head, and heights whose newer blocks were committed without undo
   * records throw StoreError NOT_PROVABLE. Reads one consistent snapshot (synchronous) and
   * checks the rebuilt tree's root against the header before answering.
   */
  proveAccountAt(height: number, address: Address): StoredAccountProof {
    const head = this.readHead();
    if (!head) throw new StoreError('NOT_INITIALISED', 'the store holds no genesis block yet');
    const oldest = Math.max(0, head.height - this.options.provableHistoryBlocks);
    if (!Number.isSafeInteger(height) || height < oldest || height > head.height)
      throw new StoreError(
        'NOT_PROVABLE',
        `accounts are provable at committed heights ${oldest} to ${head.height}, not at ${height}`,
      );
    const header = this.getHeader(height);
    if (!header) throw new StoreError('CORRUPT_STORE', `committed block ${height} is missing`);
    for (let h = height + 1; h <= head.height; h++)
      if (!this.undo.getBinary(buf(undoKey(h, UNDO_MARKER, 0))))
        throw new StoreError('NOT_PROVABLE', `block ${h} was committed without undo records`);
    // Each chunk is read once (getBinary: a copy, which the reader's answers stay views of).
    const chunks = new Map<number, Uint8Array | undefined>();
    const chunkOf = (h: number, kind: number, chunk: number): Uint8Array | undefined => {
      const id = (h - height) * 1024 + kind * 256 + chunk;
      if (chunks.has(id)) return chunks.get(id);
      const v = this.undo.getBinary(buf(undoKey(h, kind, chunk)));
      const value = v && u8(v);
      chunks.set(id, value);
      return value;
    };
    // The value of `key` at `height`: its current value with blocks head .. height + 1 undone
    // in turn (a record may be a diff against what its block wrote).
    const valueAt = (kind: number, key: Uint8Array, current: Uint8Array | undefined) => {
      const chunk = undoChunkOf(kind, key);
      let value = current;
      for (let h = head.height; h > height; h--) {
        const records = chunkOf(h, kind, chunk);
        const entry = records && undoEntry(records, key, value);
        if (entry) value = entry.before;
      }
      return value;
    };
    const nodes = new Map<string, Uint8Array | undefined>();
    const reader: TreeReader = {
      getNode: (key) => {
        const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
        if (nodes.has(id)) return nodes.get(id);
        const value = valueAt(UNDO_TREE, key, this.getNode(key));
        nodes.set(id, value);
        return value;
      },
    };
    if (!equalBytes(rootOf(reader), header.stateRoot))
      throw new StoreError(
        'CORRUPT_STORE',
        `the account tree read at height ${height} is not its state root`,
      );
    const stored = this.accounts.getBinary(buf(address));
    const value = valueAt(UNDO_ACCOUNT, address, stored && u8(stored));
    const account = value && decodeAccount(value);
    return {
      height,
      header,
      address,
      account: account ?? null,
      proof: proveKey(reader, accountKey(address)),
    };
  }

  /** Adds the QC that certifies an already committed block (it arrives one round later). */
  async putCommitQc(height: number, qc: Uint8Array): Promise<void> {
    const header = this.getHeader(height);
    const parent = height > 0 ? this.getSummary(height - 1) : undefined;
    try {
      await this.env.batch(() => {
        this.commitQcs.put(buf(heightKey(height)), buf(qc));
        // with its QC, a block one round after its parent proves the parent committed
        if (header && parent && header.round === parent.round + 1)
          this.commitProofs.put(heightKey(height - 1), new Uint8Array(0));
      });
      await this.env.flushed;
    } catch (err) {
      throw this.writeFailure(err);
    }
  }

  /** The typed error of a failed write (DISK_FULL or WRITE_FAILED). */
  private writeFailure(err: unknown): StoreError {
    return writeFailure(err, this.dir, 'the chain store', this.options.diskFullFreeBytes);
  }

  /**
   * The proof of commit of the committed block at `height`, from the nearest proof point at
   * or above it (one lmdb seek: the proof of every height below a proof point D and above
   * the one before is D's). Undefined when the block is not committed or no proof point
   * above it is stored yet (a crash between the blocks of a run, until the next commit).
   * Throws PROOF_TOO_LONG when the nearest point is more than MAX_COMMIT_PROOF_HEADERS
   * headers up: a stretch with no two consecutive rounds, which no shorter proof covers.
   */
  getCommitProof(height: number): StoredCommitProof | undefined {
    // the head as written, not as announced: a later batch of the run may have landed (and
    // replaced this height's point) before the listeners of an earlier one ran
    const head = this.readHead();
    if (!head || !Number.isSafeInteger(height) || height < 0 || height > head.height) return undefined;
    let point: { key: Uint8Array; value: Uint8Array } | undefined;
    for (const entry of this.commitProofs.getRange({ start: heightKey(height), limit: 1 })) point = entry;
    if (!point) return undefined;
    const at = readHeight(point.key);
    if (at > head.height) return undefined; // not possible within one read snapshot
    const stored = point.value.length === 0 ? undefined : decodeProofPoint(point.value);
    const top = at + (stored?.chain.length ?? 0);
    if (top - height + 1 > MAX_COMMIT_PROOF_HEADERS)
      throw new StoreError(
        'PROOF_TOO_LONG',
        `block ${height} is proven only by block ${top}, ${top - height + 1} headers up (limit ${MAX_COMMIT_PROOF_HEADERS})`,
      );
    const headers: BlockHeader[] = [];
    for (let h = height; h <= at; h++) {
      const header = this.getHeader(h);
      if (!header) throw new StoreError('CORRUPT_STORE', `proof of block ${height} misses block ${h}`);
      headers.push(header);
    }
    const [header, ...chain] = headers;
    if (!stored) {
      const child = this.getHeader(at + 1);
      const childQc = this.getCommitQc(at + 1);
      if (!child || !childQc)
        throw new StoreError(
          'CORRUPT_STORE',
          `proof point ${at} names block ${at + 1}, which is not stored whole`,
        );
      return { header, chain, child, childQc };
    }
    return { header, chain: [...chain, ...stored.chain], child: stored.child, childQc: stored.childQc };
  }

  getBlock(height: number): Block | undefined {
    const v = this.blocks.getBinary(buf(heightKey(height)));
    return v && decodeBlock(u8(v));
  }

  /**
   * The stored canonical encoding of the committed block at `height` (as encodeBlock wrote
   * it): what block requests and block sync send, with no decode and no encode.
   */
  getBlockBytes(height: number): Uint8Array | undefined {
    const v = this.blocks.getBinary(buf(heightKey(height)));
    return v && u8(v);
  }

  /** getBlockBytes by block id. */
  getBlockBytesByHash(hash: Uint8Array): Uint8Array | undefined {
    const height = this.getBlockHeight(hash);
    return height === undefined ? undefined : this.getBlockBytes(height);
  }

  getBlockHeight(hash: Uint8Array): number | undefined {
    const v = this.blockIds.getBinary(buf(hash));
    return v && readHeight(v);
  }

  getBlockByHash(hash: Uint8Array): Block | undefined {
    const height = this.getBlockHeight(hash);
    return height === undefined ? undefined : this.getBlock(height);
  }

  getCommitQc(height: number): Uint8Array | undefined {
    const v = this.commitQcs.getBinary(buf(heightKey(height)));
    return v && u8(v).slice();
  }

  /** The receipts of the committed block at `height`, read from its tx records. */
  getReceipts(height: number): Receipt[] | undefined {
    const summary = this.getSummary(height);
    if (!summary) return undefined;
    const records = this.getBlockTxRecords(height, 0, summary.txCount);
    if (records.length !== summary.txCount)
      throw new StoreError('CORRUPT_STORE', `block ${height} misses tx records`);
    return records.map(receiptOfRecord);
  }

  getTxLocation(txHash: Uint8Array): TxLocation | undefined {
    const v = this.txs.getBinary(buf(txHash));
    return v && decodeTxLocation(u8(v));
  }

  /** A committed transaction with its raw bytes, location and receipt. */
  getTransaction(txHash: Uint8Array): (TxLocation & { raw: Uint8Array; receipt: Receipt }) | undefined {
    const loc = this.getTxLocation(txHash);
    if (!loc) return undefined;
    const block = this.getBlock(loc.height);
    const record = this.getTxRecord(loc.height, loc.index);
    if (!block || !record)
      throw new StoreError('CORRUPT_STORE', `tx index points at missing block ${loc.height}`);
    return { ...loc, raw: block.transactions[loc.index], receipt: receiptOfRecord(record) };
  }

  // ---------------------------------------------------------------- explorer indexes

  /** The summary of the committed block at `height` (codec.ts StoredSummary). */
  getSummary(height: number): StoredSummary | undefined {
    const v = this.summaries.getBinaryFast(heightKey(height));
    return v && decodeSummary(height, v);
  }

  /** Up to `limit` summaries from `fromHeight` down (inclusive), newest first. */
  getSummaries(fromHeight: number, limit: number): StoredSummary[] {
    const out: StoredSummary[] = [];
    for (let h = fromHeight; h >= 0 && out.length < limit; h--) {
      const s = this.getSummary(h);
      if (s) out.push(s);
    }
    return out;
  }

  /** The header of the committed block at `height`, decoded without its transactions. */
  getHeader(height: number): BlockHeader | undefined {
    const v = this.blocks.getBinaryFast(heightKey(height));
    if (!v) return undefined;
    // block = rlp([header, txs]): the header is the outer list's first item
    const outer = rlpListPrefix(v, 0);
    const header = rlpListPrefix(v, outer.payloadAt);
    // a copy (u8(v).slice): lmdb-js reuses the buffer of getBinaryFast on the next read
    return decodeHeader(u8(v).slice(outer.payloadAt, header.payloadAt + header.payloadBytes));
  }

  /** The record of the transaction at (`height`, `index`). */
  getTxRecord(height: number, index: number): TxRecord | undefined {
    if (!Number.isSafeInteger(index) || index < 0 || index > 0xffffffff) return undefined;
    const v = this.txRecords.getBinaryFast(txRecordGroupKey(height, index));
    return v && decodeTxRecord(height, index, v, (index % TX_RECORDS_PER_GROUP) * TX_RECORD_BYTES);
  }

  getTxRecordByHash(txHash: Uint8Array): TxRecord | undefined {
    const loc = this.getTxLocation(txHash);
    if (!loc) return undefined;
    const record = this.getTxRecord(loc.height, loc.index);
    if (!record)
      throw new StoreError('CORRUPT_STORE', `tx index points at a missing record at ${loc.height}`);
    return record;
  }

  /** Records of block `height`'s transactions from `fromIndex`, in block order, at most `limit`. */
  getBlockTxRecords(height: number, fromIndex: number, limit: number): TxRecord[] {
    const out: TxRecord[] = [];
    if (limit <= 0 || !Number.isSafeInteger(fromIndex) || fromIndex > 0xffffffff) return out;
    const start = txRecordGroupKey(height, Math.max(0, fromIndex));
    const end = encodeTxLocation(height + 1, 0);
    for (const { key, value } of this.txRecords.getRange({ start, end })) {
      const first = decodeTxLocation(key).index;
      for (let offset = 0; offset < value.length; offset += TX_RECORD_BYTES) {
        const index = first + offset / TX_RECORD_BYTES;
        if (index < fromIndex) continue;
        const record = decodeTxRecord(height, index, value, offset);
        if (record) out.push(record);
        if (out.length === limit) return out;
      }
    }
    return out;
  }

  /**
   * Records of the transactions that sent from or paid to `address`, newest first, starting
   * strictly below `before` (a position in the chain) when given; at most `limit`.
   */
  getAccountTxRecords(address: Address, opts: { before?: TxLocation; limit: number }): TxRecord[] {
    let start = Buffer.from(address);
    if (opts.before) {
      // history keys invert (height, index): the key of `before`, then the smallest key after it
      start = Buffer.concat([historyKey(address, opts.before.height, opts.before.index), Buffer.from([0])]);
    }
    const end = Buffer.concat([Buffer.from(address), Buffer.alloc(12, 0xff), Buffer.from([0])]);
    const out: TxRecord[] = [];
    for (const { key } of this.history.getRange({ start, end, limit: opts.limit })) {
      const { height, index } = decodeHistoryKey(key);
      const record = this.getTxRecord(height, index);
      if (!record) throw new StoreError('CORRUPT_STORE', `history points at a missing record at ${height}`);
      out.push(record);
    }
    return out;
  }

  getAccount(address: Address): Account | undefined {
    // getBinaryFast: a view of lmdb-js's shared buffer, decoded before the next read.
    const v = this.accounts.getBinaryFast(address);
    return v && decodeAccount(v);
  }

  /** Tree nodes for src/commitment (synchronous reads). */
  getNode(nodeKey: Uint8Array): Uint8Array | undefined {
    // getBinary returns a fresh copy: the tree reads a node's digests lazily, after later
    // reads, so getBinaryFast's shared buffer would not do here.
    const v = this.tree.getBinary(buf(nodeKey));
    return v && u8(v);
  }

  /** Number of nodes in the account tree (tests compare it with a fresh build). */
  treeNodeCount(): number {
    return this.tree.getCount();
  }

  /**
   * The transactions that touched `address`, newest first, `limit` per page. The cursor
   * is opaque to callers: the history key of the last item returned, in hex.
   */
  getAccountHistory(address: Address, opts: { limit?: number; cursor?: string } = {}): HistoryPage {
    const limit = Math.min(Math.max(1, opts.limit ?? 25), MAX_HISTORY_PAGE);
    let start = Buffer.from(address);
    if (opts.cursor !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(opts.cursor)) throw new StoreError('INVALID_CURSOR', 'cursor is malformed');
      const after = Buffer.from(opts.cursor, 'hex');
      if (!after.subarray(0, 20).equals(Buffer.from(address))) {
        throw new StoreError('INVALID_CURSOR', 'cursor belongs to another account');
      }
      // The smallest key strictly after `after`.
      start = Buffer.concat([after, Buffer.from([0])]);
    }
    const end = Buffer.concat([Buffer.from(address), Buffer.alloc(12, 0xff), Buffer.from([0])]);
    const items: HistoryPage['items'] = [];
    let lastKey: Uint8Array | undefined;
    let more = false;
    for (const { key, value } of this.history.getRange({ start, end, limit: limit + 1 })) {
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push({ ...decodeHistoryKey(key), txHash: value.slice() });
      lastKey = key;
    }
    return more && lastKey ? { items, nextCursor: buf(lastKey).toString('hex') } : { items };
  }
}
