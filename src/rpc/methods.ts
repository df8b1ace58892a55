/**
 * The Ethereum JSON-RPC methods this node answers (issue 13 lists them and why each answers
 * as it does), over an RpcBackend. Each method validates its positional parameters itself
 * (INVALID_PARAMS naming the parameter) before it reads anything.
 */
import { TRANSFER_GAS } from '../state/index.js';
import type { RpcBackend } from './backend.js';
import { invalidParams, RPC_ERRORS, RpcError } from './errors.js';
import { blockObject, receiptObject, transactionObject } from './format.js';
import { parseAddress, parseData, parseHash, parseQuantity, quantity } from './hex.js';
import type { RpcOptions } from './options.js';

export type RpcMethod = (params: readonly unknown[]) => unknown | Promise<unknown>;

/** Longest raw transaction eth_sendRawTransaction reads (far above any transfer). */
const MAX_RAW_TX_BYTES = 128 * 1024;

const TAGS = new Set(['latest', 'finalized', 'safe', 'pending', 'earliest']);

/** The Ethereum wording of each admission refusal (geth's txpool messages, which clients match). */
const REFUSAL_MESSAGES: Record<string, string> = {
  NONCE_TOO_LOW: 'nonce too low',
  NONCE_TOO_HIGH: 'nonce too high',
  INSUFFICIENT_FUNDS: 'insufficient funds for gas * price + value',
  ALREADY_KNOWN: 'already known',
  REPLACEMENT_UNDERPRICED: 'replacement transaction underpriced',
  FEE_TOO_LOW: 'max fee per gas less than block base fee',
  INTRINSIC_GAS_TOO_LOW: 'intrinsic gas too low',
  PRIORITY_FEE_ABOVE_MAX_FEE: 'max priority fee per gas higher than max fee per gas',
  MEMPOOL_FULL: 'txpool is full',
  SENDER_FULL: 'too many pending transactions from this sender',
  WRONG_TX_TYPE: 'transaction type not supported',
  WRONG_CHAIN_ID: 'invalid chain id for signer',
  CONTRACT_CREATION: 'contract creation is not supported: this chain has no contracts',
  NON_EMPTY_DATA: 'transactions carry no data on this chain',
  ACCESS_LIST: 'access lists are not supported on this chain',
  BAD_SIGNATURE: 'invalid transaction v, r, s values',
  HIGH_S: 'invalid transaction v, r, s values',
  OVERSIZE: 'oversized data',
};

function arity(params: readonly unknown[], min: number, max: number, method: string): void {
  if (params.length < min || params.length > max)
    throw invalidParams(
      min === max
        ? `${method} takes ${min} parameter${min === 1 ? '' : 's'}`
        : `${method} takes ${min} to ${max} parameters`,
    );
}

function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidParams(`${name} must be true or false`);
  return value;
}

