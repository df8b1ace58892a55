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
   * map costs only address space: without lmdb's writemap the file is not extended to it
   * (mdb.c truncates the file to the map size only under MDB_WRITEMAP), so a map larger
   * than the disk's free space changes nothing on disk, and a full disk fails a write as
   * before (DISK_FULL). A file that outgrows the map is remapped as before. Ignored (0) in a
   * process whose address space is limited (data-file.ts, mapSizeFor).
   */
  mapSizeBytes: number;
}

export const DEFAULT_STORE_OPTIONS: Readonly<StoreOptions> = Object.freeze({
  provableHistoryBlocks: 16,
  diskFullFreeBytes: 64 * 1024 * 1024,
  // a quarter TiB: 0.2% of the 128 TiB of user address space of x86-64 and arm64 Linux
  mapSizeBytes: 256 * 1024 * 1024 * 1024,
});
