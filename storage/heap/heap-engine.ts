// The heap StoreEngine: all entries in one SortedChunks map, writes applied synchronously (so a
// batch is atomic), snapshots as copy-on-write views. Nothing survives close().

import type { ResolvedRange } from '../key-range.ts'
import type { BatchOp, Bytes, StoreSupports } from '../ordered-store.ts'
import { closedError } from '../storage-error.ts'
import type { EngineCursor, EngineSnapshot, StoreEngine } from '../store-engine.ts'
import { HeapCursor, HeapScan, type HeapSource } from './heap-scan.ts'
import { type Chunk, lookup, SortedChunks } from './sorted-chunks.ts'

const HEAP_SUPPORTS: StoreSupports = Object.freeze({
  getSync: true,
  snapshots: true,
  persistent: false,
  approximateSize: false,
})

const toEntry = (key: Bytes, value: Bytes): [Bytes, Bytes] => [key, value]
const toKey = (key: Bytes): Bytes => key

export class HeapEngine implements StoreEngine {
  readonly supports = HEAP_SUPPORTS
  readonly #map = new SortedChunks()
  #isClosed = false
  readonly #live: HeapSource = {
    assertOpen: () => this.#assertOpen(),
    chunks: () => this.#map.chunks,
    pin: () => this.#map.freeze(),
  }

  getSync(key: Bytes): Bytes | undefined {
    this.#assertOpen()
    return this.#map.get(key)
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    return this.getSync(key)
  }

  async getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    this.#assertOpen()
    return keys.map((key) => this.#map.get(key))
  }

  entries(range: ResolvedRange): EngineCursor<[Bytes, Bytes]> {
    return new HeapCursor(this.#live, range, toEntry)
  }

  keys(range: ResolvedRange): EngineCursor<Bytes> {
    return new HeapCursor(this.#live, range, toKey)
  }

  async put(key: Bytes, value: Bytes): Promise<void> {
    this.#assertOpen()
    this.#map.set(copy(key), copy(value))
  }

  async del(key: Bytes): Promise<void> {
    this.#assertOpen()
    this.#map.delete(key)
  }

  async batch(ops: BatchOp[]): Promise<void> {
    this.#assertOpen()
    for (const op of ops) {
      if (op.type === 'put') this.#map.set(copy(op.key), copy(op.value))
      else this.#map.delete(op.key)
    }
  }

  async clear(range: ResolvedRange): Promise<void> {
    this.#assertOpen()
    const isEverything =
      range.gt === undefined && range.gte === undefined && range.lt === undefined && range.lte === undefined
    if (isEverything && range.limit === Number.POSITIVE_INFINITY) {
      this.#map.clear() // frozen views keep their own chunk lists
      return
    }
    const keys = new HeapScan(this.#map.chunks, range, toKey).read(Number.POSITIVE_INFINITY)
    for (const key of keys) this.#map.delete(key)
  }

  snapshot(): EngineSnapshot {
    this.#assertOpen()
    return new HeapSnapshot(this.#map.freeze(), () => this.#assertOpen())
  }

  async approximateSize(): Promise<number> {
    this.#assertOpen()
    return 0
  }

  async close(): Promise<void> {
    this.#isClosed = true
    this.#map.clear()
  }

  #assertOpen(): void {
    if (this.#isClosed) throw closedError('The store')
  }
}

class HeapSnapshot implements EngineSnapshot {
  readonly #view: { chunks: readonly Chunk[]; release: () => void }
  readonly #source: HeapSource

  constructor(view: { chunks: readonly Chunk[]; release: () => void }, assertStoreOpen: () => void) {
    this.#view = view
    // Cursors of a snapshot read the frozen view itself; the snapshot's close() releases it.
    this.#source = { assertOpen: assertStoreOpen, chunks: () => view.chunks, pin: () => ({ ...view, release: noop }) }
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.#source.assertOpen()
    return lookup(this.#view.chunks, key)
  }

  async getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    this.#source.assertOpen()
    return keys.map((key) => lookup(this.#view.chunks, key))
  }

  entries(range: ResolvedRange): EngineCursor<[Bytes, Bytes]> {
    return new HeapCursor(this.#source, range, toEntry)
  }

  keys(range: ResolvedRange): EngineCursor<Bytes> {
    return new HeapCursor(this.#source, range, toKey)
  }

  async close(): Promise<void> {
    this.#view.release()
  }
}

function noop(): void {}

/** Callers may reuse their buffers (and Buffer.slice would not copy), so the map stores copies. */
function copy(bytes: Bytes): Bytes {
  return new Uint8Array(bytes)
}
