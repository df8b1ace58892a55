/**
 * This chain's blocks, transactions and receipts as the execution-apis schemas shape them
 * (src/schemas/block.yaml Block, transaction.yaml TransactionInfo for type 2, receipt.yaml
 * ReceiptInfo): exactly their fields, filled with this chain's values where it has them and
 * with the neutral value where it has none (no proof of work, uncles or logs). Round and QC
 * stay in the explorer API: the Block schema allows no other fields.
 */
import type { Receipt } from '../state/index.js';
import { TRANSFER_GAS } from '../state/index.js';
import type { VerifiedTransfer } from '../tx/index.js';
import type { RpcBlock, RpcTxLocation } from './backend.js';
import { data, quantity } from './hex.js';

const ZERO_HASH = `0x${'00'.repeat(32)}`;
const ZERO_BLOOM = `0x${'00'.repeat(256)}`;
const ZERO_NONCE = `0x${'00'.repeat(8)}`;
/** keccak256(rlp([])): the ommers hash of a block without uncles. */
const EMPTY_OMMERS_HASH = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';

/** Ethereum's block timestamps are whole seconds; a header's is milliseconds. */
const seconds = (timestampMs: number) => Math.floor(timestampMs / 1000);

/** Addresses in lowercase: what geth serves; clients checksum them themselves. */
const address = (a: Uint8Array) => data(a);

export function blockObject(
  block: RpcBlock,
  baseFeePerGas: bigint,
  gasLimit: bigint,
  transactions: string[] | object[],
): Record<string, unknown> {
  const h = block.header;
  return {
    hash: data(block.hash),
    parentHash: data(h.parentHash),
    sha3Uncles: EMPTY_OMMERS_HASH,
    miner: address(h.proposer),
    stateRoot: data(h.stateRoot),
    transactionsRoot: data(h.txRoot),
    receiptsRoot: data(h.receiptsRoot),
    logsBloom: ZERO_BLOOM,
    difficulty: '0x0',
    number: quantity(h.height),
    gasLimit: quantity(gasLimit),
    gasUsed: quantity(TRANSFER_GAS * BigInt(block.txCount)),
    timestamp: quantity(seconds(h.timestampMs)),
    extraData: '0x',
    mixHash: ZERO_HASH,
    nonce: ZERO_NONCE,
    baseFeePerGas: quantity(baseFeePerGas),
    size: quantity(block.size),
    transactions,
    uncles: [],
  };
}

/** The gas price a transfer pays per unit: the base fee plus its tip, capped by its max fee. */
export function effectiveGasPrice(tx: VerifiedTransfer, baseFeePerGas: bigint): bigint {
  const tipped = baseFeePerGas + tx.maxPriorityFeePerGas;
  return tipped < tx.maxFeePerGas ? tipped : tx.maxFeePerGas;
}

export function transactionObject(
  tx: VerifiedTransfer,
  location: RpcTxLocation | undefined,
  baseFeePerGas: bigint,
): Record<string, unknown> {
  return {
    blockHash: location ? data(location.blockHash) : null,
    blockNumber: location ? quantity(location.height) : null,
    // execution-apis TransactionInfo (since it gained blockTimestamp) and geth: null while pending
    blockTimestamp: location ? quantity(seconds(location.timestampMs)) : null,
    from: address(tx.from),
    gas: quantity(tx.gasLimit),
    gasPrice: quantity(effectiveGasPrice(tx, baseFeePerGas)),
    maxFeePerGas: quantity(tx.maxFeePerGas),
    maxPriorityFeePerGas: quantity(tx.maxPriorityFeePerGas),
    hash: data(tx.hash),
    input: '0x',
    nonce: quantity(tx.nonce),
    to: address(tx.to),
    transactionIndex: location ? quantity(location.index) : null,
    value: quantity(tx.value),
    type: '0x2',
    accessList: [],
    chainId: quantity(tx.chainId),
    // EIP-1559 signatures carry yParity; v repeats it for clients that read v
    v: quantity(tx.yParity),
    yParity: quantity(tx.yParity),
    r: quantity(tx.r),
    s: quantity(tx.s),
  };
}

export function receiptObject(receipt: Receipt, location: RpcTxLocation): Record<string, unknown> {
  return {
    type: '0x2',
    transactionHash: data(receipt.txHash),
    transactionIndex: quantity(location.index),
    blockHash: data(location.blockHash),
    blockNumber: quantity(location.height),
    from: address(receipt.from),
    to: address(receipt.to),
    // every transaction of a block is a transfer of the same gas
    cumulativeGasUsed: quantity(receipt.gasUsed * BigInt(location.index + 1)),
    gasUsed: quantity(receipt.gasUsed),
    contractAddress: null,
    logs: [],
    logsBloom: ZERO_BLOOM,
    status: quantity(receipt.status),
    effectiveGasPrice: quantity(receipt.effectiveGasPrice),
  };
}
