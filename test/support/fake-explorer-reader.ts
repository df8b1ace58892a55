/**
 * A deterministic in-memory ExplorerReader: a test double of the contract in
 * explorer/server/reader.ts, not a second implementation of the store. It holds a chain
 * of `blocks` committed blocks (heights 0..blocks-1) over four validators, a handful of
 * accounts that pay each other, and a few pending transactions. Everything follows from
 * the options (no clock, no randomness), so two readers built alike answer alike.
 *
 * `addBlock()` commits one more block (taking the pending transactions into it) and tells
 * the listeners; `addPendingTx()` admits one more pending transaction. Cursors are opaque
 * to callers but plain here: a list's tag and a position, base64url-encoded.
 */
import { createHash } from 'node:crypto';
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
  type TxDetail,
  type ValidatorRef,
  type ValidatorsView,
} from '../../explorer/server/index.js';

export interface FakeExplorerOptions {
  /** Committed blocks at the start, genesis included (heights 0..blocks-1). */
  blocks?: number;
  /** Pending transactions at the start. */
  pending?: number;
  /** Transactions of the one big block at height `bigBlockHeight` (for paginated block txs). */
  bigBlockTxs?: number;
  bigBlockHeight?: number;
  /** Timestamp of genesis; each block is `blockTimeMs` after its parent. */
  genesisMs?: number;
  blockTimeMs?: number;
}

const DEFAULTS: Required<FakeExplorerOptions> = {
  blocks: 300,
  pending: 5,
  bigBlockTxs: 230,
  bigBlockHeight: 100,
  genesisMs: 1_700_000_000_000,
  blockTimeMs: 1000,
};

const CHAIN_ID = '7';
const GWEI = 1_000_000_000n;
const ETHER = 10n ** 18n;
const GAS_PER_TRANSFER = 21_000n;
const BASE_FEE = 7n * GWEI;
const TIP = 2n * GWEI;
/** Accounts that send and receive; address ACCOUNTS-1 only ever receives. */
const ACCOUNT_COUNT = 8;
const INITIAL_BALANCE = 1_000_000n * ETHER;

function hex(text: string, bytes = 32): string {
  return `0x${createHash('sha256')
    .update(text)
    .digest('hex')
    .slice(0, bytes * 2)}`;
}

const toHex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;

/** The fake's validators: four, equal power, so the quorum (n - f) is 3. */
export const FAKE_VALIDATORS: ValidatorRef[] = ['alice', 'bob', 'carol', 'dave'].map((name, index) => ({
  index,
  name,
  address: hex(`validator:${name}`, 20),
}));

/** The fake's accounts (lowercase 0x-hex), in a fixed order. */
export const FAKE_ACCOUNTS: string[] = Array.from({ length: ACCOUNT_COUNT }, (_, i) =>
  hex(`account:${i}`, 20),
);

/** An address the fake chain has never touched. */
export const FAKE_UNTOUCHED_ADDRESS = hex('account:never', 20);

const QUORUM = 3;

interface StoredBlock {
  summary: BlockSummary;
  txs: CommittedTx[];
}

function encodeCursor(tag: string, ...position: number[]): string {
  return Buffer.from(`${tag}:${position.join(':')}`).toString('base64url');
}

function decodeCursor(cursor: string, tag: string, parts: number): number[] {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const fields = text.split(':');
  if (fields[0] !== tag || fields.length !== parts + 1) throw new CursorError('not a cursor of this list');
  const numbers = fields.slice(1).map((f) => (/^(0|[1-9]\d{0,15})$/.test(f) ? Number(f) : Number.NaN));
  if (numbers.some((n) => !Number.isSafeInteger(n))) throw new CursorError('not a cursor of this list');
  return numbers;
}

export class FakeExplorerReader implements ExplorerReader {
  private readonly options: Required<FakeExplorerOptions>;
  private readonly chain: StoredBlock[] = [];
  private readonly byBlockHash = new Map<string, number>();
  private readonly committedByHash = new Map<string, CommittedTx>();
  /** Per address, its committed transactions in chain order (sent and received). */
  private readonly history = new Map<string, CommittedTx[]>();
  private readonly balances = new Map<string, bigint>();
  private readonly nonces = new Map<string, bigint>();
  /** Pending, in admission order; `seq` is the keyset position of the mempool list. */
  private pending: Array<{ seq: number; tx: PendingTx }> = [];
  private nextPendingSeq = 0;
  /** Counts every transaction ever made, so each has a distinct hash. */
  private txSerial = 0;
  private readonly listeners = new Set<ExplorerListener>();

