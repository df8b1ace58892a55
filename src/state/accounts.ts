/**
 * Account views. The state machine reads accounts through `AccountReader` (the store in
 * the node, a Map in tests and the simulator) and never writes to it: applying a block
 * returns a new `AccountState` layered over the old one, so speculative execution of
 * uncommitted blocks costs one Map per block and never touches committed data.
 */
import { readUintBE, toHex, writeUintBE } from '../crypto/bytes.js';
import type { Address } from '../crypto/keys.js';
import { InvalidInputError } from '../errors.js';
import type { Account } from './types.js';

export interface AccountReader {
  getAccount(address: Address): Account | undefined;
}

export const EMPTY_ACCOUNT: Readonly<Account> = Object.freeze({ balance: 0n, nonce: 0n });

/** Map key of an address: lowercase 0x-hex. */
export function addressKey(address: Address): string {
  return toHex(address);
}

/** An account change produced by a block, ready for the tree and the store. */
export interface AccountChange {
  address: Address;
  account: Account;
}

export class AccountState implements AccountReader {
  private constructor(
    private readonly parent: AccountReader,
    private readonly changes: ReadonlyMap<string, AccountChange>,
  ) {}

  /** A state with no changes over `base`. */
  static over(base: AccountReader): AccountState {
    return new AccountState(base, new Map());
  }

  /** A state whose accounts are exactly `accounts` (tests, genesis). */
  static fromEntries(accounts: Iterable<[Address, Account]>): AccountState {
    const map = new Map<string, AccountChange>();
    for (const [address, account] of accounts) map.set(addressKey(address), { address, account });
    return new AccountState({ getAccount: () => undefined }, map);
  }

  getAccount(address: Address): Account | undefined {
    return this.changes.get(addressKey(address))?.account ?? this.parent.getAccount(address);
  }

  /** Accounts changed by the step that produced this state (not its ancestors). */
  ownChanges(): ReadonlyMap<string, AccountChange> {
    return this.changes;
  }

  /** A child state: `changes` layered over this one. */
  withChanges(changes: ReadonlyMap<string, AccountChange>): AccountState {
    return new AccountState(this, changes);
  }
}

/** Canonical account bytes: 32-byte balance || 8-byte nonce, big-endian (docs/FORMATS.md). */
export const ACCOUNT_BYTES = 40;
const MAX_NONCE = (1n << 64n) - 1n;

export function encodeAccount(account: Account): Uint8Array {
  if (account.nonce > MAX_NONCE) throw new InvalidInputError('INTEGER_TOO_LARGE', 'nonce exceeds 2^64-1');
  const out = new Uint8Array(ACCOUNT_BYTES);
  const view = new DataView(out.buffer);
  writeUintBE(view, 0, account.balance, 4);
  view.setBigUint64(32, account.nonce);
  return out;
}

export function decodeAccount(bytes: Uint8Array): Account {
  if (bytes.length !== ACCOUNT_BYTES) {
    throw new InvalidInputError(
      'INVALID_ACCOUNT',
      `account encoding is ${ACCOUNT_BYTES} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { balance: readUintBE(view, 0, 4), nonce: view.getBigUint64(32) };
}
