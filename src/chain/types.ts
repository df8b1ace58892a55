import type { Address } from '../crypto/keys.js';

/**
 * A block header. Its hash (sha256 over the canonical RLP encoding, docs/FORMATS.md)
 * identifies the block; `parentQc` is produced by consensus and opaque here.
 */
export interface BlockHeader {
  chainId: bigint;
  height: number;
  round: number;
  parentHash: Uint8Array;
  proposer: Address;
  /** Milliseconds since the Unix epoch; never before the parent's. */
  timestampMs: number;
  /** RFC 6962 Merkle root over the keccak hashes of the block's transactions. */
  txRoot: Uint8Array;
  /** Root of the account tree after applying this block. */
  stateRoot: Uint8Array;
  /** RFC 6962 Merkle root over the canonical bytes of the block's receipts (receipts.ts). */
  receiptsRoot: Uint8Array;
  /** The quorum certificate of the parent, as consensus encodes it (empty for genesis). */
  parentQc: Uint8Array;
}

export interface Block {
  header: BlockHeader;
  /** Raw signed transactions (EIP-1559 bytes) in execution order. */
  transactions: Uint8Array[];
}
