/** Options of the ledger store, with their defaults. */
export interface StoreOptions {
  /**
   * Committed heights below the head at which accounts stay provable: heights head - K ..
   * head (K this value). Each costs the undo records of one block (docs/FORMATS.md); a
   * proof at an older height is refused with NOT_PROVABLE.
   */
  provableHistoryBlocks: number;
  /**
   * A write that fails while the data directory's file system has fewer free bytes than
   * this is reported as DISK_FULL (data-file.ts: lmdb reports a full disk as an I/O error).
   */
  diskFullFreeBytes: number;
}

export const DEFAULT_STORE_OPTIONS: Readonly<StoreOptions> = Object.freeze({
  provableHistoryBlocks: 16,
  diskFullFreeBytes: 64 * 1024 * 1024,
});
