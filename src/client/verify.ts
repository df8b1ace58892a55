/**
 * The checks of a whole answer to a proof route: the proof of commit first (no root is
 * trusted before its header is proven committed), then what the root proves.
 */
import type { ValidatorSet, Verifier } from '../consensus/index.js';
import type { Address } from '../crypto/keys.js';
import { verifyCommitProof } from './commit.js';
import {
  type VerifiedAccount,
  type VerifiedTxReceipt,
  verifyAccountState,
  verifyTxInclusion,
  verifyTxReceipt,
} from './inclusion.js';
import type { CommittedAccountProof, CommittedTxProof } from './json.js';
import { type ClientOptions, DEFAULT_CLIENT_OPTIONS } from './options.js';

/**
 * Checks that the transaction `txHash` is in a committed block, and its receipt (GET
 * /txs/:hash/proof).
 */
export function verifyCommittedTx(
  proof: CommittedTxProof,
  txHash: Uint8Array,
  validatorSet: ValidatorSet,
  verifier: Verifier,
  options: ClientOptions = DEFAULT_CLIENT_OPTIONS,
): VerifiedTxReceipt {
  const commit = verifyCommitProof(proof.commit, validatorSet, verifier, options);
  return verifyTxReceipt(verifyTxInclusion(commit, txHash, proof.inclusion), proof.receipt);
}

/** Checks the balance and nonce (or absence) of `address` at a committed block (GET /accounts/:address/proof). */
export function verifyCommittedAccount(
  proof: CommittedAccountProof,
  address: Address,
  validatorSet: ValidatorSet,
  verifier: Verifier,
  options: ClientOptions = DEFAULT_CLIENT_OPTIONS,
): VerifiedAccount {
  const commit = verifyCommitProof(proof.commit, validatorSet, verifier, options);
  return verifyAccountState(commit, address, proof.account);
}
