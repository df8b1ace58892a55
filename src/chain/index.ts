export {
  type AccountProof,
  decodeAccountProof,
  encodeAccountProof,
  proveAccount,
  verifyAccountProof,
} from './account-proof.js';
export {
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodedBlockSize,
  encodeHeader,
  hashHeader,
  MAX_DECODED_BLOCK_TXS,
} from './codec.js';
export { type CommitProofPoint, commitProofPoints } from './commit-points.js';
export { ChainError, type ChainErrorCode } from './errors.js';
export {
  checkExecution,
  committedView,
  type ExecutedBlock,
  executeBlock,
  type LedgerView,
  overlayTree,
  rebase,
} from './execute.js';
export {
  buildGenesisBlock,
  type GenesisBlock,
  type GenesisBlockInput,
  ZERO_ADDRESS,
} from './genesis-block.js';
export { EMPTY_MERKLE_ROOT, type MerkleProof, merkleProof, merkleRoot, verifyMerkleProof } from './merkle.js';
export {
  decodeReceipt,
  encodeReceipt,
  RECEIPT_ENCODING_BYTES,
  receiptProof,
  receiptsRoot,
  verifyReceiptProof,
} from './receipts.js';
export type { Block, BlockHeader } from './types.js';
export { type BlockLimits, txHashes, validateBlockAgainstParent } from './validate.js';
