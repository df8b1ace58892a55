/**
 * The genesis of a network, in two shapes: `GenesisJson` is the file (genesis/README.md),
 * `Genesis` the parsed, validated form the node uses. Only `parseGenesis` turns one into
 * the other, so every `Genesis` value in the process has passed every check.
 */
import type { Address } from '../crypto/keys.js';

/** The JSON file format. Integers that may exceed 2^53 are decimal strings. */
export interface GenesisJson {
  chainId: string;
  genesisTimeMs: number;
  validators: ValidatorJson[];
  observers?: ObserverJson[];
  alloc?: Record<string, string>;
  params: GenesisParamsJson;
}

export interface ValidatorJson {
  name: string;
  /** EIP-55 checksummed (all-lowercase is accepted too). */
  address: string;
  /** 0x + 33-byte compressed secp256k1 public key. */
  publicKey: string;
  /** libp2p peer id of publicKey ("16Uiu2..."). */
  peerId: string;
  power: number;
}

export interface ObserverJson {
  name: string;
  peerId: string;
}

export interface GenesisParamsJson {
  maxBlockTxs: number;
  maxBlockBytes: number;
  baseRoundTimeoutMs: number;
  baseFeePerGas: string;
}

export interface GenesisValidator {
  /** Position in `validators`; the order of the file is kept and is significant. */
  index: number;
  name: string;
  address: Address;
  /** 33-byte compressed secp256k1 public key. */
  publicKey: Uint8Array;
  peerId: string;
  /** Voting power; equal power only (always 1) in this version. */
  power: 1;
}

export interface GenesisObserver {
  name: string;
  peerId: string;
}

export interface GenesisAllocation {
  address: Address;
  balance: bigint;
}

export interface GenesisParams {
  maxBlockTxs: number;
  maxBlockBytes: number;
  /** Round timeout of round 0; consensus may grow it in later rounds. */
  baseRoundTimeoutMs: number;
  /** Fixed base fee per gas in wei; burned. */
  baseFeePerGas: bigint;
}

export interface Genesis {
  chainId: bigint;
  genesisTimeMs: number;
  validators: readonly GenesisValidator[];
  observers: readonly GenesisObserver[];
  /** Initial balances, in file order; addresses unique. */
  alloc: readonly GenesisAllocation[];
  params: GenesisParams;
  /** f = floor((n - 1) / 3): the Byzantine validators tolerated. */
  faultTolerance: number;
  /** Votes a certificate needs: n - f, i.e. 2f + 1 when n = 3f + 1 (quorum.ts). */
  quorum: number;
}

/** Bounds enforced by parseGenesis. */
export const GENESIS_LIMITS = {
  maxValidators: 256,
  maxObservers: 256,
  maxAllocEntries: 100_000,
  maxChainId: (1n << 64n) - 1n,
  /** Balances and their sum are below 2^256, the width of an account balance. */
  maxBalance: (1n << 256n) - 1n,
  maxBlockTxs: { min: 1, max: 100_000 },
  maxBlockBytes: { min: 1024, max: 64 * 1024 * 1024 },
  baseRoundTimeoutMs: { min: 50, max: 600_000 },
  baseFeePerGas: { min: 1n, max: (1n << 64n) - 1n },
} as const;

export const DEFAULT_GENESIS_PARAMS: Readonly<GenesisParams> = Object.freeze({
  maxBlockTxs: 1000,
  maxBlockBytes: 1024 * 1024,
  baseRoundTimeoutMs: 1000,
  baseFeePerGas: 1_000_000_000n,
});
