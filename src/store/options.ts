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
   * Address space lmdb maps the data file into at open; 0: lmdb-js's own start of 128 KB.
   * lmdb-js grows a full map by mapping the file again at twice its size and keeps every
   * earlier map until the store closes (its mdb.c leaves the munmap out, since reads may
   * still point into the old map): the file's pages read through each map stay resident in
   * each, so from the 128 KB start the process holds the file about twice over. One large
   * map is only address space (without lmdb's writemap the file is not extended to it); a
   * file that outgrows it is remapped as before. Not the default yet: with a map larger
   * than a full tmpfs, the node restarted after DISK_FULL hung before it served
   * (test/e2e/full-disk.test.ts, about one run in four), a cause not yet found.
   */
  mapSizeBytes: number;
}

export const DEFAULT_STORE_OPTIONS: Readonly<StoreOptions> = Object.freeze({
  provableHistoryBlocks: 16,
  diskFullFreeBytes: 64 * 1024 * 1024,
  mapSizeBytes: 0,
});
