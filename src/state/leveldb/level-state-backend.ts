// The LevelDB state backend of one TaskManager (Flink's EmbeddedRocksDBStateBackend, on LevelDB):
// one DB per TaskManager under the state dir, one sublevel per (operator uid, state name), the
// TaskManager's memory budget split into block cache, table cache (mapped tables with the prebuilt
// classic-level), write buffers and the object cache. The working DB is cleared on open (recreated
// when garbled): after a stop it is never trusted (state comes back from checkpoints).
//
// A table created for key groups that a live table of the same state already covers (a task restarted
// after a failure) replaces it: the old table is fenced (its unwritten writes dropped) and the range is
// cleared before the new table trusts disk, so nothing written by a failed attempt is ever read back.
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { basename } from 'node:path'
import { LevelStore } from '../../../storage/leveldb/level-store.ts'
import { type MemoryBudget, maxOpenFilesOf } from '../../../storage/memory-budget.ts'
import type { OrderedStore } from '../../../storage/ordered-store.ts'
import { isStorageError } from '../../../storage/storage-error.ts'
import { keyGroupChars } from '../namespace.ts'
import type { StateTableFactory } from '../state-table.ts'
import type { ChangeLogPool } from './change-log.ts'
import { LevelStateTable, type LevelStateTableStats } from './level-state-table.ts'
import { heapGrowingPercent, limitHeapGrowth } from './heap-growth.ts'
import { ObjectCache } from './object-cache.ts'
import { sublevelPrefix, TableKeys } from './table-keys.ts'

