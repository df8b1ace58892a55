/**
 * A prepared explorer for tests: a real ledger store of N committed blocks with transfers
 * among K funded accounts (deterministic: same options, same chain), a real mempool, and a
 * real ExplorerReader (src/node/explorer-reader.ts) over them. `commitBlock` commits one
 * more block, so tests can watch pagination and live updates while blocks arrive;
 * `addPending` admits a transaction to the mempool.
 *
 * Blocks carry QCs shaped like consensus's (encodeQc; the signatures are placeholders, the
 * reader does not verify them): each block's header holds the QC of its parent signed by a
 * rotating quorum, and the store keeps the QC certifying each block. Every `skipRoundEvery`
 * blocks a round commits nothing (its leader "missed"), so validator figures are not flat.
 *
 * For the explorer benchmark: `dir` keeps the store in a directory and reuses it when it was
 * built with the same options (a million transactions take minutes to build), and
 * `hotAccountShare` makes account 0 take part in a given share of the transfers.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { committedView, executeBlock, hashHeader, merkleRoot } from '../../src/chain/index.js';
import type { Block, BlockHeader } from '../../src/chain/types.js';
import { defaultReputation, encodeQc, type QuorumCertificate } from '../../src/consensus/index.js';
import { sha256 } from '../../src/crypto/hash.js';
import { addressOf, publicKeyOf } from '../../src/crypto/keys.js';
import { defaultBackend } from '../../src/crypto/verifier.js';
import { type GenesisValidator, peerIdOfPublicKey, quorumSize } from '../../src/genesis/index.js';
import { Mempool } from '../../src/mempool/index.js';
import { ActivityTracker } from '../../src/node/activity.js';
import { StoreExplorerReader } from '../../src/node/explorer-reader.js';
import { blockCommitOf, LedgerStore, STORE_FORMAT } from '../../src/store/index.js';
import {
  decodeTransfer,
  encodeTransfer,
  signingHashOf,
  type TransferFields,
  type VerifiedTransfer,
  withSender,
} from '../../src/tx/index.js';
import { CHAIN_ID, fixtureGenesis, GWEI, initialiseFixture, PARAMS, testSecrets } from './ledger-fixture.js';

export interface ExplorerStoreOptions {
  /** Blocks committed after genesis (default 50). */
  blocks?: number;
  /** Funded accounts that send and receive (default 8). */
  accounts?: number;
  /** New transfers per block (default 3), after the mempool's pending ones. */
  txsPerBlock?: number;
  /** Genesis validators (default 4). */
  validators?: number;
  /** Every this many blocks, a round commits nothing (default 7; 0: never). */
  skipRoundEvery?: number;
  /** Milliseconds between block timestamps (default 1000). */
  blockIntervalMs?: number;
  /** Seed of the account and validator keys (default 'explorer'). */
  seed?: string;
  /**
   * Keep the store in this directory instead of a temporary one, and leave it there on
   * close. When it holds a store built with the same options, that store is reused as it
   * is (its earlier heights then have empty `txHashes` entries); otherwise (other options,
   * or blocks committed after the build) it is emptied and built anew.
   */
  dir?: string;
  /**
   * Share (0..1) of the new transfers in which account 0 takes part, alternately as sender
   * and as receiver; the other transfers then never involve it. Default: no such account,
   * every account in the rotation alike.
   */
  hotAccountShare?: number;
}

export interface ExplorerStore {
  reader: StoreExplorerReader;
  store: LedgerStore;
  mempool: Mempool;
  activity: ActivityTracker;
  /** Funded accounts' secrets and addresses, in genesis order. */
  secrets: Uint8Array[];
  addresses: Uint8Array[];
  validators: GenesisValidator[];
  /** Hashes of every committed transaction, by height (index 0: genesis, none). */
  txHashes: Uint8Array[][];
  /**
   * Commits one more block: the mempool's pending transactions, then `txs` new transfers
   * (default txsPerBlock); resolves once durable.
   */
  commitBlock(txs?: number): Promise<{ height: number; hash: Uint8Array; txHashes: Uint8Array[] }>;
  /** Signs a transfer from account `from` with its next pending nonce and admits it to the mempool. */
  addPending(from: number, to: Uint8Array, value: bigint): VerifiedTransfer;
  close(): Promise<void>;
}

