/**
 * The genesis block (height 0, round 0): no transactions, the allocations as its state,
 * and, in place of a parent hash, the hash of the whole genesis document. The genesis
 * block hash therefore commits to the validator set and parameters too, and a store or a
 * peer of another network (same allocations, other validators) is told apart by it.
 */
import { accountKey, type TreeUpdate, updateTree } from '../commitment/index.js';
import type { Address } from '../crypto/keys.js';
import { type AccountChange, encodeAccount } from '../state/accounts.js';
import { hashHeader } from './codec.js';
import { EMPTY_MERKLE_ROOT } from './merkle.js';
import type { Block } from './types.js';

export interface GenesisBlockInput {
  chainId: bigint;
  timestampMs: number;
  alloc: Iterable<readonly [Address, bigint]>;
  /** sha256 of the canonical genesis document (src/genesis). */
  documentHash: Uint8Array;
}

export interface GenesisBlock {
  block: Block;
  hash: Uint8Array;
  accountChanges: AccountChange[];
  treeUpdate: TreeUpdate;
}

export const ZERO_ADDRESS: Address = new Uint8Array(20);

export function buildGenesisBlock(input: GenesisBlockInput): GenesisBlock {
  const accountChanges: AccountChange[] = [];
  for (const [address, balance] of input.alloc)
    accountChanges.push({ address, account: { balance, nonce: 0n } });
  const treeUpdate = updateTree(
    { getNode: () => undefined },
    accountChanges.map((c) => ({ keyHash: accountKey(c.address), value: encodeAccount(c.account) })),
  );
  const block: Block = {
    header: {
      chainId: input.chainId,
      height: 0,
      round: 0,
      parentHash: input.documentHash,
      proposer: ZERO_ADDRESS,
      timestampMs: input.timestampMs,
      txRoot: EMPTY_MERKLE_ROOT,
      stateRoot: treeUpdate.root,
      receiptsRoot: EMPTY_MERKLE_ROOT,
      parentQc: new Uint8Array(0),
    },
    transactions: [],
  };
  return { block, hash: hashHeader(block.header), accountChanges, treeUpdate };
}