  constructor(options: FakeExplorerOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    for (const address of FAKE_ACCOUNTS) this.balances.set(address, INITIAL_BALANCE);
    for (let h = 0; h < this.options.blocks; h++) this.commit(this.scheduledTransfers(h));
    for (let i = 0; i < this.options.pending; i++) this.admit();
  }

  // ------------------------------------------------------------------ driving the fake

  /** Commits one block holding every pending transaction plus `extraTxs` new ones; fires onHead. */
  addBlock(extraTxs = 0): BlockSummary {
    const transfers = this.pending.map(({ tx }) => tx);
    this.pending = [];
    for (let i = 0; i < extraTxs; i++) transfers.push(this.transfer(this.chain.length + i));
    const block = this.commit(transfers);
    for (const listener of [...this.listeners]) listener.onHead(block.height);
    return block;
  }

  /** Admits one pending transaction; fires onPendingTx. */
  addPendingTx(): PendingTx {
    const tx = this.admit();
    for (const listener of [...this.listeners]) listener.onPendingTx(tx);
    return tx;
  }

  /** Listeners subscribed now (a stream that closed must have unsubscribed). */
  listenerCount(): number {
    return this.listeners.size;
  }

  /** A committed transaction of block `height` (for tests that need a real hash). */
  committedTx(height: number, index = 0): CommittedTx | undefined {
    return this.chain[height]?.txs[index];
  }

  pendingTxs(): PendingTx[] {
    return this.pending.map(({ tx }) => tx);
  }

  // ------------------------------------------------------------------ ExplorerReader

  head(): { height: number; hash: string } {
    const top = this.chain[this.chain.length - 1].summary;
    return { height: top.height, hash: top.hash };
  }

  blocks(req: PageRequest & { before?: number }): Page<BlockSummary> {
    let below = req.before === undefined ? this.chain.length : Math.min(req.before, this.chain.length);
    // a forged cursor may name a height above the head
    if (req.cursor !== undefined)
      below = Math.min(decodeCursor(req.cursor, 'blocks', 1)[0], this.chain.length);
    const items: BlockSummary[] = [];
    for (let h = below - 1; h >= 0 && items.length < req.limit; h--) items.push(this.chain[h].summary);
    const last = items[items.length - 1];
    return { items, next: last && last.height > 0 ? encodeCursor('blocks', last.height) : null };
  }

  block(id: { height: number } | { hash: Uint8Array }): BlockDetail | undefined {
    const height = 'height' in id ? id.height : this.byBlockHash.get(toHex(id.hash));
    if (height === undefined) return undefined;
    const stored = this.chain[height];
    if (!stored) return undefined;
    const child = this.chain[height + 1];
    return {
      ...stored.summary,
      chainId: CHAIN_ID,
      stateRoot: hex(`state:${height}`),
      txRoot: hex(`txroot:${height}`),
      parentQc: height === 0 ? null : this.qcFor(this.chain[height - 1].summary),
      qc: child ? this.qcFor(stored.summary) : null,
    };
  }

  blockTxs(height: number, req: PageRequest): Page<CommittedTx> | undefined {
    const stored = this.chain[height];
    if (!stored) return undefined;
    const [from] = req.cursor === undefined ? [0] : decodeCursor(req.cursor, `blocktxs.${height}`, 1);
    const items = stored.txs.slice(from, from + req.limit);
    const end = from + items.length;
    return { items, next: end < stored.txs.length ? encodeCursor(`blocktxs.${height}`, end) : null };
  }

  tx(hash: Uint8Array): TxDetail {
    const key = toHex(hash);
    const committed = this.committedByHash.get(key);
    if (committed) return committed;
    const pending = this.pending.find(({ tx }) => tx.hash === key);
    if (pending) return pending.tx;
    return { hash: key, status: 'unknown' };
  }

  account(address: Uint8Array): AccountView {
    const key = toHex(address);
    const balance = this.balances.get(key);
    const nonce = this.nonces.get(key) ?? 0n;
    const pendingCount = BigInt(this.pending.filter(({ tx }) => tx.from === key).length);
    return {
      address: key,
      balance: (balance ?? 0n).toString(),
      nonce: nonce.toString(),
      pendingNonce: (nonce + pendingCount).toString(),
      exists: balance !== undefined,
    };
  }

