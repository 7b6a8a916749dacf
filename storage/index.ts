// The public surface of storage/: the OrderedStore contract, its two implementations, errors and
// the memory budget. Engines, cursors and prefix plumbing stay internal.

export type {
  BatchOp,
  Bytes,
  KeyRange,
  OrderedStore,
  StoreFactory,
  StoreOptions,
  StoreReader,
  StoreSnapshot,
  StoreSupports,
} from './ordered-store.ts'
export { compareBytes, prefixUpperBound } from './bytes.ts'
export { StorageError, isStorageError, type StorageErrorCode } from './storage-error.ts'
export { MAX_SUBLEVEL_NAME_BYTES, SUBLEVEL_SEPARATOR } from './sublevel-prefix.ts'
export { HeapStore, heapStoreFactory } from './heap/heap-store.ts'
export { LevelStore, levelStoreFactory } from './leveldb/level-store.ts'
export { type LevelDbTableReads, levelDbTableReads } from './leveldb/table-reads.ts'
export {
  formatBytes,
  MAX_BLOCK_CACHE,
  MAX_TABLE_CACHE,
  MAX_WRITE_BUFFER,
  MEMORY_FRACTIONS,
  MIN_MEMORY_PER_SLOT,
  MIN_TABLE_CACHE,
  type MemoryBudget,
  maxOpenFilesOf,
  PREAD_TABLE_FILE_SIZE,
  parseSize,
  splitMemoryBudget,
  TABLE_FILE_SIZE,
  TABLE_METADATA_FRACTION,
  TABLE_METADATA_RATIO,
} from './memory-budget.ts'
