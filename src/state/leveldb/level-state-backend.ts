// The LevelDB state backend of one TaskManager (Flink's EmbeddedRocksDBStateBackend, on LevelDB):
// one DB per TaskManager under the state dir, one sublevel per (operator uid, state name), the
// TaskManager's memory budget split into block cache, write buffers and the object cache. The working
// DB is cleared on open: after a stop it is never trusted (state comes back from checkpoints).
import { createHash } from 'node:crypto'
import type { MemoryBudget } from '../../../storage/memory-budget.ts'
import type { OrderedStore } from '../../../storage/ordered-store.ts'
import { levelStoreFactory } from '../../../storage/leveldb/level-store.ts'
import type { StateTable, StateTableFactory } from '../state-table.ts'
import { LevelStateTable, type LevelStateTableStats } from './level-state-table.ts'
import { ObjectCache } from './object-cache.ts'

/** A sublevel-safe name: as is when plain, else a readable prefix plus a hash. */
function sublevelName(name: string): string {
  if (/^[A-Za-z0-9._-]{1,100}$/.test(name)) return name
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}~${createHash('sha1').update(name).digest('hex').slice(0, 12)}`
}

export interface LevelBackendMetrics {
  budget: MemoryBudget
  objectCacheBytes: number
  objectCacheEntries: number
  cacheHits: number
  cacheMisses: number
  evictions: number
  flushes: number
  flushedOps: number
  bytesOnDisk: number
}

export class LevelStateBackend implements StateTableFactory {
  readonly cache: ObjectCache
  private readonly stats: LevelStateTableStats = { flushes: 0, flushedOps: 0 }
  private readonly tables = new Set<StateTable>()
  private tagCounter = 0
  private lastDiskSize = 0

  private constructor(
    private readonly store: OrderedStore,
    readonly budget: MemoryBudget,
    readonly location: string,
  ) {
    this.cache = new ObjectCache(budget.objectCache)
  }

  static async open(location: string, budget: MemoryBudget): Promise<LevelStateBackend> {
    const store = await levelStoreFactory.open(location, {
      createIfMissing: true,
      cacheSize: budget.blockCache,
      writeBufferSize: budget.writeBuffer,
    })
    await store.clear()
    return new LevelStateBackend(store, budget, location)
  }

  create(operatorUid: string, stateName: string): StateTable {
    const sub = this.store.sublevel(sublevelName(operatorUid)).sublevel(sublevelName(stateName))
    const tag = `${(++this.tagCounter).toString(36)}:`
    const table = new LevelStateTable(sub, this.cache, tag, this.stats)
    this.tables.add(table)
    return table
  }

  async metrics(): Promise<LevelBackendMetrics> {
    this.lastDiskSize = await this.store.approximateSize().catch(() => this.lastDiskSize)
    return {
      budget: this.budget,
      objectCacheBytes: this.cache.used,
      objectCacheEntries: this.cache.count,
      cacheHits: this.cache.hits,
      cacheMisses: this.cache.misses,
      evictions: this.cache.evictions,
      flushes: this.stats.flushes,
      flushedOps: this.stats.flushedOps,
      bytesOnDisk: this.lastDiskSize,
    }
  }

  async close(): Promise<void> {
    for (const t of this.tables) await t.flush().catch(() => {})
    await this.store.close()
  }
}