  accountTxs(address: Uint8Array, req: PageRequest): Page<CommittedTx> {
    const list = this.history.get(toHex(address)) ?? [];
    // a position is (height, index); a transfer to oneself is listed once
    let end = list.length;
    if (req.cursor !== undefined) {
      const [height, index] = decodeCursor(req.cursor, 'account', 2);
      end = list.findIndex((tx) => tx.height > height || (tx.height === height && tx.index >= index));
      if (end < 0) end = list.length;
    }
    const items = list.slice(Math.max(0, end - req.limit), end).reverse();
    const last = items[items.length - 1];
    const more = last !== undefined && list.indexOf(last) > 0;
    return { items, next: more ? encodeCursor('account', last.height, last.index) : null };
  }

  validators(): ValidatorsView {
    const toHeight = this.chain.length - 1;
    const fromHeight = Math.max(1, toHeight - 99);
    const blocks = Math.max(0, toHeight - fromHeight + 1);
    return {
      window: { fromHeight, toHeight, blocks },
      quorum: QUORUM,
      validators: FAKE_VALIDATORS.map((v) => {
        let made = 0;
        let signed = 0;
        for (let h = fromHeight; h <= toHeight; h++) {
          if (this.chain[h].summary.proposer.index === v.index) made++;
          if (this.signs(v.index, this.chain[h].summary.round)) signed++;
        }
        return {
          ...v,
          peerId: `12D3KooWFake${v.name}`,
          power: 1,
          proposals: { made, missed: v.index === 3 ? 1 : 0 },
          qcShare: blocks === 0 ? 0 : signed / blocks,
          uptime: blocks === 0 ? null : v.index === 3 ? 0.99 : 1,
          evidence: v.index === 3 ? 1 : 0,
        };
      }),
    };
  }

  /** The fake signs nothing, so it holds no proofs: the real reader's are tested over a real store. */
  txProof(hash: Uint8Array): ProofRefusal {
    const status = this.tx(hash).status;
    if (status === 'committed')
      return { refused: 'NOT_PROVABLE', message: 'the fake reader holds no proofs' };
    return status === 'pending'
      ? { refused: 'NOT_COMMITTED', message: 'the transaction is pending' }
      : { refused: 'NOT_FOUND', message: 'the transaction is not committed here' };
  }

  accountProof(): ProofRefusal {
    return { refused: 'NOT_PROVABLE', message: 'the fake reader holds no proofs' };
  }

  mempool(req: PageRequest): Page<PendingTx> {
    const [below] =
      req.cursor === undefined ? [Number.MAX_SAFE_INTEGER] : decodeCursor(req.cursor, 'mempool', 1);
    const items: Array<{ seq: number; tx: PendingTx }> = [];
    for (let i = this.pending.length - 1; i >= 0 && items.length < req.limit; i--)
      if (this.pending[i].seq < below) items.push(this.pending[i]);
    const last = items[items.length - 1];
    const more = last !== undefined && this.pending.some(({ seq }) => seq < last.seq);
    return { items: items.map(({ tx }) => tx), next: more ? encodeCursor('mempool', last.seq) : null };
  }

  stats(): StatsView {
    const height = this.chain.length - 1;
    const windowOf = (size: number) => {
      const first = this.chain[Math.max(0, height - size + 1)].summary;
      const last = this.chain[height].summary;
      const blocks = height - first.height + 1;
      const seconds = (last.timestampMs - first.timestampMs) / 1000;
      let txs = 0;
      for (let h = first.height; h <= height; h++) txs += this.chain[h].summary.txCount;
      const rounds = last.round - first.round;
      return {
        blocks,
        seconds,
        txPerSecond: seconds > 0 ? txs / seconds : 0,
        meanBlockTimeMs: blocks > 1 ? (seconds * 1000) / (blocks - 1) : 0,
        roundsPerBlock: blocks > 1 ? rounds / (blocks - 1) : 0,
      };
    };
    return {
      height,
      totalTxs: this.committedByHash.size,
      totalAccounts: this.balances.size,
      windows: [windowOf(10), windowOf(100)],
      recent: this.chain.slice(Math.max(0, height - 99)).map(({ summary }) => ({
        height: summary.height,
        timestampMs: summary.timestampMs,
        txCount: summary.txCount,
        round: summary.round,
      })),
    };
  }

