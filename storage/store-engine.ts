// The internal contract between PrefixedStore (keys, namespaces, iteration, view lifecycle) and an
// engine that owns the bytes (heap/, leveldb/). Engines see absolute keys and resolved ranges only,
// which is what keeps sublevel semantics identical across implementations. Not exported publicly.

import type { ResolvedRange } from './key-range.ts'
import type { BatchOp, Bytes, StoreSupports } from './ordered-store.ts'

/** A pull cursor over one range; an empty batch means the end. close() is idempotent. */
export interface EngineCursor<T> {
  nextBatch(): Promise<T[]>
  close(): Promise<void>
}

export interface EngineReader {
  get(key: Bytes): Promise<Bytes | undefined>
  getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]>
  /** Opens lazily: the view is fixed when the first batch is read. */
  entries(range: ResolvedRange): EngineCursor<[Bytes, Bytes]>
  keys(range: ResolvedRange): EngineCursor<Bytes>
}

export interface EngineSnapshot extends EngineReader {
  close(): Promise<void>
}

/** Every method fails with StorageError STORE_CLOSED once close() was called. */
export interface StoreEngine extends EngineReader {
  readonly supports: StoreSupports
  getSync(key: Bytes): Bytes | undefined
  put(key: Bytes, value: Bytes): Promise<void>
  del(key: Bytes): Promise<void>
  batch(ops: BatchOp[], sync: boolean): Promise<void>
  clear(range: ResolvedRange): Promise<void>
  snapshot(): EngineSnapshot
  approximateSize(range: ResolvedRange): Promise<number>
  close(): Promise<void>
}