const GENESIS_TIME_MS = 1_764_000_000_000;
/** Written beside a persistent store once it is fully built: the options it was built with. */
const BUILT_MARKER = 'fixture.json';

export async function createExplorerStore(options: ExplorerStoreOptions = {}): Promise<ExplorerStore> {
  const blocks = options.blocks ?? 50;
  const accountCount = options.accounts ?? 8;
  const txsPerBlock = options.txsPerBlock ?? 3;
  const validatorCount = options.validators ?? 4;
  const skipEvery = options.skipRoundEvery ?? 7;
  const intervalMs = options.blockIntervalMs ?? 1000;
  const seed = options.seed ?? 'explorer';
  const hotShare = options.hotAccountShare;
  if (hotShare !== undefined && !(hotShare >= 0 && hotShare <= 1 && accountCount >= 3))
    throw new RangeError('hotAccountShare must be in 0..1, with at least 3 accounts');
  const built = (genesisHash: Uint8Array) =>
    JSON.stringify({
      // a change to the chain's encodings changes genesis: such a store is rebuilt, not refused
      genesis: Buffer.from(genesisHash).toString('hex'),
      // and a store of another format would be refused at open: rebuilt instead
      format: STORE_FORMAT,
      blocks,
      accountCount,
      txsPerBlock,
      validatorCount,
      skipEvery,
      intervalMs,
      seed,
      hotShare: hotShare ?? null,
    });

  const secrets = testSecrets(accountCount, seed);
  const addresses = secrets.map((s) => addressOf(s));
  const validatorSecrets = testSecrets(validatorCount, `${seed}-validators`);
  const validators: GenesisValidator[] = validatorSecrets.map((s, index) => {
    const publicKey = publicKeyOf(s, true);
    return {
      index,
      name: `validator-${index}`,
      address: addressOf(s),
      publicKey,
      peerId: peerIdOfPublicKey(publicKey),
      power: 1,
    };
  });
  const quorum = quorumSize(validatorCount);
  const genesis = fixtureGenesis(secrets);
  const persistent = options.dir !== undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'explorer-store-')));
  const chainDir = persistent ? join(dir, 'chain') : dir;
  let reuse =
    persistent && (await readFile(join(dir, BUILT_MARKER), 'utf8').catch(() => '')) === built(genesis.hash);
  let store = reuse ? LedgerStore.open(chainDir, genesis.hash) : undefined;
  // blocks committed after the build (commitBlock) make it another store: build anew
  if (store && store.head().height !== blocks) {
    await store.close();
    store = undefined;
    reuse = false;
  }
  if (persistent && !reuse) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
  store ??= LedgerStore.open(chainDir, genesis.hash);
  if (!reuse) await initialiseFixture(store, genesis);
  const nonces = addresses.map((a) => (reuse ? (store.getAccount(a)?.nonce ?? 0n) : 0n));
  // the same signatures as signTransfer's (RFC 6979, low-s), natively when the binding loads
  const signer = defaultBackend();

  const mempool = new Mempool({
    accounts: store,
    params: PARAMS,
    blockLimits: { maxBlockTxs: 10_000, maxBlockBytes: 8 << 20 },
    now: () => GENESIS_TIME_MS + (store.head().height + 1) * intervalMs,
  });
  const activity = new ActivityTracker(validatorCount, quorum);
  const reader = new StoreExplorerReader({
    store,
    mempool,
    chainId: CHAIN_ID,
    validators,
    quorum,
    reputation: defaultReputation(validatorCount),
    evidence: () => [],
    activity,
  });

  const txHashes: Uint8Array[][] = Array.from({ length: store.head().height + 1 }, () => []);
  let parentQc: Uint8Array =
    (reuse ? store.getCommitQc(store.head().height) : undefined) ?? new Uint8Array(0);
  /** New transfers made so far: spreads the hot account's share evenly over them. */
  let transfersMade = reuse ? store.head().height * txsPerBlock : 0;

  const qcFor = (round: number, blockId: Uint8Array, height: number): QuorumCertificate => {
    // a rotating quorum: the validator left out changes from block to block
    const signers = Array.from({ length: validatorCount }, (_, i) => i)
      .filter((i) => (i + height) % validatorCount < quorum)
      .sort((a, b) => a - b);
    return { round, blockId, signers, signatures: signers.map((s) => new Uint8Array(65).fill(s + 1)) };
  };

  const transfer = (from: number, to: Uint8Array, value: bigint): VerifiedTransfer => {
    const fields: TransferFields = {
      chainId: CHAIN_ID,
      nonce: nonces[from]++,
      maxPriorityFeePerGas: GWEI,
      maxFeePerGas: 2n * GWEI,
      gasLimit: 21_000n,
      to,
      value,
    };
    const signed = decodeTransfer(
      encodeTransfer(fields, signer.sign(signingHashOf(fields), secrets[from])),
      CHAIN_ID,
    );
    // the sender is known: no recovery (the fixture signs thousands of these)
    return withSender(signed, addresses[from]);
  };

  const freshAddress = (height: number, i: number) =>
    sha256(new TextEncoder().encode(`${seed}/fresh/${height}/${i}`)).subarray(0, 20);

  /** Sender and receiver of the block's `i`th new transfer. */
  const parties = (height: number, i: number): [number, Uint8Array] => {
    if (hotShare === undefined) {
      const from = (height * 7 + i) % accountCount;
      // mostly among the funded accounts, every fifth to a fresh address (accounts grow)
      const to = i % 5 === 4 ? freshAddress(height, i) : addresses[(from + 1 + i) % accountCount];
      return [from, to];
    }
    const n = transfersMade++;
    // the others rotate over accounts 1..K-1 and never name account 0
    const others = accountCount - 1;
    const other = 1 + ((height * 7 + i) % others);
    if (Math.floor((n + 1) * hotShare) > Math.floor(n * hotShare))
      return Math.floor(n * hotShare) % 2 === 0 ? [0, addresses[other]] : [other, addresses[0]];
    if (i % 5 === 4) return [other, freshAddress(height, i)];
    const receiver = 1 + ((other + i) % others);
    return [other, addresses[receiver === other ? 1 + (other % others) : receiver]];
  };

  const commitBlock = async (count = txsPerBlock) => {
    const head = store.head();
    const parent: BlockHeader = store.getHeader(head.height)!;
    const height = head.height + 1;
    // pending ones first: addPending took their nonces before the new transfers' ones
    const txs: VerifiedTransfer[] = mempool.selectForBlock({ state: store });
    for (let i = 0; i < count; i++) {
      const [from, to] = parties(height, i);
      txs.push(transfer(from, to, BigInt(1000 * height + i)));
    }
    const view = committedView(store);
    const proposerIndex = height % validatorCount;
    const proposer = validators[proposerIndex].address;
    const executed = executeBlock(view, { proposer, transactions: txs }, PARAMS);
    const round = parent.round + (skipEvery > 0 && height % skipEvery === 0 ? 2 : 1);
    const block: Block = {
      header: {
        chainId: CHAIN_ID,
        height,
        round,
        parentHash: head.hash,
        proposer,
        timestampMs: GENESIS_TIME_MS + height * intervalMs,
        txRoot: merkleRoot(txs.map((t) => t.hash)),
        stateRoot: executed.stateRoot,
        receiptsRoot: executed.receiptsRoot,
        parentQc,
      },
      transactions: txs.map((t) => t.raw),
    };
    const hash = hashHeader(block.header);
    const commitQc = encodeQc(qcFor(round, hash, height));
    await store.commitBlock(
      // with undo records, as a node writes them: accounts stay provable below the head
      blockCommitOf({
        block,
        hash,
        executed,
        transfers: txs,
        before: view.state,
        beforeTree: view.tree,
        commitQc,
      }),
    );
    parentQc = commitQc;
    mempool.onCommit(txs, store);
    const hashes = txs.map((t) => t.hash);
    txHashes.push(hashes);
    return { height, hash, txHashes: hashes };
  };

  if (!reuse) {
    for (let b = 0; b < blocks; b++) await commitBlock();
    if (persistent) await writeFile(join(dir, BUILT_MARKER), built(genesis.hash));
  }

  return {
    reader,
    store,
    mempool,
    activity,
    secrets,
    addresses,
    validators,
    txHashes,
    commitBlock,
    addPending(from, to, value) {
      const tx = transfer(from, to, value);
      mempool.addVerified(tx);
      return tx;
    },
    async close() {
      reader.close();
      await store.close();
      if (!persistent) await rm(dir, { recursive: true, force: true });
    },
  };
}
