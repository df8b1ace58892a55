/**
 * A certified test chain for block sync: four validators with real secp256k1 keys, a
 * server store holding blocks 1..n with their commit QCs, and helpers to sign QCs and to
 * forge blocks.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BlockLimits,
  committedView,
  encodeBlock,
  executeBlock,
  hashHeader,
  type LedgerView,
  merkleRoot,
} from '../../../src/chain/index.js';
import type { Block, BlockHeader } from '../../../src/chain/types.js';
import {
  encodeQc,
  genesisQc,
  type QuorumCertificate,
  secp256k1Signer,
  secp256k1Verifier,
  type ValidatorSet,
  voteDigest,
} from '../../../src/consensus/index.js';
import { addressOf, publicKeyOf } from '../../../src/crypto/keys.js';
import { Mempool } from '../../../src/mempool/index.js';
import { LedgerApplication } from '../../../src/node/application.js';
import { blockCommitOf, LedgerStore } from '../../../src/store/index.js';
import type {
  SyncBase,
  SyncChain,
  SyncItem,
  SyncSource,
  VerifiedBlock,
  VerifyContext,
} from '../../../src/sync/index.js';
import { systemClock } from '../../../src/time/index.js';
import { decodeTransfer, recoverSender } from '../../../src/tx/index.js';
import {
  CHAIN_ID,
  fixtureGenesis,
  initialiseFixture,
  PARAMS,
  testSecrets,
  verifiedTransfer,
} from '../../support/ledger-fixture.js';

export const VALIDATOR_SECRETS = testSecrets(4, 'sync-validators');
export const SENDERS = testSecrets(4, 'sync-senders');
export const GENESIS = fixtureGenesis(SENDERS);
export const LIMITS: BlockLimits = { chainId: CHAIN_ID, maxBlockTxs: 100, maxBlockBytes: 1 << 20 };

export const VALIDATOR_SET: ValidatorSet = {
  chainId: CHAIN_ID,
  genesisId: GENESIS.hash,
  validators: VALIDATOR_SECRETS.map((s) => ({ address: addressOf(s), publicKey: publicKeyOf(s, true) })),
};

export const CTX: VerifyContext = {
  validatorSet: VALIDATOR_SET,
  verifier: secp256k1Verifier(VALIDATOR_SET.validators.map((v) => v.publicKey)),
  limits: LIMITS,
  params: PARAMS,
};

/** A QC for (round, blockId) signed by `signers` with the given secrets (default: the validators'). */
export function signQc(
  round: number,
  blockId: Uint8Array,
  signers: number[] = [0, 1, 2],
  secrets: Uint8Array[] = VALIDATOR_SECRETS,
): Uint8Array {
  const digest = voteDigest(VALIDATOR_SET, round, blockId);
  const qc: QuorumCertificate = {
    round,
    blockId,
    signers,
    signatures: signers.map((i) => secp256k1Signer(secrets[i]).sign(digest)),
  };
  return encodeQc(qc);
}

/** Builds a child of `parent` on `view` with `txCount` transfers; `roundStep` rounds later. */
export function childBlock(
  parent: BlockHeader,
  view: LedgerView,
  opts: { roundStep?: number; txCount?: number; parentQc?: Uint8Array } = {},
): { block: Block; id: Uint8Array; view: LedgerView } {
  const txs = Array.from({ length: opts.txCount ?? 0 }, (_, i) => {
    const from = SENDERS[i % SENDERS.length];
    const nonce = view.state.getAccount(addressOf(from))?.nonce ?? 0n;
    return verifiedTransfer(
      from,
      nonce,
      addressOf(SENDERS[(i + 1) % SENDERS.length]),
      BigInt(1000 + parent.height),
    );
  });
  const proposer = addressOf(VALIDATOR_SECRETS[parent.height % 4]);
  const executed = executeBlock(view, { proposer, transactions: txs }, PARAMS);
  const block: Block = {
    header: {
      chainId: CHAIN_ID,
      height: parent.height + 1,
      round: parent.round + (opts.roundStep ?? 1),
      parentHash: hashHeader(parent),
      proposer,
      timestampMs: parent.timestampMs + 1000,
      txRoot: merkleRoot(txs.map((t) => t.hash)),
      stateRoot: executed.stateRoot,
      receiptsRoot: executed.receiptsRoot,
      parentQc: opts.parentQc ?? new Uint8Array(0),
    },
    transactions: txs.map((t) => t.raw),
  };
  return { block, id: hashHeader(block.header), view: executed };
}

