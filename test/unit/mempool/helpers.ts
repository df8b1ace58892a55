/**
 * Mempool test fixtures: real signed transfers from deterministic keys (sha256('k' + i)),
 * a Map-backed committed state, and a signature backend that counts recoveries.
 */

import { sha256 } from '../../../src/crypto/hash.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { defaultBackend, type SignatureBackend } from '../../../src/crypto/verifier.js';
import { Mempool, type MempoolOptions } from '../../../src/mempool/index.js';
import { type Account, AccountState, type StateParams } from '../../../src/state/index.js';
import { type SignedTransfer, signTransfer, type TransferFields } from '../../../src/tx/index.js';

export const CHAIN_ID = 1337n;
export const GWEI = 1_000_000_000n;
export const ETH = 10n ** 18n;
export const PARAMS: StateParams = { chainId: CHAIN_ID, baseFeePerGas: GWEI };
export const BLOCK_LIMITS = { maxBlockTxs: 1000, maxBlockBytes: 1024 * 1024 };
/** value + gasLimit x maxFeePerGas of a default transfer (value 1, 21000 gas at 3 gwei). */
export const DEFAULT_MAX_COST = 1n + 21_000n * 3n * GWEI;

export function secret(i: number): Uint8Array {
  return sha256(new TextEncoder().encode(`k${i}`));
}

const addresses = new Map<number, Uint8Array>();
export function address(i: number): Uint8Array {
  let a = addresses.get(i);
  if (!a) {
    a = addressOf(secret(i));
    addresses.set(i, a);
  }
  return a;
}

export type TxSpec = Partial<Omit<TransferFields, 'to'>> & { to?: number };

const signed = new Map<string, SignedTransfer>();

/** A signed transfer from key `from`; signatures are memoised (signing is deterministic). */
export function transfer(from: number, spec: TxSpec = {}): SignedTransfer {
  const fields: TransferFields = {
    chainId: spec.chainId ?? CHAIN_ID,
    nonce: spec.nonce ?? 0n,
    maxPriorityFeePerGas: spec.maxPriorityFeePerGas ?? GWEI,
    maxFeePerGas: spec.maxFeePerGas ?? 3n * GWEI,
    gasLimit: spec.gasLimit ?? 21_000n,
    to: address(spec.to ?? 1000),
    value: spec.value ?? 1n,
  };
  const key = `${from}:${Object.values(fields).map(String).join(':')}`;
  let tx = signed.get(key);
  if (!tx) {
    tx = signTransfer(fields, secret(from));
    signed.set(key, tx);
  }
  return tx;
}

/** Raw bytes of `transfer(from, spec)`. */
export function raw(from: number, spec: TxSpec = {}): Uint8Array {
  return transfer(from, spec).raw;
}

export function stateOf(accounts: Array<[number, Account]>): AccountState {
  return AccountState.fromEntries(accounts.map(([i, account]) => [address(i), account]));
}

/** Senders 1..n with `balance` and nonce 0. */
export function funded(n: number, balance = ETH): AccountState {
  return stateOf(Array.from({ length: n }, (_, k) => [k + 1, { balance, nonce: 0n }]));
}

export function countingBackend(inner: SignatureBackend = defaultBackend()): SignatureBackend & {
  calls: number;
} {
  const backend = {
    name: inner.name,
    calls: 0,
    recoverPublicKey(digest: Uint8Array, sig: Parameters<SignatureBackend['recoverPublicKey']>[1]) {
      backend.calls++;
      return inner.recoverPublicKey(digest, sig);
    },
    verify(
      digest: Uint8Array,
      sig: Parameters<SignatureBackend['verify']>[1],
      publicKey: Uint8Array,
    ): boolean {
      backend.calls++;
      return inner.verify(digest, sig, publicKey);
    },
    sign: (digest: Uint8Array, secret: Uint8Array) => inner.sign(digest, secret),
  };
  return backend;
}

export function pool(
  accounts: AccountState,
  options: Partial<MempoolOptions> = {},
  backend: SignatureBackend = defaultBackend(),
  now?: () => number,
): Mempool {
  return new Mempool({ accounts, params: PARAMS, blockLimits: BLOCK_LIMITS, backend, now }, options);
}

/** A hand-driven clock for the mempool's `now` component. */
export function manualClock(startMs = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = startMs;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}