/** A sublevel-safe name: as is when plain, else a readable prefix plus a hash. */
function sublevelName(name: string): string {
  if (/^[A-Za-z0-9._-]{1,100}$/.test(name)) return name
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}~${createHash('sha1').update(name).digest('hex').slice(0, 12)}`
}

export interface LevelBackendMetrics {
  budget: MemoryBudget
  /**
   * Bytes of the object cache's budget part in use: its entries, at its floor its ghosts, and the
   * change logs of incremental checkpoints (changeLogBytes).
   */
  objectCacheBytes: number
  /** Batches kept for the next incremental checkpoint (change-log.ts). */
  changeLogBytes: number
  objectCacheEntries: number
  /** What the cache keeps to now: its budget part, or its floor while it does not pay off. */
  objectCacheTargetBytes: number
  /** LevelDB's own estimate of its memtables and block cache in use. */
  levelDbMemoryBytes: number
  cacheHits: number
  cacheMisses: number
  /** hits / (hits + misses) since open; 0 before the first access. */
  cacheHitRate: number
  evictions: number
  flushes: number
  flushedOps: number
  writeFailures: number
  bytesOnDisk: number
  /** The process's heap growing factor in force (heap-growth.ts); undefined while V8 picks its own. */
  heapGrowingPercent: number | undefined
}

export interface LevelStateBackendOptions {
  /** Clear the working DB on open (default). false reopens what a clean stop left (tests, tools). */
  clear?: boolean
  /** Label in metrics; the directory name (tm-N) by default. */
  name?: string
  /** Dirty entries per batch written to LevelDB (default 2000). */
  flushAtOps?: number
  /**
   * Incremental checkpoints (default true): tables keep what they sent down since the latest
   * checkpoint (change-log.ts), so a checkpoint writes only the changes. false: every one is full.
   */
  incremental?: boolean
  /**
   * Bound the garbage V8 keeps by the budget (default true): the old generation may hold about the
   * object cache's share in garbage (heap-growth.ts). false leaves V8's adaptive factor (up to 4×).
   */
  limitHeapGrowth?: boolean
}

/**
 * Share of the object cache the change logs of incremental checkpoints may hold. Their bytes count
 * against the object cache (it evicts to make room), so the budget holds whatever they keep.
 */
const CHANGE_LOG_SHARE = 0.5

interface TableRecord {
  table: LevelStateTable
  operatorUid: string
  stateName: string
  start: number
  end: number
}

export class LevelStateBackend implements StateTableFactory {
  readonly cache: ObjectCache
  readonly name: string
  private readonly stats: LevelStateTableStats = { flushes: 0, flushedOps: 0, failures: 0 }
  private readonly tables: TableRecord[] = []
  private lastDiskSize = 0
  private isClosed = false
  /** The bytes the tables' change logs hold (incremental checkpoints), against their limit. */
  readonly changeLog: ChangeLogPool
  /** Gives back this backend's share of heap slack (heap-growth.ts); undefined when none was taken. */
  private readonly releaseHeapSlack: (() => void) | undefined

  private constructor(
    private readonly store: LevelStore,
    readonly budget: MemoryBudget,
    readonly location: string,
    private readonly options: LevelStateBackendOptions,
  ) {
    this.cache = new ObjectCache(budget.objectCache)
    this.name = options.name ?? basename(location)
    this.changeLog = { used: 0, limit: Math.floor(budget.objectCache * CHANGE_LOG_SHARE) }
    this.cache.external = this.changeLog
    this.releaseHeapSlack = options.limitHeapGrowth === false ? undefined : limitHeapGrowth(budget.objectCache)
  }

  /**
   * Opens (creating) the DB at `location`. A directory held by another process fails at once with
   * StorageError STORE_LOCKED, whose message names the directory; nothing is retried.
   */
  static async open(
    location: string,
    budget: MemoryBudget,
    options: LevelStateBackendOptions = {},
  ): Promise<LevelStateBackend> {
    const storeOptions = {
      createIfMissing: true,
      cacheSize: budget.blockCache,
      writeBufferSize: budget.writeBuffer,
      // The budget sizes the table cache: mapped table pages count in RSS with the prebuilt classic-level,
      // index and filter blocks in LevelDB's heap with livestate's build (storage/memory-budget.ts).
      maxOpenFiles: maxOpenFilesOf(budget),
      maxFileSize: budget.tableFileSize,
    }
    if (!(options.clear ?? true))
      return new LevelStateBackend(await LevelStore.open(location, storeOptions), budget, location, options)
    // Never trusted after a stop, so a DB that fails to open or to clear (garbled by a crash) is
    // deleted and created anew; LevelDB takes its LOCK first, so a DB in use elsewhere is refused.
    let store: LevelStore | undefined
    try {
      store = await LevelStore.open(location, storeOptions)
      await store.clear()
    } catch (e) {
      await store?.close().catch(() => {})
      if (isStorageError(e, 'STORE_LOCKED')) throw e
      await rm(location, { recursive: true, force: true })
      store = await LevelStore.open(location, storeOptions)
    }
    return new LevelStateBackend(store, budget, location, options)
  }

  create(
    operatorUid: string,
    stateName: string,
    keyGroups: { start: number; end: number } = { start: 0, end: 0xffff },
  ): LevelStateTable {
    if (this.isClosed) throw new TypeError(`the state backend at ${this.location} is closed`)
    // The keys of sublevel(uid).sublevel(state), written by the table to the root store itself.
    const keyPrefix = sublevelPrefix([sublevelName(operatorUid), sublevelName(stateName)])
    const replaced = this.tables.filter(
      (r) =>
        r.operatorUid === operatorUid &&
        r.stateName === stateName &&
        r.start <= keyGroups.end &&
        r.end >= keyGroups.start,
    )
    let diskReady: Promise<void> | undefined
    if (replaced.length > 0) {
      const reason = `key groups ${keyGroups.start}-${keyGroups.end} were taken over by a new table (the task restarted)`
      const settled = Promise.all(replaced.map((r) => r.table.fence(reason)))
      for (const r of replaced) this.tables.splice(this.tables.indexOf(r), 1)
      const lo = Math.min(keyGroups.start, ...replaced.map((r) => r.start))
      const hi = Math.max(keyGroups.end, ...replaced.map((r) => r.end))
      const range = new TableKeys(keyPrefix).range(
        { gte: keyGroupChars(lo) },
        hi >= 0xffff ? undefined : keyGroupChars(hi + 1),
      )
      diskReady = settled.then(() => this.store.clear(range))
    }
    const table = new LevelStateTable(this.store, this.cache, this.stats, {
      name: `${operatorUid}/${stateName}`,
      keyPrefix,
      ...(this.options.flushAtOps === undefined ? {} : { flushAtOps: this.options.flushAtOps }),
      ...(diskReady ? { diskReady } : {}),
      ...(this.options.incremental === false ? {} : { changeLog: this.changeLog }),
    })
    this.tables.push({ table, operatorUid, stateName, start: keyGroups.start, end: keyGroups.end })
    return table
  }

  /** Live tables (for metrics and tests). */
  get tableCount(): number {
    return this.tables.length
  }

  /** The store under the tables, for tests and tools that check what is physically stored. */
  get orderedStore(): OrderedStore {
    return this.store
  }

  async metrics(): Promise<LevelBackendMetrics> {
    if (!this.isClosed) this.lastDiskSize = await this.store.approximateSize().catch(() => this.lastDiskSize)
    const c = this.cache
    const lookups = c.hits + c.misses
    return {
      budget: this.budget,
      objectCacheBytes: c.used + c.ghostBytes + this.changeLog.used,
      changeLogBytes: this.changeLog.used,
      objectCacheEntries: c.count,
      objectCacheTargetBytes: c.target,
      levelDbMemoryBytes: this.isClosed ? 0 : this.store.approximateMemoryUsage(),
      cacheHits: c.hits,
      cacheMisses: c.misses,
      cacheHitRate: lookups === 0 ? 0 : c.hits / lookups,
      evictions: c.evictions,
      flushes: this.stats.flushes,
      flushedOps: this.stats.flushedOps,
      writeFailures: this.stats.failures,
      bytesOnDisk: this.lastDiskSize,
      heapGrowingPercent: heapGrowingPercent(),
    }
  }

  /** Writes every table down, then closes the DB; the first write failure is rethrown after closing. */
  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    let failure: unknown
    for (const r of this.tables) {
      try {
        await r.table.flush()
      } catch (e) {
        failure ??= e
      }
    }
    this.tables.length = 0
    this.releaseHeapSlack?.()
    await this.store.close()
    if (failure !== undefined) throw failure
  }
}