/** Items for heights 1..length on genesis, each with its QC (round gaps at `gapAt` heights). */
export function certifiedItems(
  view: LedgerView,
  length: number,
  gapAt: ReadonlySet<number> = new Set(),
): SyncItem[] {
  let parent = GENESIS.block.header;
  let parentQc = encodeQc(genesisQc(GENESIS.hash));
  let v = view;
  const items: SyncItem[] = [];
  for (let h = 1; h <= length; h++) {
    const child = childBlock(parent, v, { roundStep: gapAt.has(h) ? 2 : 1, txCount: h % 2, parentQc });
    const qc = signQc(child.block.header.round, child.id);
    items.push({ block: child.block, qc });
    parent = child.block.header;
    parentQc = qc;
    v = child.view;
  }
  return items;
}

export interface TestStore {
  store: LedgerStore;
  dir: string;
  close(): Promise<void>;
}

export async function openGenesisStore(): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), 'sync-test-'));
  const store = LedgerStore.open(dir, GENESIS.hash);
  await initialiseFixture(store, GENESIS);
  return {
    store,
    dir,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function baseOf(store: LedgerStore): SyncBase {
  const head = store.head();
  return { header: store.getBlock(head.height)!.header, id: head.hash, view: committedView(store) };
}

/** A server store holding `items` with their QCs. */
export async function commitItems(store: LedgerStore, items: readonly SyncItem[]): Promise<void> {
  for (const { block, qc } of items) {
    const view = committedView(store);
    const txs = block.transactions.map((raw) => recoverSender(decodeTransfer(raw, CHAIN_ID)));
    const executed = executeBlock(view, { proposer: block.header.proposer, transactions: txs }, PARAMS);
    await store.commitBlock(
      blockCommitOf({
        block,
        hash: hashHeader(block.header),
        executed,
        transfers: txs,
        before: view.state,
        commitQc: qc,
      }),
    );
  }
}

export function sourceOf(store: LedgerStore): SyncSource {
  return {
    headHeight: () => store.head().height,
    getBlockBytes: (h) => {
      const b = store.getBlock(h);
      return b && encodeBlock(b);
    },
    getCommitQc: (h) => store.getCommitQc(h),
  };
}

/** A SyncChain over a store: the tip moves at once, writes land in order. */
export function chainOf(store: LedgerStore): SyncChain & { writes: Promise<void>[] } {
  let tip = baseOf(store);
  const writes: Promise<void>[] = [];
  return {
    writes,
    tip: () => tip,
    commit(v: VerifiedBlock) {
      writes.push(
        store.commitBlock(
          blockCommitOf({
            block: v.block,
            hash: v.id,
            executed: v.executed,
            transfers: v.transfers,
            before: tip.view.state,
            commitQc: v.commitQc,
          }),
        ),
      );
      tip = { header: v.block.header, id: v.id, view: v.executed };
    },
  };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A LedgerApplication (validator 1 proposing) on a test store, as the node builds one. */
export function applicationOn(t: TestStore): LedgerApplication {
  return new LedgerApplication({
    store: t.store,
    createMempool: (accounts) =>
      new Mempool({ accounts, params: PARAMS, blockLimits: { maxBlockTxs: 100, maxBlockBytes: 1 << 20 } }),
    params: PARAMS,
    limits: { chainId: PARAMS.chainId, maxBlockTxs: 100, maxBlockBytes: 1 << 20 },
    proposer: addressOf(VALIDATOR_SECRETS[1]),
    headerReserveBytes: 1024,
    maxClockSkewMs: Number.MAX_SAFE_INTEGER,
    // a minute after genesis, whatever the machine's date: blocks are built at a fixed time
    clock: { ...systemClock, nowMs: () => GENESIS.block.header.timestampMs + 60_000 },
    logger: quiet as never,
    onFatal: (err) => assert.fail(err),
  });
}
