// The cache entries of one LevelStateTable by binary-string key, in SHARDS Maps rather than one. V8
// grows, shrinks and cleans a Map (deleted slots pile up under constant churn) by rehashing all of it
// in one step: with ~285k entries cached that step stalled the task's thread for 25–50 ms, about once
// per 200k cache misses (a probe gap of the checkpoint bench with 29 ms inside `get`). Eight shards
// bound the step to an eighth; a microbenchmark of 3M get/set/delete with churn on 285k entries gave
// the same cost per operation and a worst step of 3–6 ms instead of 26 ms. (64 shards chosen by three
// chars cost 20–30% per lookup.)
import type { CacheEntry } from './object-cache.ts'

const SHARDS = 8

export class EntryIndex {
  private readonly shards: Map<string, CacheEntry>[] = Array.from({ length: SHARDS }, () => new Map())

  /** Keys start with their key group (two chars); the last char spreads the keys of one group. */
  private shard(key: string): Map<string, CacheEntry> {
    return this.shards[(key.charCodeAt(1) + key.charCodeAt(key.length - 1)) & (SHARDS - 1)]!
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
