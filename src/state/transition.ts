/**
 * The account-state machine: pure, deterministic, bigint only.
 *
 * Rules (docs/PROTOCOL.md, "Execution"):
 * - a transfer is valid when its nonce equals the sender's nonce, gasLimit >= 21000,
 *   maxFeePerGas >= baseFee, maxPriorityFeePerGas <= maxFeePerGas, and the sender's
 *   balance covers value + gasLimit x maxFeePerGas (the most it could be charged);
 * - it is charged 21000 x effectiveGasPrice, where effectiveGasPrice = baseFee +
 *   min(maxPriorityFeePerGas, maxFeePerGas - baseFee); 21000 x baseFee is burned and the
 *   rest (the tip) goes to the block's proposer;
 * - a block with any invalid transaction is invalid as a whole: no partial application.
 * Signatures are not checked here: callers pass transfers whose sender was recovered once
 * on admission (VerifiedTransfer).
 */
import type { Address } from '../crypto/keys.js';
import type { VerifiedTransfer } from '../tx/types.js';
import { type AccountChange, type AccountState, EMPTY_ACCOUNT, stateKey } from './accounts.js';
import { StateTransitionError } from './errors.js';
import { type Account, type Receipt, type StateParams, TRANSFER_GAS } from './types.js';

/** What the state machine needs of a block. */
export interface ExecutableBlock {
  proposer: Address;
  transactions: readonly VerifiedTransfer[];
}

export interface BlockOutcome {
  state: AccountState;
  receipts: Receipt[];
  /** Sum of burned base fees: the only way total supply changes. */
  burned: bigint;
}

/**
 * Checks one transfer against its sender's current account; returns the reason it is
 * invalid, or null. Shared by block execution and mempool admission so both apply the
 * same rules.
 */
export function checkTransfer(
  tx: VerifiedTransfer,
  sender: Account,
  params: StateParams,
  txIndex = -1,
): StateTransitionError | null {
  if (tx.chainId !== params.chainId) {
    return new StateTransitionError(
      'WRONG_CHAIN_ID',
      `chainId ${tx.chainId} is not ${params.chainId}`,
      txIndex,
    );
  }
  if (tx.nonce !== sender.nonce) {
    return new StateTransitionError(
      'NONCE_MISMATCH',
      `nonce ${tx.nonce}, account nonce is ${sender.nonce}`,
      txIndex,
    );
  }
  if (tx.gasLimit < TRANSFER_GAS) {
    return new StateTransitionError(
      'INTRINSIC_GAS_TOO_LOW',
      `gasLimit ${tx.gasLimit} < ${TRANSFER_GAS}`,
      txIndex,
    );
  }
  if (tx.maxFeePerGas < params.baseFeePerGas) {
    return new StateTransitionError(
      'FEE_BELOW_BASE_FEE',
      `maxFeePerGas ${tx.maxFeePerGas} < base fee ${params.baseFeePerGas}`,
      txIndex,
    );
  }
  if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
    return new StateTransitionError(
      'PRIORITY_FEE_ABOVE_MAX_FEE',
      'maxPriorityFeePerGas > maxFeePerGas',
      txIndex,
    );
  }
  const maxCost = tx.value + tx.gasLimit * tx.maxFeePerGas;
  if (sender.balance < maxCost) {
    return new StateTransitionError(
      'INSUFFICIENT_FUNDS',
      `balance ${sender.balance} < value + gasLimit x maxFeePerGas = ${maxCost}`,
      txIndex,
    );
  }
  return null;
}

export function effectiveGasPrice(tx: VerifiedTransfer, baseFeePerGas: bigint): bigint {
  const headroom = tx.maxFeePerGas - baseFeePerGas;
  return baseFeePerGas + (tx.maxPriorityFeePerGas < headroom ? tx.maxPriorityFeePerGas : headroom);
}

/** Applies a block to `state`; throws StateTransitionError (with txIndex) when any tx is invalid. */
export function applyBlock(state: AccountState, block: ExecutableBlock, params: StateParams): BlockOutcome {
  const changes = new Map<string, AccountChange>();
  // Every account a block reads it also writes (an invalid transaction rejects the block),
  // so the first read opens the account's change and records what it was before the block.
  const open = (key: string, address: Address): AccountChange => {
    let change = changes.get(key);
    if (change === undefined) {
      const before = state.getByKey(key, address) ?? null;
      change = { address, account: before ?? EMPTY_ACCOUNT, before };
      changes.set(key, change);
    }
    return change;
  };

  const receipts: Receipt[] = [];
  let burned = 0n;
  let tips = 0n;
  const burn = TRANSFER_GAS * params.baseFeePerGas;
  block.transactions.forEach((tx, index) => {
    const senderChange = open(stateKey(tx.from), tx.from);
    const sender = senderChange.account;
    const error = checkTransfer(tx, sender, params, index);
    if (error) throw error;
    const price = effectiveGasPrice(tx, params.baseFeePerGas);
    const fee = TRANSFER_GAS * price;
    senderChange.account = { balance: sender.balance - tx.value - fee, nonce: sender.nonce + 1n };
    // Read the recipient after the sender's write: a self-transfer sees its own debit.
    const recipientChange = open(stateKey(tx.to), tx.to);
    const recipient = recipientChange.account;
    recipientChange.account = { balance: recipient.balance + tx.value, nonce: recipient.nonce };
    burned += burn;
    tips += fee - burn;
    receipts.push({
      txHash: tx.hash,
      from: tx.from,
      to: tx.to,
      status: 1,
      gasUsed: TRANSFER_GAS,
      effectiveGasPrice: price,
      fee,
    });
  });
  if (tips > 0n) {
    const proposerChange = open(stateKey(block.proposer), block.proposer);
    const proposer = proposerChange.account;
    proposerChange.account = { balance: proposer.balance + tips, nonce: proposer.nonce };
  }
  return { state: state.withChanges(changes), receipts, burned };
}
