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
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { committedView, executeBlock, hashHeader, merkleRoot } from '../../src/chain/index.js';
import type { Block, BlockHeader } from '../../src/chain/types.js';
import { defaultReputation, encodeQc, type QuorumCertificate } from '../../src/consensus/index.js';
import { sha256 } from '../../src/crypto/hash.js';
import { addressOf, publicKeyOf } from '../../src/crypto/keys.js';
import { type GenesisValidator, peerIdOfPublicKey, quorumSize } from '../../src/genesis/index.js';
import { Mempool } from '../../src/mempool/index.js';
import { ActivityTracker, StoreExplorerReader } from '../../src/node/index.js';
import { blockCommitOf, LedgerStore } from '../../src/store/index.js';
import { signTransfer, type VerifiedTransfer, withSender } from '../../src/tx/index.js';
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

export async function createExplorerStore(options: ExplorerStoreOptions = {}): Promise<ExplorerStore> {
  const blocks = options.blocks ?? 50;
  const accountCount = options.accounts ?? 8;
  const txsPerBlock = options.txsPerBlock ?? 3;
  const validatorCount = options.validators ?? 4;
  const skipEvery = options.skipRoundEvery ?? 7;
  const intervalMs = options.blockIntervalMs ?? 1000;
  const seed = options.seed ?? 'explorer';

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
  const dir = await mkdtemp(join(tmpdir(), 'explorer-store-'));
  const store = LedgerStore.open(dir, genesis.hash);
  await initialiseFixture(store, genesis);
  const nonces = new Array<bigint>(accountCount).fill(0n);

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

  const txHashes: Uint8Array[][] = [[]];
  let parentQc: Uint8Array = new Uint8Array(0);

  const qcFor = (round: number, blockId: Uint8Array, height: number): QuorumCertificate => {
    // a rotating quorum: the validator left out changes from block to block
    const signers = Array.from({ length: validatorCount }, (_, i) => i)
      .filter((i) => (i + height) % validatorCount < quorum)
      .sort((a, b) => a - b);
    return { round, blockId, signers, signatures: signers.map((s) => new Uint8Array(65).fill(s + 1)) };
  };

  const transfer = (from: number, to: Uint8Array, value: bigint): VerifiedTransfer => {
    const signed = signTransfer(
      {
        chainId: CHAIN_ID,
        nonce: nonces[from]++,
        maxPriorityFeePerGas: GWEI,
        maxFeePerGas: 2n * GWEI,
        gasLimit: 21_000n,
        to,
        value,
      },
      secrets[from],
    );
    // the sender is known: no recovery (the fixture signs thousands of these)
    return withSender(signed, addresses[from]);
  };

  const commitBlock = async (count = txsPerBlock) => {
    const head = store.head();
    const parent: BlockHeader = store.getHeader(head.height)!;
    const height = head.height + 1;
    // pending ones first: addPending took their nonces before the new transfers' ones
    const txs: VerifiedTransfer[] = mempool.selectForBlock({ state: store });
    for (let i = 0; i < count; i++) {
      const from = (height * 7 + i) % accountCount;
      // mostly among the funded accounts, every fifth to a fresh address (accounts grow)
      const to =
        i % 5 === 4
          ? sha256(new TextEncoder().encode(`${seed}/fresh/${height}/${i}`)).subarray(0, 20)
          : addresses[(from + 1 + i) % accountCount];
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
        parentQc,
      },
      transactions: txs.map((t) => t.raw),
    };
    const hash = hashHeader(block.header);
    const commitQc = encodeQc(qcFor(round, hash, height));
    await store.commitBlock(
      blockCommitOf({ block, hash, executed, transfers: txs, before: view.state, commitQc }),
    );
    parentQc = commitQc;
    mempool.onCommit(txs, store);
    const hashes = txs.map((t) => t.hash);
    txHashes.push(hashes);
    return { height, hash, txHashes: hashes };
  };

  for (let b = 0; b < blocks; b++) await commitBlock();

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
      await rm(dir, { recursive: true, force: true });
    },
  };
}