  subscribe(listener: ExplorerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ------------------------------------------------------------------ the fake's chain

  /** Transactions scheduled for block h: none in genesis, the big block's many, else 0..3. */
  private scheduledTransfers(height: number): PendingTx[] {
    if (height === 0) return [];
    const count = height === this.options.bigBlockHeight ? this.options.bigBlockTxs : height % 4;
    return Array.from({ length: count }, (_, i) => this.transfer(height + i));
  }

  /** A transfer between two of the accounts, chosen by `salt`; the last account only receives. */
  private transfer(salt: number): PendingTx {
    const serial = this.txSerial++;
    const from = FAKE_ACCOUNTS[salt % (ACCOUNT_COUNT - 1)];
    const to = FAKE_ACCOUNTS[(salt * 3 + 1) % ACCOUNT_COUNT];
    const nonce =
      (this.nonces.get(from) ?? 0n) + BigInt(this.pending.filter(({ tx }) => tx.from === from).length);
    return {
      hash: hex(`tx:${serial}`),
      from,
      to,
      value: (BigInt(serial % 97) * GWEI + 1n).toString(),
      nonce: nonce.toString(),
      gasLimit: GAS_PER_TRANSFER.toString(),
      maxFeePerGas: (BASE_FEE + TIP * 2n).toString(),
      maxPriorityFeePerGas: TIP.toString(),
      status: 'pending',
      receivedAtMs: this.options.genesisMs + this.chain.length * this.options.blockTimeMs,
    };
  }

  private admit(): PendingTx {
    const tx = this.transfer(this.nextPendingSeq * 5 + 2);
    this.pending.push({ seq: this.nextPendingSeq++, tx });
    return tx;
  }

  private commit(transfers: PendingTx[]): BlockSummary {
    const height = this.chain.length;
    // every seventh height took two rounds (a timeout before it)
    const round = height + Math.floor(height / 7);
    const hash = hex(`block:${height}`);
    const timestampMs = this.options.genesisMs + height * this.options.blockTimeMs;
    const nonces = new Map<string, bigint>();
    const txs: CommittedTx[] = transfers.map((t, index) => {
      const nonce = nonces.get(t.from) ?? this.nonces.get(t.from) ?? 0n;
      nonces.set(t.from, nonce + 1n);
      const gasUsed = GAS_PER_TRANSFER;
      const price = BASE_FEE + TIP;
      const { status: _status, receivedAtMs: _received, queued: _queued, ...fields } = t;
      return {
        ...fields,
        nonce: nonce.toString(),
        status: 'committed',
        height,
        index,
        blockHash: hash,
        timestampMs,
        receipt: {
          status: 1,
          gasUsed: gasUsed.toString(),
          effectiveGasPrice: price.toString(),
          fee: (gasUsed * price).toString(),
        },
      };
    });
    for (const tx of txs) this.apply(tx);
    for (const [address, nonce] of nonces) this.nonces.set(address, nonce);
    const gasUsed = GAS_PER_TRANSFER * BigInt(txs.length);
    const summary: BlockSummary = {
      height,
      hash,
      parentHash: height === 0 ? `0x${'00'.repeat(32)}` : this.chain[height - 1].summary.hash,
      round,
      timestampMs,
      proposer: FAKE_VALIDATORS[round % FAKE_VALIDATORS.length],
      txCount: txs.length,
      sizeBytes: 600 + 110 * txs.length,
      gasUsed: gasUsed.toString(),
      fees: (gasUsed * (BASE_FEE + TIP)).toString(),
      burned: (gasUsed * BASE_FEE).toString(),
    };
    this.chain.push({ summary, txs });
    this.byBlockHash.set(hash, height);
    return summary;
  }

  private apply(tx: CommittedTx): void {
    this.committedByHash.set(tx.hash, tx);
    const value = BigInt(tx.value);
    const fee = BigInt(tx.receipt.fee);
    this.balances.set(tx.from, (this.balances.get(tx.from) ?? 0n) - value - fee);
    this.balances.set(tx.to, (this.balances.get(tx.to) ?? 0n) + value);
    for (const address of tx.from === tx.to ? [tx.from] : [tx.from, tx.to]) {
      const list = this.history.get(address) ?? [];
      list.push(tx);
      this.history.set(address, list);
    }
  }

  /** Who signs the QC of the block proposed in `round`: all but one, rotating. */
  private signs(index: number, round: number): boolean {
    return index !== (round + 2) % FAKE_VALIDATORS.length;
  }

  private qcFor(block: BlockSummary): QcView {
    const members = FAKE_VALIDATORS.map((v) => ({
      ...v,
      power: 1,
      signed: this.signs(v.index, block.round),
    }));
    return {
      round: block.round,
      blockHash: block.hash,
      quorum: QUORUM,
      votingPower: members.filter((m) => m.signed).length,
      members,
    };
  }
}
