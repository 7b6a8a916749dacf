// LevelStateTable: a StateTable over one LevelDB sublevel with the TaskManager's write-back object
// cache in front. Point access stays synchronous: hits come from the cache, misses from getSync;
// writes stay in the cache (dirty) until evicted or flushed, then go down in batches. Reads look at
// cache → pending batch → batches in flight → disk, so a value is never read stale.
// Stored keys: a value at its primary key bytes; a MapState entry / ListState element at
// primary + secondary (primary keys are self-delimiting, so the two never collide).
import { decodeMsgpack, encodeMsgpack } from '@livestate/client'
import type { BatchOp, OrderedStore } from '../../../storage/ordered-store.ts'
import { prefixUpperBound } from '../../../storage/bytes.ts'
import { primaryLength } from '../stored-key-layout.ts'
import { keyGroupChars } from '../namespace.ts'
import type { StateTable, TableSnapshot } from '../state-table.ts'
import { mergeOverlay } from './overlay-merge.ts'
import type { CacheOwner, ObjectCache } from './object-cache.ts'

const FLUSH_AT_OPS = 2_000
const MAX_INFLIGHT = 4

function bytes(chars: string): Uint8Array {
  return Buffer.from(chars, 'latin1')
}

function chars(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
}


export interface LevelStateTableStats {
  flushes: number
  flushedOps: number
}

export class LevelStateTable implements StateTable, CacheOwner {
  private pending = new Map<string, Uint8Array | null>()
  private readonly inflight: Map<string, Uint8Array | null>[] = []
  private inflightDone: Promise<void>[] = []
  private readonly dirty = new Set<string>()
  private failure: Error | undefined

  constructor(
    private readonly store: OrderedStore,
    private readonly cache: ObjectCache,
    /** Unique per table inside the cache. */
    private readonly tag: string,
    readonly stats: LevelStateTableStats = { flushes: 0, flushedOps: 0 },
  ) {}

  private read(key: string): unknown {
    const e = this.cache.get(this.tag + key)
    if (e !== undefined) return e.value
    let raw: Uint8Array | null | undefined = this.pending.get(key)
    if (raw === undefined) {
      for (let i = this.inflight.length - 1; i >= 0 && raw === undefined; i--) raw = this.inflight[i]!.get(key)
    }
    if (raw === undefined) raw = this.store.getSync(bytes(key)) ?? null
    const value = raw === null ? undefined : decodeMsgpack(raw)
    this.cache.put(this.tag + key, this, key, value, false)
    return value
  }

  private write(key: string, value: unknown): void {
    this.throwIfFailed()
    this.cache.put(this.tag + key, this, key, value, true)
    this.dirty.add(key)
  }

  get(primary: string): unknown {
    return this.read(primary)
  }

  put(primary: string, value: unknown): void {
    this.write(primary, value)
  }

  remove(primary: string): void {
    this.write(primary, undefined)
  }

  getEntry(primary: string, secondary: string): unknown {
    return this.read(primary + secondary)
  }

  putEntry(primary: string, secondary: string, value: unknown): void {
    this.write(primary + secondary, value)
  }

  removeEntry(primary: string, secondary: string): void {
    this.write(primary + secondary, undefined)
  }

  /** CacheOwner: a dirty entry evicted from the cache joins the next batch. */
  writeBack(key: string, value: unknown): void {
    this.dirty.delete(key)
    this.pending.set(key, value === undefined ? null : encodeMsgpack(value))
    if (this.pending.size >= FLUSH_AT_OPS && this.inflight.length < MAX_INFLIGHT) this.startBatch()
  }

  private startBatch(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve()
    const batch = this.pending
    this.pending = new Map()
    const ops: BatchOp[] = []
    for (const [k, v] of batch) ops.push(v === null ? { type: 'del', key: bytes(k) } : { type: 'put', key: bytes(k), value: v })
    this.inflight.push(batch)
    this.stats.flushes++
    this.stats.flushedOps += ops.length
    const done = this.store.batch(ops).then(
      () => {
        this.inflight.splice(this.inflight.indexOf(batch), 1)
      },
      (e: Error) => {
        this.failure = e
      },
    )
    this.inflightDone.push(done)
    return done
  }

