// LevelStateTable: a StateTable over one LevelDB key range with the TaskManager's write-back object
// cache in front. Point access stays synchronous: hits come from the cache, misses from getSync;
// writes stay in the cache (dirty) until evicted or flushed, then go down in batches (WriteBehind).
// Reads look at cache → pending batch → batches in flight → disk, so a value is never read stale.
// Stored keys: a value at its primary key bytes; a MapState entry / ListState element at
// primary + secondary (primary keys are self-delimiting, so the two never collide).
//
//   write ─► cache entry (dirty) ─evicted/flush─► WriteBehind (pending ─► in flight) ─► disk
//
// A failed batch poisons the table (StateBackendError with the store's code): writes, flushes, scans
// and snapshots throw from then on and nothing is retried; the batch stays readable in memory.
import { decodeMsgpack, encodeMsgpack } from '@livestate/client'
import type { BatchOp, OrderedStore } from '../../../storage/ordered-store.ts'
import { keyGroupChars } from '../namespace.ts'
import type { IncrementalSnapshot, ScanOptions, StateTable, TableSnapshot } from '../state-table.ts'
import { primaryLength } from '../stored-key-layout.ts'
import { type CacheEntry, type CacheOwner, DirtyList, type ObjectCache } from './object-cache.ts'
import { ChangeLog, type ChangeLogPool } from './change-log.ts'
import { EntryIndex } from './entry-index.ts'
import { deltaSnapshot, fullSnapshot, SnapshotCapture } from './snapshot-capture.ts'
import { FramedGroups } from '../framed-records.ts'
import { TableKeys } from './table-keys.ts'
import { FLUSH_AT_OPS, StateBackendError, WriteBehind, type WriteStats } from './write-behind.ts'

export { StateBackendError } from './write-behind.ts'
export type LevelStateTableStats = WriteStats

const RESTORE_BATCH = 10_000
/** Entries of one primary key skipped in a primaryKeys scan before it seeks past them. */
const SEEK_AFTER_SKIPPED = 32

export interface LevelStateTableOptions {
  /** Shown in errors: operator uid / state name. */
  name?: string
  /**
   * Set while the key-group range of a replaced table (a failed attempt) is being cleared: until it
   * resolves, disk is treated as empty and batches wait, so no stale value is ever read back.
   */
  diskReady?: Promise<void>
  /** Dirty entries per batch (default 2000; tests use tiny batches to keep several in flight). */
  flushAtOps?: number
  /**
   * Prefix of every stored key: the table then writes whole keys to a root store (see
   * table-keys.ts). Empty by default: `store` is the table's own sublevel.
   */
  keyPrefix?: Buffer
  /**
   * Where the batches kept for incremental snapshots (change-log.ts) are counted; without one
   * (the default) every snapshot is full.
   */
  changeLog?: ChangeLogPool
}

export class LevelStateTable implements StateTable, CacheOwner {
  private readonly index = new EntryIndex()
  /** Entries changed since the latest barrier. */
  private dirty = new DirtyList()
  /**
   * Entries whose values a checkpoint captured, unchanged since and not on disk: written down when
   * evicted or flushed, counted as changes by no delta (their checkpoint holds them).
   */
  private unsaved = new DirtyList()
  /** The latest snapshot's capture: its frozen entries keep their barrier values until captured. */
  private capturing: SnapshotCapture | undefined
  /** The entry the last point access used: a read-modify-write finds it without a second lookup. */
  private last: CacheEntry | undefined
  private readonly down: WriteBehind
  private fenced: StateBackendError | undefined
  private readonly keys: TableKeys
  private readonly changes: ChangeLog | undefined
  readonly name: string

  constructor(
    private readonly store: OrderedStore,
    private readonly cache: ObjectCache,
    readonly stats: LevelStateTableStats = { flushes: 0, flushedOps: 0, failures: 0 },
    options: LevelStateTableOptions = {},
  ) {
    this.name = options.name ?? 'state'
    this.keys = new TableKeys(options.keyPrefix)
    this.down = new WriteBehind(
      store,
      this.keys,
      stats,
      this.name,
      options.flushAtOps ?? FLUSH_AT_OPS,
      options.diskReady,
    )
    if (options.changeLog) {
      const changes = new ChangeLog(options.changeLog)
      this.changes = changes
      this.down.onBatch = (batch) => changes.record(batch)
    }
  }

