/**
 * Account proofs: what a wallet checks so it need not trust the node that answers it.
 * `proveAccount` reads the account and its tree path from a ledger view (the store, or a
 * speculative overlay); `verifyAccountProof` is pure and needs only a state root that the
 * wallet trusts (from a header certified by a QC).
 */
import {
  accountKey,
  decodeProof,
  encodeProof,
  proveKey,
  type TreeProof,
  verifyProof,
} from '../commitment/index.js';
import type { Address } from '../crypto/keys.js';
import { encodeAccount } from '../state/accounts.js';
import type { Account } from '../state/types.js';
import type { LedgerView } from './execute.js';

export interface AccountProof {
  address: Address;
  /** The account, or null when the proof shows it does not exist. */
  account: Account | null;
  proof: TreeProof;
}

export function proveAccount(view: LedgerView, address: Address): AccountProof {
  return {
    address,
    account: view.state.getAccount(address) ?? null,
    proof: proveKey(view.tree, accountKey(address)),
  };
}

/** True when `proof` shows that, under `stateRoot`, `address` holds exactly `account` (or nothing, for null). */
export function verifyAccountProof(
  stateRoot: Uint8Array,
  address: Address,
  account: Account | null,
  proof: TreeProof,
): boolean {
  return verifyProof(stateRoot, accountKey(address), account ? encodeAccount(account) : null, proof);
}

export { decodeProof as decodeAccountProof, encodeProof as encodeAccountProof };
