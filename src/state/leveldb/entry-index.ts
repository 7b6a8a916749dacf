// The cache entries of one LevelStateTable by binary-string key, in SHARDS Maps rather than one. V8
// grows, shrinks and cleans a Map by rehashing all of it in one step: with a few hundred thousand
// entries cached, one such step stalled the task's thread for 20–50 ms (checkpoint bench, 1M keys).
// Sharded, each step rehashes about 1/SHARDS of the entries.
import type { CacheEntry } from './object-cache.ts'

const SHARDS = 64

export class EntryIndex {
  private readonly shards: Map<string, CacheEntry>[] = Array.from({ length: SHARDS }, () => new Map())

  /** Keys start with their key group (two chars); the last char spreads the keys of one group. */
  private shard(key: string): Map<string, CacheEntry> {
    const kg = (key.charCodeAt(0) << 8) | key.charCodeAt(1)
    return this.shards[(kg + 37 * key.charCodeAt(key.length - 1)) & (SHARDS - 1)]!
  }

  get(key: string): CacheEntry | undefined {
    return this.shard(key).get(key)
  }

  set(key: string, e: CacheEntry): void {
    this.shard(key).set(key, e)
  }

  delete(key: string): void {
    this.shard(key).delete(key)
  }

  *values(): IterableIterator<CacheEntry> {
    for (const s of this.shards) yield* s.values()
  }

  clear(): void {
    for (const s of this.shards) s.clear()
  }
}
