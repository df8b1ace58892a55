/**
 * What a committed header proves beyond itself: a transaction in its tx root (the RFC 6962
 * proof of src/chain/merkle.ts) and an account, or its absence, in its state root (the
 * account tree proof of src/chain/account-proof.ts). Both take a VerifiedCommit, so a root
 * is only ever trusted once its header is proven committed.
 *
 * The header does not carry the transaction count, so an inclusion proof proves that the
 * transaction is in the block, not at which index (docs/FORMATS.md "Transaction root").
 * The receipt is proven the same way against the header's receipts root: each receipt
 * names its transaction, so a receipt proven at the index the node named is that
 * transaction's own, as the validators executed it.
 */
import {
  type MerkleProof,
  verifyAccountProof,
  verifyMerkleProof,
  verifyReceiptProof,
} from '../chain/index.js';
import type { TreeProof } from '../commitment/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { type Address, toChecksumAddress } from '../crypto/keys.js';
import type { Account, Receipt } from '../state/index.js';
import type { VerifiedCommit } from './commit.js';
import { ClientError } from './errors.js';

/**
 * Leaves of a tx or receipts tree the client accepts: far more than any block holds (the
 * gossip and execution limits keep blocks to thousands), and within 31 bits, where the
 * audit path walk's index arithmetic stays exact.
 */
export const MAX_BLOCK_LEAVES = 2 ** 31 - 1;

/** A node's claim that `txHash` is the transaction at `proof.index` of a block. */
export interface TxInclusion {
  txHash: Uint8Array;
  proof: MerkleProof;
}

/** A node's claim of a transaction's receipt with its proof under the receipts root. */
export interface ReceiptClaim {
  receipt: Receipt;
  proof: MerkleProof;
}

export interface VerifiedTx {
  commit: VerifiedCommit;
  txHash: Uint8Array;
  /** The index the node named; consistent with the proof, not proven by it (see above). */
  index: number;
}

export interface VerifiedTxReceipt extends VerifiedTx {
  /** The receipt the committed header's receipts root holds for this transaction. */
  receipt: Receipt;
}

/** Checks that the transaction `txHash` (keccak of its raw bytes) is in the committed block. */
export function verifyTxInclusion(
  commit: VerifiedCommit,
  txHash: Uint8Array,
  inclusion: TxInclusion,
): VerifiedTx {
  if (!equalBytes(inclusion.txHash, txHash))
    throw new ClientError(
      'WRONG_TX',
      `the inclusion proof is for transaction ${toHex(inclusion.txHash)}, not ${toHex(txHash)}`,
    );
  if (inclusion.proof.total > MAX_BLOCK_LEAVES)
    throw new ClientError(
      'BAD_TX_PROOF',
      `the inclusion proof names a block of ${inclusion.proof.total} transactions; at most ${MAX_BLOCK_LEAVES}`,
    );
  if (!verifyMerkleProof(commit.header.txRoot, txHash, inclusion.proof))
    throw new ClientError(
      'BAD_TX_PROOF',
      `the inclusion proof of ${toHex(txHash)} does not lead to the tx root of block ${commit.height}`,
    );
  return { commit, txHash, index: inclusion.proof.index };
}

/**
 * Checks that `claim` is the receipt of the verified transaction `tx`: it names the same
 * transaction and is proven at the same index under the committed receipts root.
 */
export function verifyTxReceipt(tx: VerifiedTx, claim: ReceiptClaim): VerifiedTxReceipt {
  const { commit, txHash, index } = tx;
  if (!equalBytes(claim.receipt.txHash, txHash))
    throw new ClientError(
      'BAD_RECEIPT_PROOF',
      `the receipt is for transaction ${toHex(claim.receipt.txHash)}, not ${toHex(txHash)}`,
    );
  if (!verifyReceiptProof(commit.header.receiptsRoot, claim.receipt, index, claim.proof))
    throw new ClientError(
      'BAD_RECEIPT_PROOF',
      `the receipt of ${toHex(txHash)} at index ${index} does not lead to the receipts root of block ${commit.height}`,
    );
  return { ...tx, receipt: claim.receipt };
}

/** A node's claim of an account's state (null: no such account) with its tree proof. */
export interface AccountState {
  address: Address;
  account: Account | null;
  proof: TreeProof;
}

export interface VerifiedAccount {
  commit: VerifiedCommit;
  address: Address;
  /** False when the proof shows that no account exists (balance and nonce are then 0). */
  exists: boolean;
  balance: bigint;
  nonce: bigint;
}

/** Checks the balance and nonce of `address`, or its absence, under the committed state root. */
export function verifyAccountState(
  commit: VerifiedCommit,
  address: Address,
  state: AccountState,
): VerifiedAccount {
  if (!equalBytes(state.address, address))
    throw new ClientError(
      'WRONG_ADDRESS',
      `the account proof is for ${toChecksumAddress(state.address)}, not ${toChecksumAddress(address)}`,
    );
  if (!verifyAccountProof(commit.header.stateRoot, address, state.account, state.proof))
    throw new ClientError(
      'BAD_ACCOUNT_PROOF',
      `the proof of ${toChecksumAddress(address)} ${state.account ? 'holding that balance and nonce' : 'having no account'} does not lead to the state root of block ${commit.height}`,
    );
  return {
    commit,
    address,
    exists: state.account !== null,
    balance: state.account?.balance ?? 0n,
    nonce: state.account?.nonce ?? 0n,
  };
}
