// The OrderedStore every implementation hands out: argument checks, sublevel prefixes, batched
// iterators and the view lifecycle, written once over a StoreEngine so that heap and LevelDB
// behave identically. HeapStore and LevelStore are its root (empty prefix) subclasses.

import { BatchIterator } from './batch-iterator.ts'
import { assertBytes } from './bytes.ts'
import type { BatchOp, Bytes, KeyRange, OrderedStore, StoreSnapshot, StoreSupports } from './ordered-store.ts'
import { PrefixedSnapshot } from './prefixed-snapshot.ts'
import { closedError } from './storage-error.ts'
import type { StoreEngine } from './store-engine.ts'
import { SublevelPrefix } from './sublevel-prefix.ts'

export class PrefixedStore implements OrderedStore {
  readonly supports: StoreSupports
  readonly #engine: StoreEngine
  readonly #prefix: SublevelPrefix
  #isClosed = false

  protected constructor(engine: StoreEngine, prefix: SublevelPrefix = SublevelPrefix.ROOT) {
    this.#engine = engine
    this.#prefix = prefix
    this.supports = engine.supports
  }

  getSync(key: Bytes): Bytes | undefined {
    this.#assertOpen()
    return this.#engine.getSync(this.#prefix.key(key))
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.#assertOpen()
    return this.#engine.get(this.#prefix.key(key))
  }

  async getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    if (!Array.isArray(keys)) throw new TypeError('getMany() takes an array of keys')
    this.#assertOpen()
    return this.#engine.getMany(keys.map((key) => this.#prefix.key(key)))
  }

  iterator(range?: KeyRange): AsyncIterableIterator<[Bytes, Bytes], undefined> {
    const resolved = this.#prefix.range(range)
    return new BatchIterator(() => {
      this.#assertOpen()
      return this.#engine.entries(resolved)
    }, this.#prefix.stripEntry)
  }

  keys(range?: KeyRange): AsyncIterableIterator<Bytes, undefined> {
    const resolved = this.#prefix.range(range)
    return new BatchIterator(() => {
      this.#assertOpen()
      return this.#engine.keys(resolved)
    }, this.#prefix.stripKey)
  }

  async put(key: Bytes, value: Bytes): Promise<void> {
    assertBytes(value, 'A value')
    this.#assertOpen()
    return this.#engine.put(this.#prefix.key(key), value)
  }

  async del(key: Bytes): Promise<void> {
    this.#assertOpen()
    return this.#engine.del(this.#prefix.key(key))
  }

  async batch(ops: BatchOp[], options?: { sync?: boolean }): Promise<void> {
    if (!Array.isArray(ops)) throw new TypeError('batch() takes an array of operations')
    const sync = options?.sync ?? false
    if (typeof sync !== 'boolean') throw new TypeError("batch() option 'sync' must be a boolean")
    const mapped = ops.map((op): BatchOp => {
      if (op?.type === 'put') {
        assertBytes(op.value, 'A batch put value')
        return { type: 'put', key: this.#prefix.key(op.key), value: op.value }
      }
      if (op?.type === 'del') return { type: 'del', key: this.#prefix.key(op.key) }
      throw new TypeError(`A batch operation must have type 'put' or 'del', got ${String((op as BatchOp)?.type)}`)
    })
    this.#assertOpen()
    if (mapped.length === 0) return
    return this.#engine.batch(mapped, sync)
  }

  async clear(range?: KeyRange): Promise<void> {
    const resolved = this.#prefix.range(range)
    this.#assertOpen()
    return this.#engine.clear(resolved)
  }

  snapshot(): StoreSnapshot {
    this.#assertOpen()
    return new PrefixedSnapshot(this.#engine.snapshot(), this.#prefix)
  }

  sublevel(name: string): OrderedStore {
    const prefix = this.#prefix.child(name)
    this.#assertOpen()
    return new PrefixedStore(this.#engine, prefix)
  }

  async approximateSize(range?: KeyRange): Promise<number> {
    const resolved = this.#prefix.range(range)
    this.#assertOpen()
    return this.#engine.approximateSize(resolved)
  }

  /** The root closes the engine (and so every view); a sublevel closes only itself. */
  async close(): Promise<void> {
    this.#isClosed = true
    if (this.#prefix.isRoot) await this.#engine.close()
  }

  #assertOpen(): void {
    if (this.#isClosed) throw closedError(this.#prefix.isRoot ? 'The store' : `Sublevel '${this.#prefix.path}'`)
  }
}
