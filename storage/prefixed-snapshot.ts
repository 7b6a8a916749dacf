// A StoreSnapshot over an engine snapshot, seen through a sublevel prefix (empty at the root).

import { BatchIterator } from './batch-iterator.ts'
import type { Bytes, KeyRange, StoreSnapshot } from './ordered-store.ts'
import { closedError } from './storage-error.ts'
import type { EngineSnapshot } from './store-engine.ts'
import type { SublevelPrefix } from './sublevel-prefix.ts'

export class PrefixedSnapshot implements StoreSnapshot {
  readonly #snapshot: EngineSnapshot
  readonly #prefix: SublevelPrefix
  #isClosed = false

  constructor(snapshot: EngineSnapshot, prefix: SublevelPrefix) {
    this.#snapshot = snapshot
    this.#prefix = prefix
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.#assertOpen()
    return this.#snapshot.get(this.#prefix.key(key))
  }

  async getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    if (!Array.isArray(keys)) throw new TypeError('getMany() takes an array of keys')
    this.#assertOpen()
    return this.#snapshot.getMany(keys.map((key) => this.#prefix.key(key)))
  }

  iterator(range?: KeyRange): AsyncIterableIterator<[Bytes, Bytes], undefined> {
    const resolved = this.#prefix.range(range)
    return new BatchIterator(() => {
      this.#assertOpen()
      return this.#snapshot.entries(resolved)
    }, this.#prefix.stripEntry)
  }

  keys(range?: KeyRange): AsyncIterableIterator<Bytes, undefined> {
    const resolved = this.#prefix.range(range)
    return new BatchIterator(() => {
      this.#assertOpen()
      return this.#snapshot.keys(resolved)
    }, this.#prefix.stripKey)
  }

  /** Idempotent. Releases what the snapshot pins (heap chunks, LevelDB sequence number). */
  async close(): Promise<void> {
    if (this.#isClosed) return
    this.#isClosed = true
    await this.#snapshot.close()
  }

  #assertOpen(): void {
    if (this.#isClosed) throw closedError('The snapshot')
  }
}
