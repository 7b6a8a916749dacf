// The write-back object cache of one TaskManager (the part of --memory that holds decoded values of
// hot keys). Entries are evicted oldest-first with a second chance for entries read since the last
// pass (CLOCK); a dirty entry is handed back to its table, which batches it to LevelDB.

export interface CacheOwner {
  /** Called for a dirty entry leaving the cache: the owner must persist it. */
  writeBack(key: string, value: unknown): void
}

export interface CacheEntry {
  owner: CacheOwner
  key: string
  value: unknown
  size: number
  dirty: boolean
  hot: boolean
}

export class ObjectCache {
  private readonly entries = new Map<string, CacheEntry>()
  used = 0
  hits = 0
  misses = 0
  evictions = 0

  constructor(readonly limit: number) {}

  get count(): number {
    return this.entries.size
  }

  get(id: string): CacheEntry | undefined {
    const e = this.entries.get(id)
    if (e !== undefined) {
      e.hot = true
      this.hits++
    } else this.misses++
    return e
  }

  /** Stores or replaces an entry; evicts when over the limit. */
  put(id: string, owner: CacheOwner, key: string, value: unknown, dirty: boolean): CacheEntry {
    const size = key.length + estimateSize(value) + 64
    let e = this.entries.get(id)
    if (e !== undefined) {
      this.used += size - e.size
      e.value = value
      e.size = size
      e.dirty ||= dirty
    } else {
      e = { owner, key, value, size, dirty, hot: false }
      this.entries.set(id, e)
      this.used += size
    }
    if (this.used > this.limit) this.evict()
    return e
  }

  delete(id: string): void {
    const e = this.entries.get(id)
    if (e) {
      this.entries.delete(id)
      this.used -= e.size
    }
  }

  private evict(): void {
    const target = this.limit * 0.9
    for (const [id, e] of this.entries) {
      if (this.used <= target) return
      if (e.hot) {
        e.hot = false
        this.entries.delete(id)
        this.entries.set(id, e)
        continue
      }
      this.entries.delete(id)
      this.used -= e.size
      this.evictions++
      if (e.dirty) e.owner.writeBack(e.key, e.value)
    }
  }

  /** Entries of one owner (flushes before snapshots and scans). */
  *ownedBy(owner: CacheOwner): Iterable<CacheEntry> {
    for (const e of this.entries.values()) if (e.owner === owner) yield e
  }

  dropOwner(owner: CacheOwner, prefix: string): void {
    for (const [id, e] of this.entries) {
      if (e.owner === owner && id.startsWith(prefix)) {
        this.entries.delete(id)
        this.used -= e.size
      }
    }
  }
}

/** A cheap size estimate of a decoded value in bytes (V8 object overheads approximated). */
export function estimateSize(v: unknown, depth = 0): number {
  switch (typeof v) {
    case 'number':
      return 8
    case 'boolean':
    case 'undefined':
      return 4
    case 'string':
      return 16 + v.length * 2
    case 'bigint':
      return 24
    case 'object': {
      if (v === null) return 4
      if (depth > 3) return 64
      let n = 32
      if (Array.isArray(v)) {
        const len = v.length
        const sample = Math.min(len, 16)
        let s = 0
        for (let i = 0; i < sample; i++) s += estimateSize(v[i], depth + 1)
        return n + 8 * len + (sample === 0 ? 0 : (s * len) / sample)
      }
      for (const k in v as Record<string, unknown>) n += 16 + k.length + estimateSize((v as Record<string, unknown>)[k], depth + 1)
      return n
    }
    default:
      return 32
  }
}