  // ---- point access (synchronous) ----

  get(primary: string): unknown {
    const e = this.index.get(primary)
    if (e !== undefined) {
      e.hot = true
      this.cache.hits++
      this.last = e
      // user code may change the returned object in place: a frozen value is captured first
      const list = e.dirtyList
      if (list !== undefined && list !== this.dirty && this.capturing?.holds(list)) this.capturing.capture(e)
      return e.value
    }
    this.cache.missed(primary)
    const value = this.load(primary)
    const added = this.cache.admit(this, primary, value, false)
    this.index.set(primary, added)
    this.last = added
    return value
  }

  peek(primary: string): unknown {
    const e = this.index.get(primary)
    return e !== undefined ? e.value : this.load(primary)
  }

  put(primary: string, value: unknown): void {
    this.write(primary, value)
  }

  remove(primary: string): void {
    this.write(primary, undefined)
  }

  getEntry(primary: string, secondary: string): unknown {
    return this.get(primary + secondary)
  }

  putEntry(primary: string, secondary: string, value: unknown): void {
    this.write(primary + secondary, value)
  }

  removeEntry(primary: string, secondary: string): void {
    this.write(primary + secondary, undefined)
  }

  /** The newest value not in the cache: pending batch, batches in flight (newest first), disk. */
  private load(key: string): unknown {
    if (this.fenced) throw this.fenced
    let raw = this.down.unflushed(key)
    if (raw === undefined)
      raw = this.down.diskReady === undefined ? (this.store.getSync(this.keys.of(key)) ?? null) : null
    return raw === null ? undefined : decodeMsgpack(raw)
  }

  private write(key: string, value: unknown): void {
    if (this.down.failure || this.fenced) this.throwUnusable()
    let e = this.last
    if (e === undefined || e.key !== key || e.slot < 0 || e.owner !== this) e = this.index.get(key)
    if (e !== undefined) {
      // Dirty first: update() may evict this very entry, which must then be written back.
      if (e.dirtyList !== this.dirty) this.makeDirty(e)
      this.cache.update(e, value)
      return
    }
    const added = this.cache.admit(this, key, value, false)
    this.index.set(key, added)
    this.dirty.add(added)
    this.last = added
  }

  /** CacheOwner: an entry left the cache; a dirty one joins the pending batch. */
  evicted(e: CacheEntry): void {
    this.index.delete(e.key)
    if (!e.dirty) return
    // a frozen value goes to its snapshot first
    if (e.dirtyList !== this.dirty && this.capturing?.holds(e.dirtyList!)) this.capturing.capture(e)
    if (e.dirtyList === this.dirty) {
      this.dirty.remove(e)
      this.down.queue(e.key, e.value)
    } else if (e.dirtyList === this.unsaved) {
      this.unsaved.remove(e)
      this.down.queueCaptured(e.key, encodeOrNull(e.value))
    }
  }

  /** The entry is about to change: a frozen value is captured first; on the dirty list from now on. */
  private makeDirty(e: CacheEntry): void {
    if (e.dirtyList !== undefined) {
      if (this.capturing?.holds(e.dirtyList)) this.capturing.capture(e)
      if (e.dirtyList === this.dirty) return
      e.dirtyList?.remove(e)
    }
    this.dirty.add(e)
  }

  /**
   * Where a captured entry goes (SnapshotCapture): a checkpoint's onto the unsaved list; a
   * savepoint's back where it came from (a savepoint is no delta base: what changed since the latest
   * checkpoint still goes into the next one's delta).
   */
  private placeCaptured(e: CacheEntry, from: DirtyList, savepoint: boolean, frozenDirty: DirtyList): void {
    if (savepoint && from === frozenDirty) this.dirty.add(e)
    else this.unsaved.add(e)
  }

  // ---- write-down ----

