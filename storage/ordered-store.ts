// The byte-level ordered store contract that every implementation (heap/, leveldb/) fulfils.
// Storage moves bytes; the state layer above encodes. Keys sort by unsigned byte order (memcmp,
// a prefix before its extensions). A missing key reads as `undefined`, never as an error.

export type Bytes = Uint8Array

/**
 * A key range. Bounds are optional; `gt` and `gte` (and `lt` and `lte`) are mutually exclusive.
 * `limit` caps the number of entries yielded (Infinity or absent: no cap).
 */
export interface KeyRange {
  gt?: Bytes
  gte?: Bytes
  lt?: Bytes
  lte?: Bytes
  reverse?: boolean
  limit?: number
}

export type BatchOp = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes }

/** What an implementation can do, so callers branch on features instead of on classes. */
export interface StoreSupports {
  readonly getSync: boolean
  readonly snapshots: boolean
  /** Data survives close and reopen at the same location. */
  readonly persistent: boolean
  /** approximateSize reports real on-disk bytes (false: always 0). */
  readonly approximateSize: boolean
}

/**
 * Bytes returned by reads are owned by the caller only to read: the heap store hands out its
 * stored arrays, so mutating them would change the store. Bytes passed to writes are copied by
 * the heap store (LevelDB copies them natively), so callers may reuse their buffers.
 */
export interface StoreReader {
  get(key: Bytes): Promise<Bytes | undefined>
  getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]>
  /**
   * Entries in byte order (reverse: descending). Reads in batches internally. The view is fixed
   * when iteration starts (first `next()`): writes made afterwards are not seen.
   */
  iterator(range?: KeyRange): AsyncIterable<[Bytes, Bytes]>
  keys(range?: KeyRange): AsyncIterable<Bytes>
}

/** A consistent point-in-time view; release it with close() (it pins memory or LevelDB files). */
export interface StoreSnapshot extends StoreReader {
  close(): Promise<void>
}

/**
 * A write is visible to every read once its promise resolves; before that, stores differ (heap
 * applies writes at the call, LevelDB on its thread pool), so await writes that reads depend on.
 */
export interface OrderedStore extends StoreReader {
  readonly supports: StoreSupports
  /** Synchronous point read; the state layer's object cache reads its misses with it. */
  getSync(key: Bytes): Bytes | undefined
  put(key: Bytes, value: Bytes): Promise<void>
  del(key: Bytes): Promise<void>
  /** Atomic. `sync: true` waits for fsync (LevelDB); the heap store ignores it. */
  batch(ops: BatchOp[], options?: { sync?: boolean }): Promise<void>
  clear(range?: KeyRange): Promise<void>
  snapshot(): StoreSnapshot
  /**
   * A namespaced view: every key is transparently prefixed; iteration stays inside the namespace.
   * Like Level, the parent's keyspace contains the sublevel's (prefixed) entries, so a parent's
   * clear() or iterator() without a range covers its sublevels too. Closing a sublevel closes only
   * the view; closing the root closes every view.
   */
  sublevel(name: string): OrderedStore
  /** Approximate bytes on disk for the range (0 for heap, and for data still in the write buffer). */
  approximateSize(range?: KeyRange): Promise<number>
  /** Idempotent. Afterwards every operation fails with code STORE_CLOSED. */
  close(): Promise<void>
}

/** LevelDB tuning; the heap store ignores all of it. Sizes in bytes (see memory-budget.ts). */
export interface StoreOptions {
  cacheSize?: number
  writeBufferSize?: number
  /**
   * LevelDB max_open_files (LevelDB clamps it to 74..50000). Its table cache holds maxOpenFiles − 10
   * tables, and on 64-bit POSIX each open table is mmapped: the pages a read touches count in RSS
   * until the table leaves the table cache.
   */
  maxOpenFiles?: number
  /** Size at which LevelDB starts a new table file in compactions (LevelDB clamps it to ≥ 1 MiB). */
  maxFileSize?: number
  /** Uncompressed bytes per data block (LevelDB default 4096). */
  blockSize?: number
  /** Snappy-compress blocks (default true). */
  compression?: boolean
  createIfMissing?: boolean
  errorIfExists?: boolean
}

export interface StoreFactory {
  open(location: string | undefined, options?: StoreOptions): Promise<OrderedStore>
}
