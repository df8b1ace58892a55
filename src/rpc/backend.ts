/**
 * What the JSON-RPC methods read and do, as a narrow interface the node implements over its
 * store, mempool and admission (src/node/rpc-backend.ts): the RPC layer never reaches node
 * internals, and tests drive it with the real implementation over a real store.
 */
import type { BlockHeader } from '../chain/index.js';
import type { Receipt } from '../state/index.js';
import type { VerifiedTransfer } from '../tx/index.js';

export interface RpcBlock {
  header: BlockHeader;
  hash: Uint8Array;
  /** Bytes of the block's canonical encoding. */
  size: number;
  txCount: number;
}

/** A committed transaction's place in the chain. */
export interface RpcTxLocation {
  blockHash: Uint8Array;
  height: number;
  /** The block's header timestamp (transactions carry it as blockTimestamp, in seconds). */
  timestampMs: number;
  index: number;
}

export interface RpcTransaction {
  tx: VerifiedTransfer;
  /** Undefined while pending. */
  location?: RpcTxLocation;
  /** Present once committed. */
  receipt?: Receipt;
}

/** The outcome of submitting one raw transaction (explorer/server SubmitOutcome, narrowed). */
export type RpcSubmitOutcome = { hash: string } | { error: string; message: string };

export interface RpcBackend {
  readonly chainId: bigint;
  /** web3_clientVersion. */
  readonly clientVersion: string;
  /** The chain's base fee (constant: genesis params). Never 0. */
  readonly baseFeePerGas: bigint;
  /** Gas a block may use: its transaction cap times a transfer's gas. */
  readonly blockGasLimit: bigint;
  /** The committed head's height. */
  head(): number;
  block(id: { height: number } | { hash: Uint8Array }): RpcBlock | undefined;
  /** The committed block's transactions, in block order, with their senders. */
  blockTransactions(height: number): VerifiedTransfer[];
  /** The committed block's transaction hashes, in block order. */
  blockTransactionHashes(height: number): Uint8Array[];
  /** Effective priority fees per gas paid by the block's transactions, in block order. */
  blockPriorityFees(height: number): bigint[];
  /** A committed or pending transaction. */
  transaction(hash: Uint8Array): RpcTransaction | undefined;
  /**
   * An account's balance and nonce at a committed height (null: no account). Throws an
   * RpcError when the node keeps no state at that height.
   */
  account(address: Uint8Array, height: number): { balance: bigint; nonce: bigint } | null;
  /** The nonce the sender's next transaction takes, counting its pending ones. */
  pendingNonce(address: Uint8Array): bigint;
  submit(raw: Uint8Array): Promise<RpcSubmitOutcome>;
  peerCount(): number;
  syncing(): boolean;
  /** Committed heads as they are announced; returns the unsubscribe. */
  onHead(listener: (height: number) => void): () => void;
}