  private moveDirtyToPending(): void {
    this.capturing?.captureAll()
    this.unsaved.drain((e) => this.down.queueCaptured(e.key, encodeOrNull(e.value), false))
    this.dirty.drain((e) => this.down.queueQuietly(e.key, e.value))
  }

  private throwUnusable(): never {
    throw this.fenced ?? this.down.failure!
  }

  /** Writes every dirty entry down and waits for it (before scans; on dispose). */
  async flush(): Promise<void> {
    if (this.fenced) this.throwUnusable()
    this.moveDirtyToPending()
    this.down.start()
    await this.down.settle()
  }

  /** Current value of a key met by a scan; `stored` is the iterator's, trusted while the view is current. */
  private scanned(key: string, stored: Uint8Array, stamp: number): unknown {
    const e = this.index.get(key)
    if (e !== undefined) return e.value
    let raw = this.down.unflushed(key)
    if (raw === undefined)
      raw = this.down.isViewCurrent(stamp) ? stored : (this.store.getSync(this.keys.of(key)) ?? null)
    return raw === null ? undefined : decodeMsgpack(raw)
  }

  /** Whether a key met by a keys-only scan still exists (same rules as `scanned`, without decoding). */
  private scannedExists(key: string, stamp: number): boolean {
    const e = this.index.get(key)
    if (e !== undefined) return e.value !== undefined
    const raw = this.down.unflushed(key)
    if (raw !== undefined) return raw !== null
    return this.down.isViewCurrent(stamp) || this.store.getSync(this.keys.of(key)) !== undefined
  }

  private async beforeScan(options: ScanOptions | undefined): Promise<void> {
    if (options?.flush === false) {
      if (this.down.diskReady !== undefined) await this.down.diskReady
      if (this.fenced || this.down.failure) this.throwUnusable()
    } else await this.flush()
  }

  // ---- scans (asynchronous) ----

  async *entries(primary: string, after?: string, options?: ScanOptions): AsyncIterable<[string, unknown]> {
    await this.beforeScan(options)
    const stamp = this.down.viewStamp()
    for await (const [k, v] of this.store.iterator(this.keys.extending(primary, after))) {
      const key = this.keys.chars(k)
      const current = this.scanned(key, v, stamp)
      if (current !== undefined) yield [key.slice(primary.length), current]
    }
  }

  async clearEntries(primary: string): Promise<void> {
    for await (const [secondary] of this.entries(primary)) this.write(primary + secondary, undefined)
  }

  async *primaryKeys(kgStart: number, kgEnd: number, after?: string, options?: ScanOptions): AsyncIterable<string> {
    await this.beforeScan(options)
    const first = keyGroupChars(kgStart)
    const end = kgEnd >= 0xffff ? undefined : keyGroupChars(kgEnd + 1)
    let range = this.keys.range(after !== undefined && after >= first ? { gt: after } : { gte: first }, end)
    // A primary key sorts right before its entries (primary keys are self-delimiting, so no other
    // primary key falls inside a group): it is yielded for its value, or else for its first live entry.
    let last = after
    seek: for (;;) {
      const stamp = this.down.viewStamp()
      let skipped = 0
      for await (const k of this.store.keys(range)) {
        const length = primaryLength(this.keys.strip(k))
        const key = this.keys.chars(k)
        if (length === key.length) {
          skipped = 0
          if (this.scannedExists(key, stamp)) yield (last = key)
          continue
        }
        const primary = key.slice(0, length)
        if (primary !== last) {
          if (!this.scannedExists(key, stamp)) continue
          yield (last = primary)
          skipped = 0
        }
        // Entries of a group already yielded: after a few, seek past the rest instead of reading them.
        if (++skipped < SEEK_AFTER_SKIPPED) continue
        const next = this.keys.extending(primary).lt
        if (next === undefined) return
        range = { ...range, gte: next }
        delete range.gt
        continue seek
      }
      return
    }
  }

  // ---- snapshots, restore, lifecycle ----

