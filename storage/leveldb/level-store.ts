// LevelStore: the persistent OrderedStore over LevelDB (Flink's EmbeddedRocksDBStateBackend
// counterpart). One per TaskManager; states live in binary-prefixed sublevels of it.

import type { OrderedStore, StoreFactory, StoreOptions } from '../ordered-store.ts'
import { PrefixedStore } from '../prefixed-store.ts'
import { LevelEngine } from './level-engine.ts'

export class LevelStore extends PrefixedStore {
  readonly location: string
  readonly #engine: LevelEngine

  private constructor(engine: LevelEngine) {
    super(engine)
    this.#engine = engine
    this.location = engine.location
  }

  /**
   * Opens (by default creating) the LevelDB directory. Fails fast with StorageError STORE_LOCKED
   * when another process holds it, STORE_CORRUPTION, STORE_IO_ERROR or STORE_NOT_OPEN otherwise.
   */
  static async open(location: string, options: StoreOptions = {}): Promise<LevelStore> {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError('LevelStore.open() needs a directory path')
    }
    validateOptions(options)
    return new LevelStore(await LevelEngine.open(location, options))
  }

  /** LevelDB's own estimate of its memory in use (memtables and block cache), for /metrics. */
  approximateMemoryUsage(): number {
    return this.#engine.approximateMemoryUsage()
  }
}

export const levelStoreFactory: StoreFactory = {
  async open(location: string | undefined, options?: StoreOptions): Promise<OrderedStore> {
    if (location === undefined) throw new TypeError('The LevelDB state backend needs a state directory')
    return LevelStore.open(location, options)
  },
}

const MAX_UINT32 = 0xffff_ffff

function validateOptions(options: StoreOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('LevelStore options must be an object')
  for (const name of ['cacheSize', 'writeBufferSize', 'maxOpenFiles', 'maxFileSize', 'blockSize'] as const) {
    const value = options[name]
    // LevelDB's binding reads sizes as uint32.
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0 && value <= MAX_UINT32)) {
      throw new TypeError(
        `LevelStore option '${name}' must be a whole number in 1..${MAX_UINT32}, got ${String(value)}`,
      )
    }
  }
  for (const name of ['createIfMissing', 'errorIfExists', 'compression'] as const) {
    const value = options[name]
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError(`LevelStore option '${name}' must be a boolean, got ${String(value)}`)
    }
  }
}
