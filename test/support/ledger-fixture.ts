/**
 * A small deterministic ledger for tests: funded accounts with secrets derived from a
 * seed, a genesis block, and a helper that signs, executes and commits blocks of
 * transfers through the real pipeline (tx signing, sender recovery, execution, store).
 */
import {
  buildGenesisBlock,
  committedView,
  executeBlock,
  type GenesisBlock,
  hashHeader,
  merkleRoot,
} from '../../src/chain/index.js';
import type { Block, BlockHeader } from '../../src/chain/types.js';
import { sha256 } from '../../src/crypto/hash.js';
import { addressOf } from '../../src/crypto/keys.js';
import type { StateParams } from '../../src/state/index.js';
import { blockCommitOf, genesisCommitOf, type LedgerStore } from '../../src/store/index.js';
import { recoverSender, signTransfer, type VerifiedTransfer } from '../../src/tx/index.js';

export const CHAIN_ID = 1337n;
export const GWEI = 1_000_000_000n;
export const PARAMS: StateParams = { chainId: CHAIN_ID, baseFeePerGas: GWEI };

/** Deterministic, test-only secrets. */
export function testSecrets(count: number, seed = 'fixture'): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => sha256(new TextEncoder().encode(`${seed}/${i}`)));
}

export function fixtureGenesis(secrets: Uint8Array[]): GenesisBlock {
  return buildGenesisBlock({
    chainId: CHAIN_ID,
    timestampMs: 1_764_000_000_000,
    alloc: secrets.map((s) => [addressOf(s), 10n ** 24n] as const),
    documentHash: sha256(new TextEncoder().encode('fixture genesis')),
  });
}

export async function initialiseFixture(store: LedgerStore, genesis: GenesisBlock): Promise<void> {
  await store.initialise(genesisCommitOf(genesis));
}

/** A signed transfer with the fixture's fees, its sender recovered as admission would. */
export function verifiedTransfer(
  from: Uint8Array,
  nonce: bigint,
  to: Uint8Array,
  value: bigint,
): VerifiedTransfer {
  return recoverSender(
    signTransfer(
      {
        chainId: CHAIN_ID,
        nonce,
        maxPriorityFeePerGas: GWEI,
        maxFeePerGas: 2n * GWEI,
        gasLimit: 21_000n,
        to,
        value,
      },
      from,
    ),
  );
}

/** Signs `count` transfers from rotating senders, executes them on the store's head and commits. */
export async function commitTransfers(
  store: LedgerStore,
  secrets: Uint8Array[],
  count: number,
  step: number,
): Promise<{ block: Block; hash: Uint8Array }> {
  const view = committedView(store);
  const txs = Array.from({ length: count }, (_, i) => {
    const from = secrets[(step * count + i) % secrets.length];
    const nonce = view.state.getAccount(addressOf(from))?.nonce ?? 0n;
    // Senders are distinct within a block (count <= secrets.length), so nonce is right.
    const to = sha256(new Uint8Array([step & 255, i & 255, 1])).subarray(0, 20);
    return verifiedTransfer(
      from,
      nonce,
      i % 3 === 0 ? addressOf(secrets[(i + 1) % secrets.length]) : to,
      BigInt(1000 + i),
    );
  });
  return commitVerified(store, txs, addressOf(secrets[step % secrets.length]));
}

/**
 * Executes verified transfers on the store's head and commits them as the next block (one
 * round after its parent), with the undo records the store keeps for account proofs.
 */
export async function commitVerified(
  store: LedgerStore,
  txs: VerifiedTransfer[],
  proposer: Uint8Array,
): Promise<{ block: Block; hash: Uint8Array }> {
  const head = store.head();
  const parent: BlockHeader = store.getHeader(head.height)!;
  const view = committedView(store);
  const executed = executeBlock(view, { proposer, transactions: txs }, PARAMS);
  const block: Block = {
    header: {
      chainId: CHAIN_ID,
      height: parent.height + 1,
      round: parent.round + 1,
      parentHash: head.hash,
      proposer,
      timestampMs: parent.timestampMs + 1000,
      txRoot: merkleRoot(txs.map((t) => t.hash)),
      stateRoot: executed.stateRoot,
      receiptsRoot: executed.receiptsRoot,
      parentQc: new Uint8Array(0),
    },
    transactions: txs.map((t) => t.raw),
  };
  const hash = hashHeader(block.header);
  await store.commitBlock(
    blockCommitOf({ block, hash, executed, transfers: txs, before: view.state, beforeTree: view.tree }),
  );
  return { block, hash };
}
