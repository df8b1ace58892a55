/**
 * Stateless block checks against the parent header and the genesis limits. Execution
 * (src/chain/execute.ts) then checks the state root; consensus checks the QC.
 */
import { equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/hash.js';
import { encodedBlockSize, hashHeader } from './codec.js';
import { ChainError } from './errors.js';
import { merkleRoot } from './merkle.js';
import type { Block, BlockHeader } from './types.js';

/** Block limits and identity from genesis. */
export interface BlockLimits {
  chainId: bigint;
  maxBlockTxs: number;
  maxBlockBytes: number;
}

export function txHashes(block: Block): Uint8Array[] {
  return block.transactions.map(keccak256);
}

/** Checks that `block` may follow `parent`; returns the tx hashes it computed on the way. */
export function validateBlockAgainstParent(
  block: Block,
  parent: BlockHeader,
  limits: BlockLimits,
): Uint8Array[] {
  const h = block.header;
  if (h.chainId !== limits.chainId)
    throw new ChainError('WRONG_CHAIN_ID', `chainId ${h.chainId} is not ${limits.chainId}`);
  if (h.height !== parent.height + 1) {
    throw new ChainError('WRONG_HEIGHT', `height ${h.height} does not follow parent height ${parent.height}`);
  }
  if (!equalBytes(h.parentHash, hashHeader(parent)))
    throw new ChainError('WRONG_PARENT', 'parentHash is not the parent');
  if (h.round <= parent.round)
    throw new ChainError('ROUND_NOT_INCREASING', `round ${h.round} <= parent round ${parent.round}`);
  if (h.timestampMs < parent.timestampMs) {
    throw new ChainError(
      'TIMESTAMP_BEFORE_PARENT',
      `timestamp ${h.timestampMs} is before parent's ${parent.timestampMs}`,
    );
  }
  if (block.transactions.length > limits.maxBlockTxs) {
    throw new ChainError(
      'TOO_MANY_TXS',
      `${block.transactions.length} transactions > limit ${limits.maxBlockTxs}`,
    );
  }
  const size = encodedBlockSize(block);
  if (size > limits.maxBlockBytes)
    throw new ChainError('BLOCK_TOO_LARGE', `${size} bytes > limit ${limits.maxBlockBytes}`);
  const hashes = txHashes(block);
  const seen = new Set<string>();
  for (const hash of hashes) {
    const key = Buffer.from(hash).toString('hex');
    if (seen.has(key)) throw new ChainError('DUPLICATE_TX', `transaction 0x${key} appears twice`);
    seen.add(key);
  }
  if (!equalBytes(h.txRoot, merkleRoot(hashes)))
    throw new ChainError('BAD_TX_ROOT', 'txRoot does not match the transactions');
  return hashes;
}
