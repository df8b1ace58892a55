/**
 * The shapes of Ethereum JSON-RPC results, as the execution-apis specification defines them
 * (github.com/ethereum/execution-apis, src/schemas/*.yaml for the objects and src/eth/*.yaml
 * for each method's result), written as this project's own zod schemas. Objects are strict:
 * the spec's `additionalProperties: false` (Block, ReceiptInfo, the fee history) and
 * `unevaluatedProperties: false` (TransactionInfo) admit no field it does not name.
 *
 * Where the issue asks for more than the spec's patterns, the schema is the stricter one, and
 * says so: hashes are exactly 32 bytes (base-types hash32 allows 0 to 32), data has an even
 * number of digits (base-types bytes does not say), and the fields a block of this chain
 * always carries (baseFeePerGas, difficulty) are required.
 */
import { z } from 'zod';

// ---- src/schemas/base-types.yaml ----

/** `uint`: 0x and lowercase hex digits without leading zeros. */
export const uint = z
  .string()
  .regex(/^0x(0|[1-9a-f][0-9a-f]*)$/, 'a quantity: 0x, lowercase, no leading zeros');
/** `hash32`, exactly 32 bytes in lowercase (issue 13: "hashes 32-byte lowercase hex"). */
export const hash32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte lowercase hash');
/** `address` (the spec admits either case; this node serves lowercase, as geth does). */
export const address = z.string().regex(/^0x[0-9a-f]{40}$/, 'a 20-byte lowercase address');
/** `bytes`, whole bytes. */
export const bytes = z.string().regex(/^0x(?:[0-9a-f]{2})*$/, 'lowercase hex bytes');
export const bytes8 = z.string().regex(/^0x[0-9a-f]{16}$/, '8 bytes of hex');
export const bytes256 = z.string().regex(/^0x[0-9a-f]{512}$/, '256 bytes of hex');
/** `byte` (a transaction type, a y parity). */
export const byte = z.string().regex(/^0x[0-9a-f]{1,2}$/, 'one byte of hex');
/** `ratio` (src/eth/fee_market.yaml gasUsedRatio items): a number from 0 to 1. */
export const ratio = z.number().min(0).max(1);

// ---- src/schemas/transaction.yaml ----

/** AccessListEntry (additionalProperties: false). */
const accessListEntry = z.strictObject({ address, storageKeys: z.array(hash32) });

/**
 * TransactionInfo for a type-2 transaction: its "Contextual information" (blockHash,
 * blockNumber, blockTimestamp, from, hash, transactionIndex) and Transaction1559Signed
 * (Transaction1559Unsigned's fields with yParity, r, s and the deprecated v), nothing else.
 * The spec's version that added blockTimestamp is followed (geth serves it too). A pending
 * transaction has no block: its four block fields are null, as geth serves them.
 */
function transactionInfo(placement: 'committed' | 'pending') {
  const inBlock = <T extends z.ZodType>(schema: T) => (placement === 'committed' ? schema : z.null());
  return z.strictObject({
    blockHash: inBlock(hash32),
    blockNumber: inBlock(uint),
    blockTimestamp: inBlock(uint),
    from: address,
    hash: hash32,
    transactionIndex: inBlock(uint),
    type: z.literal('0x2'),
    nonce: uint,
    to: z.union([address, z.null()]).optional(),
    gas: uint,
    value: uint,
    input: bytes,
    maxPriorityFeePerGas: uint,
    maxFeePerGas: uint,
    gasPrice: uint,
    accessList: z.array(accessListEntry),
    chainId: uint,
    yParity: z.enum(['0x0', '0x1']),
    v: z.enum(['0x0', '0x1']).optional(),
    r: uint,
    s: uint,
  });
}
export const committedTransaction = transactionInfo('committed');
export const pendingTransaction = transactionInfo('pending');

// ---- src/schemas/block.yaml ----

const blockFields = {
  hash: hash32,
  parentHash: hash32,
  sha3Uncles: hash32,
  miner: address,
  stateRoot: hash32,
  transactionsRoot: hash32,
  receiptsRoot: hash32,
  logsBloom: bytes256,
  // optional in the spec; a block of this chain always has both (issue 13)
  difficulty: uint,
  baseFeePerGas: uint,
  number: uint,
  gasLimit: uint,
  gasUsed: uint,
  timestamp: uint,
  extraData: bytes,
  mixHash: hash32,
  nonce: bytes8,
  size: uint,
  uncles: z.array(hash32),
  // optional members of the spec's Block this chain has no use for
  totalDifficulty: uint.optional(),
  withdrawalsRoot: hash32.optional(),
  withdrawals: z.array(z.unknown()).optional(),
  blobGasUsed: uint.optional(),
  excessBlobGas: uint.optional(),
  parentBeaconBlockRoot: hash32.optional(),
};
/** Block with `transactions` as hashes (the `false` of eth_getBlockBy*). */
export const blockWithHashes = z.strictObject({ ...blockFields, transactions: z.array(hash32) });
/** Block with `transactions` as TransactionInfo objects (the `true` of eth_getBlockBy*). */
export const blockWithTransactions = z.strictObject({
  ...blockFields,
  transactions: z.array(committedTransaction),
});
/** src/eth/block.yaml eth_getBlockBy*: `notFound` (null) or a Block. */
export const blockOrNull = z.union([blockWithHashes, blockWithTransactions, z.null()]);