  private throwIfFailed(): void {
    if (this.failure) throw new Error(`writing state to LevelDB failed: ${this.failure.message}`, { cause: this.failure })
  }

  /** Writes every dirty entry down and waits for it (before scans and snapshots). */
  async flush(): Promise<void> {
    for (const key of this.dirty) {
      const e = this.cache.get(this.tag + key)
      if (e !== undefined && e.dirty) {
        e.dirty = false
        this.pending.set(key, e.value === undefined ? null : encodeMsgpack(e.value))
      }
    }
    this.dirty.clear()
    void this.startBatch()
    const waiting = this.inflightDone
    this.inflightDone = []
    await Promise.all(waiting)
    this.throwIfFailed()
  }

  async *entries(primary: string): AsyncIterable<[string, unknown]> {
    await this.flush()
    const p = bytes(primary)
    const upper = prefixUpperBound(p)
    for await (const [k, v] of this.store.iterator({ gt: p, ...(upper ? { lt: upper } : {}) })) {
      const key = chars(k)
      const current = this.read(key)
      if (current !== undefined) yield [key.slice(primary.length), current]
      void v
    }
  }

  async clearEntries(primary: string): Promise<void> {
    for await (const [secondary] of this.entries(primary)) this.write(primary + secondary, undefined)
  }

  async *primaryKeys(kgStart: number, kgEnd: number, after?: string): AsyncIterable<string> {
    await this.flush()
    const lower = keyGroupChars(kgStart)
    const range = after !== undefined && after >= lower ? { gt: bytes(after) } : { gte: bytes(lower) }
    const upper = kgEnd >= 0xffff ? undefined : bytes(keyGroupChars(kgEnd + 1))
    for await (const k of this.store.keys({ ...range, ...(upper ? { lt: upper } : {}) })) {
      if (primaryLength(k) !== k.length) continue
      const key = chars(k)
      if (this.read(key) !== undefined) yield key
    }
  }

  /**
   * Sync phase: pins a LevelDB snapshot and copies what is not on disk yet — dirty cache entries,
   * the pending batch and batches in flight — as an overlay (encoded now; bounded by the cache).
   */
  snapshot(kgStart: number, kgEnd: number): TableSnapshot {
    const overlay = new Map<string, Uint8Array | null>()
    for (const batch of this.inflight) for (const [k, v] of batch) overlay.set(k, v)
    for (const [k, v] of this.pending) overlay.set(k, v)
    for (const key of this.dirty) {
      const e = this.cache.get(this.tag + key)
      if (e !== undefined && e.dirty) overlay.set(key, e.value === undefined ? null : encodeMsgpack(e.value))
    }
    const lower = keyGroupChars(kgStart)
    const upperChars = kgEnd >= 0xffff ? undefined : keyGroupChars(kgEnd + 1)
    const inRange = [...overlay].filter(([k]) => k >= lower && (upperChars === undefined || k < upperChars))
    inRange.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    const snap = this.store.snapshot()
    const range = { gte: bytes(lower), ...(upperChars === undefined ? {} : { lt: bytes(upperChars) }) }
    return {
      entries: () => mergeOverlay(snap.iterator(range), inRange, bytes),
      release: () => snap.close(),
    }
  }

  async restore(entries: AsyncIterable<[Uint8Array, Uint8Array]> | Iterable<[Uint8Array, Uint8Array]>): Promise<void> {
    let ops: BatchOp[] = []
    for await (const [key, value] of entries) {
      ops.push({ type: 'put', key, value })
      if (ops.length >= 10_000) {
        await this.store.batch(ops)
        ops = []
      }
    }
    if (ops.length > 0) await this.store.batch(ops)
  }

  size(): number {
    return -1
  }

  async dispose(): Promise<void> {
    await this.flush()
    this.cache.dropOwner(this, this.tag)
  }
}
