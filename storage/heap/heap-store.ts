// HeapStore: the in-memory OrderedStore (Flink's HashMapStateBackend counterpart) for small state
// and tests. Sorted chunks with copy-on-write snapshots; see sorted-chunks.ts for the measurements.

import type { OrderedStore, StoreFactory } from '../ordered-store.ts'
import { PrefixedStore } from '../prefixed-store.ts'
import { HeapEngine } from './heap-engine.ts'

export class HeapStore extends PrefixedStore {
  constructor() {
    super(new HeapEngine())
  }

  /** For symmetry with LevelStore.open; a heap store is ready as soon as it is constructed. */
  static async open(): Promise<HeapStore> {
    return new HeapStore()
  }
}

/** Ignores location and options: heap state lives and dies with the process. */
export const heapStoreFactory: StoreFactory = {
  async open(): Promise<OrderedStore> {
    return new HeapStore()
  },
}