export function createRpcMethods(backend: RpcBackend, options: RpcOptions): Record<string, RpcMethod> {
  const notFound = (what: string) => new RpcError(RPC_ERRORS.SERVER_ERROR, `${what} not found`);

  /** A block number or tag (and, where allowed, an EIP-1898 object) as a committed height. */
  const heightOf = (value: unknown, name: string, { allowHash = false } = {}): number => {
    if (value === undefined) return backend.head();
    if (typeof value === 'string' && TAGS.has(value)) return value === 'earliest' ? 0 : backend.head();
    if (allowHash && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      if ('blockHash' in o) {
        const block = backend.block({ hash: parseHash(o.blockHash, `${name}.blockHash`) });
        if (!block) throw notFound('block');
        return block.header.height;
      }
      if ('blockNumber' in o) return heightOf(o.blockNumber, `${name}.blockNumber`);
      throw invalidParams(`${name} must be a block number, a tag, or {blockHash} / {blockNumber}`);
    }
    if (typeof value !== 'string' || !value.startsWith('0x'))
      throw invalidParams(`${name} must be a hex block number or one of ${[...TAGS].join(', ')}`);
    const n = parseQuantity(value, name, 64);
    if (n > BigInt(backend.head())) throw notFound(`block ${n}`);
    return Number(n);
  };

  /** A block number or tag for a method that answers null for a block it does not have. */
  const heightOrNull = (value: unknown, name: string): number | null => {
    if (typeof value === 'string' && value.startsWith('0x')) {
      const n = parseQuantity(value, name, 64);
      return n > BigInt(backend.head()) ? null : Number(n);
    }
    return heightOf(value, name);
  };

  const fullBlock = (height: number | null, full: boolean) => {
    if (height === null) return null;
    const block = backend.block({ height });
    if (!block) return null;
    const txs = full
      ? backend
          .blockTransactions(height)
          .map((tx, index) =>
            transactionObject(
              tx,
              { blockHash: block.hash, height, timestampMs: block.header.timestampMs, index },
              backend.baseFeePerGas,
            ),
          )
      : backend.blockTransactionHashes(height).map((h) => `0x${Buffer.from(h).toString('hex')}`);
    return blockObject(block, backend.baseFeePerGas, backend.blockGasLimit, txs);
  };

  const accountAt = (addressParam: unknown, tag: unknown) => {
    const address = parseAddress(addressParam, 'address');
    return { address, account: backend.account(address, heightOf(tag, 'block', { allowHash: true })) };
  };

  /** A transaction object parameter of eth_call / eth_estimateGas: what a transfer may carry. */
  const callObject = (value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw invalidParams('the transaction must be an object');
    const o = value as Record<string, unknown>;
    const input = o.input ?? o.data;
    const payload =
      input === undefined ? new Uint8Array(0) : parseData(input, 'input', undefined, MAX_RAW_TX_BYTES);
    return {
      from: o.from === undefined ? undefined : parseAddress(o.from, 'from'),
      to: o.to === undefined || o.to === null ? undefined : parseAddress(o.to, 'to'),
      value: o.value === undefined ? 0n : parseQuantity(o.value, 'value'),
      gas: o.gas === undefined ? undefined : parseQuantity(o.gas, 'gas', 64),
      price:
        o.maxFeePerGas !== undefined
          ? parseQuantity(o.maxFeePerGas, 'maxFeePerGas')
          : o.gasPrice !== undefined
            ? parseQuantity(o.gasPrice, 'gasPrice')
            : undefined,
      payload,
    };
  };

  const unsupported = (message: string) => new RpcError(RPC_ERRORS.UNSUPPORTED, message);

  return {
    web3_clientVersion: (p) => {
      arity(p, 0, 0, 'web3_clientVersion');
      return backend.clientVersion;
    },
    net_version: (p) => {
      arity(p, 0, 0, 'net_version');
      return backend.chainId.toString();
    },
    net_listening: (p) => {
      arity(p, 0, 0, 'net_listening');
      return true;
    },
    net_peerCount: (p) => {
      arity(p, 0, 0, 'net_peerCount');
      return quantity(backend.peerCount());
    },
    eth_chainId: (p) => {
      arity(p, 0, 0, 'eth_chainId');
      return quantity(backend.chainId);
    },
    eth_syncing: (p) => {
      arity(p, 0, 0, 'eth_syncing');
      if (!backend.syncing()) return false;
      // block sync does not know how far the peers are ahead until it gets there
      const head = quantity(backend.head());
      return { startingBlock: head, currentBlock: head, highestBlock: head };
    },
    eth_accounts: (p) => {
      arity(p, 0, 0, 'eth_accounts');
      return [];
    },
    eth_blockNumber: (p) => {
      arity(p, 0, 0, 'eth_blockNumber');
      return quantity(backend.head());
    },

    eth_getBlockByNumber: (p) => {
      arity(p, 1, 2, 'eth_getBlockByNumber');
      return fullBlock(heightOrNull(p[0], 'block'), p.length > 1 && bool(p[1], 'full'));
    },
    eth_getBlockByHash: (p) => {
      arity(p, 1, 2, 'eth_getBlockByHash');
      const block = backend.block({ hash: parseHash(p[0], 'hash') });
      return fullBlock(block ? block.header.height : null, p.length > 1 && bool(p[1], 'full'));
    },
    eth_getBlockTransactionCountByNumber: (p) => {
      arity(p, 1, 1, 'eth_getBlockTransactionCountByNumber');
      const height = heightOrNull(p[0], 'block');
      const block = height === null ? undefined : backend.block({ height });
      return block ? quantity(block.txCount) : null;
    },
    eth_getBlockTransactionCountByHash: (p) => {
      arity(p, 1, 1, 'eth_getBlockTransactionCountByHash');
      const block = backend.block({ hash: parseHash(p[0], 'hash') });
      return block ? quantity(block.txCount) : null;
    },

    eth_getBalance: (p) => {
      arity(p, 1, 2, 'eth_getBalance');
      return quantity(accountAt(p[0], p[1]).account?.balance ?? 0n);
    },
    eth_getTransactionCount: (p) => {
      arity(p, 1, 2, 'eth_getTransactionCount');
      if (p[1] === 'pending') return quantity(backend.pendingNonce(parseAddress(p[0], 'address')));
      return quantity(accountAt(p[0], p[1]).account?.nonce ?? 0n);
    },
    eth_getCode: (p) => {
      arity(p, 1, 2, 'eth_getCode');
      accountAt(p[0], p[1]);
      return '0x';
    },

    eth_gasPrice: (p) => {
      arity(p, 0, 0, 'eth_gasPrice');
      // used as both fees by wallets that fall back to it: it must cover base fee and tip
      return quantity(backend.baseFeePerGas + options.suggestedPriorityFeeWei);
    },
    eth_maxPriorityFeePerGas: (p) => {
      arity(p, 0, 0, 'eth_maxPriorityFeePerGas');
      return quantity(options.suggestedPriorityFeeWei);
    },
    eth_feeHistory: (p) => {
      arity(p, 2, 3, 'eth_feeHistory');
      const count =
        typeof p[0] === 'number' && Number.isSafeInteger(p[0]) && p[0] >= 0
          ? BigInt(p[0])
          : parseQuantity(p[0], 'blockCount', 64);
      const newest = heightOf(p[1], 'newestBlock');
      const asked = p[2] === undefined || p[2] === null ? [] : rewardPercentiles(p[2], options);
      // an empty list asks for no rewards (geth omits the member then)
      const percentiles = asked.length > 0 ? asked : undefined;
      const cap = percentiles ? options.maxFeeHistoryRewardBlocks : options.maxFeeHistoryBlocks;
      if (count > BigInt(cap))
        throw new RpcError(RPC_ERRORS.LIMIT_EXCEEDED, `blockCount must be at most ${cap} here`);
      const oldest = Math.max(0, newest - Number(count) + 1);
      const heights = count === 0n ? [] : Array.from({ length: newest - oldest + 1 }, (_, i) => oldest + i);
      const result: Record<string, unknown> = {
        oldestBlock: quantity(heights.length === 0 ? newest : oldest),
        // one more than the blocks: the base fee of the block after the newest
        baseFeePerGas: [...heights, newest + 1].map(() => quantity(backend.baseFeePerGas)),
        gasUsedRatio: heights.map((h) => {
          const block = backend.block({ height: h });
          return block ? Number(TRANSFER_GAS * BigInt(block.txCount)) / Number(backend.blockGasLimit) : 0;
        }),
      };
      if (percentiles)
        result.reward = heights.map((h) =>
          rewardsAt(backend.blockPriorityFees(h), percentiles).map(quantity),
        );
      return result;
    },

    eth_estimateGas: (p) => {
      arity(p, 1, 2, 'eth_estimateGas');
      const call = callObject(p[0]);
      if (p[1] !== undefined) heightOf(p[1], 'block', { allowHash: true });
      if (call.to === undefined)
        throw unsupported('contract creation is not supported: this chain has no contracts');
      if (call.payload.length > 0) throw unsupported('transactions carry no data on this chain');
      if (call.gas !== undefined && call.gas < TRANSFER_GAS)
        throw new RpcError(RPC_ERRORS.SERVER_ERROR, 'intrinsic gas too low');
      if (call.from) {
        const balance = backend.account(call.from, backend.head())?.balance ?? 0n;
        const cost = call.value + (call.price ?? 0n) * TRANSFER_GAS;
        if (cost > balance)
          throw new RpcError(RPC_ERRORS.SERVER_ERROR, 'insufficient funds for gas * price + value');
      }
      return quantity(TRANSFER_GAS);
    },
    eth_call: (p) => {
      arity(p, 1, 3, 'eth_call');
      const call = callObject(p[0]);
      if (p[1] !== undefined) heightOf(p[1], 'block', { allowHash: true });
      if (call.to === undefined || call.payload.length > 0)
        throw unsupported('this chain has no contracts: a call with data or without `to` has nothing to run');
      return '0x';
    },
    eth_getLogs: (p) => {
      arity(p, 1, 1, 'eth_getLogs');
      if (typeof p[0] !== 'object' || p[0] === null || Array.isArray(p[0]))
        throw invalidParams('the filter must be an object');
      return [];
    },

    eth_sendRawTransaction: async (p) => {
      arity(p, 1, 1, 'eth_sendRawTransaction');
      const raw = parseData(p[0], 'transaction', undefined, MAX_RAW_TX_BYTES);
      const outcome = await backend.submit(raw);
      if ('hash' in outcome) return outcome.hash;
      throw new RpcError(
        RPC_ERRORS.SERVER_ERROR,
        REFUSAL_MESSAGES[outcome.error] ?? `invalid transaction: ${outcome.message}`,
        { reason: outcome.error },
      );
    },
    eth_getTransactionByHash: (p) => {
      arity(p, 1, 1, 'eth_getTransactionByHash');
      const found = backend.transaction(parseHash(p[0], 'hash'));
      return found ? transactionObject(found.tx, found.location, backend.baseFeePerGas) : null;
    },
    eth_getTransactionReceipt: (p) => {
      arity(p, 1, 1, 'eth_getTransactionReceipt');
      const found = backend.transaction(parseHash(p[0], 'hash'));
      return found?.location && found.receipt ? receiptObject(found.receipt, found.location) : null;
    },
  };
}

function rewardPercentiles(value: unknown, options: RpcOptions): number[] {
  if (!Array.isArray(value) || value.length > options.maxRewardPercentiles)
    throw invalidParams(
      `rewardPercentiles must be a list of at most ${options.maxRewardPercentiles} numbers`,
    );
  let previous = 0;
  return value.map((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < previous || v > 100)
      throw invalidParams('rewardPercentiles must be increasing numbers from 0 to 100');
    previous = v;
    return value[i] as number;
  });
}

/**
 * The priority fee at each percentile of a block's gas (as geth computes it: transactions by
 * tip, the first whose cumulative gas reaches the percentile). Every transfer uses the same
 * gas, so gas shares are transaction counts. An empty block rewards 0.
 */
function rewardsAt(tips: bigint[], percentiles: number[]): bigint[] {
  if (tips.length === 0) return percentiles.map(() => 0n);
  const sorted = [...tips].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return percentiles.map((p) => {
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[index];
  });
}
