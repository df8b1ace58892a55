export { StoreError, type StoreErrorCode } from './errors.js';
export {
  type BlockCommit,
  type Head,
  type HistoryPage,
  LedgerStore,
  MAX_HISTORY_PAGE,
  type TxLocation,
} from './store.js';
