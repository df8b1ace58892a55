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
  /**
   * Address space lmdb maps the data file into at open. lmdb-js grows a full map by mapping
   * the file again at twice its size and keeps every earlier map until the store closes
   * (its mdb.c leaves the munmap out, since reads may still point into the old map): the
   * file's pages read through each map stay resident in each, so starting from lmdb-js's
   * 128 KB default the process held the file about twice over. One large map is only
   * address space (without lmdb's writemap the file is not extended to it); a file that
   * outgrows it is remapped as before.
   */
  mapSizeBytes: number;
}

export const DEFAULT_STORE_OPTIONS: Readonly<StoreOptions> = Object.freeze({
  provableHistoryBlocks: 16,
  diskFullFreeBytes: 64 * 1024 * 1024,
  mapSizeBytes: 64 * 1024 * 1024 * 1024,
});