// ---- src/schemas/receipt.yaml ----

/** Log (additionalProperties: false); this chain has none, but an empty list is checked against it. */
const log = z.strictObject({
  removed: z.boolean().optional(),
  logIndex: uint.optional(),
  transactionIndex: uint.optional(),
  transactionHash: hash32,
  blockHash: hash32.optional(),
  blockNumber: uint.optional(),
  blockTimestamp: uint.optional(),
  address: address.optional(),
  data: bytes.optional(),
  topics: z.array(hash32).optional(),
});

/** ReceiptInfo (additionalProperties: false), with `type` and `status` that a type-2 transfer has. */
export const receipt = z.strictObject({
  type: z.literal('0x2'),
  transactionHash: hash32,
  transactionIndex: uint,
  blockHash: hash32,
  blockNumber: uint,
  from: address,
  to: z.union([address, z.null()]),
  cumulativeGasUsed: uint,
  gasUsed: uint,
  contractAddress: z.union([address, z.null()]),
  logs: z.array(log),
  logsBloom: bytes256,
  status: z.enum(['0x0', '0x1']),
  effectiveGasPrice: uint,
});

// ---- src/eth/fee_market.yaml eth_feeHistory result ----

export const feeHistory = z.strictObject({
  oldestBlock: uint,
  baseFeePerGas: z.array(uint),
  baseFeePerBlobGas: z.array(uint).optional(),
  gasUsedRatio: z.array(ratio),
  blobGasUsedRatio: z.array(ratio).optional(),
  reward: z.array(z.array(uint)).optional(),
});

// ---- src/schemas/client.yaml SyncingStatus ----

export const syncingStatus = z.union([
  z.literal(false),
  z.strictObject({ startingBlock: uint, currentBlock: uint, highestBlock: uint }),
]);

/**
 * Each method's result, by the spec file that defines it. net_* and web3_* are not in
 * execution-apis: their shapes are the ones geth serves and EIP-1474 lists (net_version a
 * decimal string, net_listening a boolean, net_peerCount a quantity).
 */
export const RESULT_SCHEMAS: Record<string, z.ZodType> = {
  // src/eth/client.yaml
  eth_chainId: uint,
  eth_syncing: syncingStatus,
  eth_accounts: z.array(address),
  eth_blockNumber: uint,
  // EIP-1474 / geth
  net_version: z.string().regex(/^[1-9][0-9]*$/),
  net_listening: z.boolean(),
  net_peerCount: uint,
  web3_clientVersion: z.string().min(1),
  // src/eth/block.yaml
  eth_getBlockByNumber: blockOrNull,
  eth_getBlockByHash: blockOrNull,
  eth_getBlockTransactionCountByNumber: z.union([uint, z.null()]),
  eth_getBlockTransactionCountByHash: z.union([uint, z.null()]),
  // src/eth/state.yaml
  eth_getBalance: uint,
  eth_getTransactionCount: uint,
  eth_getCode: bytes,
  // src/eth/fee_market.yaml
  eth_gasPrice: uint,
  eth_maxPriorityFeePerGas: uint,
  eth_feeHistory: feeHistory,
  // src/eth/execute.yaml
  eth_estimateGas: uint,
  eth_call: bytes,
  // src/eth/filter.yaml (FilterResults: logs)
  eth_getLogs: z.array(log),
  // src/eth/submit.yaml
  eth_sendRawTransaction: hash32,
  // src/eth/transaction.yaml
  eth_getTransactionByHash: z.union([committedTransaction, pendingTransaction, z.null()]),
  eth_getTransactionReceipt: z.union([receipt, z.null()]),
};

/** Fails with the spec's objection, naming the method, when `result` is not its shape. */
export function assertResultShape(method: string, result: unknown): void {
  const schema = RESULT_SCHEMAS[method];
  if (!schema) throw new Error(`no result schema for ${method}`);
  assertShape(schema, result, method);
}

export function assertShape(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `${what}: not the execution-apis shape: ${z.prettifyError(parsed.error)}\n${JSON.stringify(value)}`,
    );
}

/** The JSON-RPC 2.0 error response object (https://www.jsonrpc.org/specification#error_object). */
export const errorResponse = z.strictObject({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number(), z.null()]),
  error: z.strictObject({ code: z.number().int(), message: z.string().min(1), data: z.unknown().optional() }),
});
