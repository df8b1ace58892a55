import type { Address } from '../crypto/keys.js';

/** One account of the account-state machine. */
export interface Account {
  balance: bigint;
  nonce: bigint;
}

/** Gas charged for every transfer, as in Ethereum. */
export const TRANSFER_GAS = 21_000n;

/** What the state machine needs from genesis. */
export interface StateParams {
  chainId: bigint;
  /** Fixed base fee per gas; burned. */
  baseFeePerGas: bigint;
}

/** The outcome of one transaction in a block. A block with an invalid tx is rejected whole, so status is always 1. */
export interface Receipt {
  txHash: Uint8Array;
  from: Address;
  to: Address;
  status: 1;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  /** gasUsed x effectiveGasPrice: the burned base fee plus the proposer's tip. */
  fee: bigint;
}