  /**
   * Sync phase, O(1) in the state size: sends the pending batch down (so the batches not on disk
   * yet are fixed) and freezes the dirty list; values are captured afterwards (snapshot-capture.ts).
   * - full: pins a LevelDB snapshot; its entries, read later, are the pinned view merged with the
   *   batches not on disk and the captured values.
   * - delta (incremental, when the change log reaches back to the base checkpoint): the batches
   *   sent down since the base's barrier with the captured values on top, tombstones included.
   */
  snapshot(kgStart: number, kgEnd: number, incremental?: IncrementalSnapshot): TableSnapshot {
    if (this.down.failure || this.fenced) this.throwUnusable()
    // a previous snapshot still being written keeps its barrier values: the rest of them now
    this.capturing?.captureAll()
    this.down.start()
    const since = incremental && this.changes?.barrier(incremental.checkpointId, incremental.base)
    // A full view: LevelDB holds some prefix of the batches in flight, and all of them go on top.
    // While a replaced range is cleared, disk counts as empty.
    const snap = since === undefined && this.down.diskReady === undefined ? this.store.snapshot() : undefined
    // A delta leaves out the unsaved values (older checkpoints hold them); a full view needs them.
    const frozenDirty = this.dirty
    const frozen = [frozenDirty]
    if (since === undefined && this.unsaved.size > 0) {
      frozen.push(this.unsaved)
      this.unsaved = new DirtyList()
    }
    // What a checkpoint captures goes down later, unrecorded by the change log.
    if (incremental && frozen.some((f) => f.size > 0)) this.changes?.leftOut(incremental.checkpointId)
    const savepoint = incremental === undefined
    // A delta's captured values are framed as its file holds them (no object per value kept).
    const framed = since !== undefined ? new FramedGroups() : undefined
    const capture = new SnapshotCapture(
      frozen,
      (e, from) => this.placeCaptured(e, from, savepoint, frozenDirty),
      framed,
    )
    this.dirty = new DirtyList()
    this.capturing = capture
    if (since !== undefined) return deltaSnapshot(incremental!.base!, since, capture, kgStart, kgEnd)
    const range = this.keys.range(
      { gte: keyGroupChars(kgStart) },
      kgEnd >= 0xffff ? undefined : keyGroupChars(kgEnd + 1),
    )
    const keys = this.keys
    return fullSnapshot(snap, range, (k) => keys.strip(k), this.down.inflightBatches(), capture, kgStart, kgEnd)
  }

  restoredFrom(checkpointId: number): void {
    this.changes?.restored(checkpointId)
  }

  async restore(entries: AsyncIterable<[Uint8Array, Uint8Array]> | Iterable<[Uint8Array, Uint8Array]>): Promise<void> {
    if (this.down.diskReady !== undefined) await this.down.diskReady
    if (this.down.failure || this.fenced) this.throwUnusable()
    let ops: BatchOp[] = []
    for await (const [key, value] of entries) {
      ops.push({ type: 'put', key: this.keys.ofBytes(key), value })
      if (ops.length >= RESTORE_BATCH) {
        await this.store.batch(ops)
        ops = []
      }
    }
    if (ops.length > 0) await this.store.batch(ops)
  }

  size(): number {
    return -1
  }

  /**
   * The task that owned this table is gone and a new table takes over its key groups: drop every
   * cached and pending write without persisting it; resolves once batches in flight have settled
   * (then the range can be cleared). Every later use throws.
   */
  fence(reason: string): Promise<void> {
    this.fenced ??= new StateBackendError('STORE_CLOSED', `state '${this.name}' is closed: ${reason}`)
    this.dropCached()
    return this.down.discard()
  }

  get isFenced(): boolean {
    return this.fenced !== undefined
  }

  private dropCached(): void {
    for (const e of this.index.values()) this.cache.remove(e)
    this.index.clear()
    this.dirty.drain()
    this.unsaved.drain()
    for (const list of this.capturing?.frozen ?? []) list.drain()
    this.changes?.forget()
    this.last = undefined
  }

  async dispose(): Promise<void> {
    if (this.fenced) return
    await this.flush()
    this.dropCached()
  }
}

function encodeOrNull(value: unknown): Uint8Array | null {
  return value === undefined ? null : encodeMsgpack(value)
}
