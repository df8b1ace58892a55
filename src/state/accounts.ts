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
  /**
   * The account before the block changed it (null: it did not exist), when the producer
   * read it anyway (applyBlock): the store's created-account count and undo records take it
   * from here instead of reading every changed account a second and third time.
   */
  before?: Account | null;
}

/**
 * The key of an address in the maps of AccountState: its 20 bytes as a latin1 string
 * (cheaper to build and hash than hex; never shown to anyone).
 */
export function stateKey(address: Address): string {
  return Buffer.from(address.buffer, address.byteOffset, address.byteLength).toString('latin1');
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
    for (const [address, account] of accounts) map.set(stateKey(address), { address, account });
    return new AccountState({ getAccount: () => undefined }, map);
  }

  getAccount(address: Address): Account | undefined {
    return this.getByKey(stateKey(address), address);
  }

  /** `getAccount` when the caller already has `key` = stateKey(address): no key per layer. */
  getByKey(key: string, address: Address): Account | undefined {
    const own = this.changes.get(key);
    if (own !== undefined) return own.account;
    const parent = this.parent;
    return parent instanceof AccountState ? parent.getByKey(key, address) : parent.getAccount(address);
  }

  /** Accounts changed by the step that produced this state (not its ancestors), by stateKey. */
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
  const out = new Uint8Array(ACCOUNT_BYTES);
  writeAccount(new DataView(out.buffer), 0, account);
  return out;
}

/** Writes the canonical bytes of `account` at `offset` of `view` (ACCOUNT_BYTES of room). */
export function writeAccount(view: DataView, offset: number, account: Account): void {
  if (account.nonce > MAX_NONCE) throw new InvalidInputError('INTEGER_TOO_LARGE', 'nonce exceeds 2^64-1');
  writeUintBE(view, offset, account.balance, 4);
  view.setBigUint64(offset + 32, account.nonce);
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
