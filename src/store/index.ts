export {
  type IndexedTransfer,
  receiptOfRecord,
  type StoredSummary,
  TX_RECORDS_PER_GROUP,
  type TxRecord,
} from './codec.js';
export {
  blockCommitOf,
  countCreatedAccounts,
  type ExecutedCommitInput,
  genesisCommitOf,
} from './commit.js';
export { checkDataFile, writeFailure } from './data-file.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { ChainStore } from './interface.js';
export { DEFAULT_STORE_OPTIONS, type StoreOptions } from './options.js';
export {
  type BlockCommit,
  type Head,
  type HistoryPage,
  LedgerStore,
  MAX_COMMIT_PROOF_HEADERS,
  MAX_HISTORY_PAGE,
  STORE_FORMAT,
  type StoredAccountProof,
  type StoredCommitProof,
  type StoredCommitProofPoint,
  type TxLocation,
} from './store.js';
