// The cache entries of one LevelStateTable by binary-string key, in SHARDS Maps rather than one. V8
// grows, shrinks and cleans a Map (deleted slots pile up under constant churn) by rehashing all of it
// in one step: with ~285k entries cached that step stalled the task's thread for 25–50 ms, about once
// per 200k cache misses (a probe gap of the checkpoint bench with 29 ms inside `get`). Sixteen shards
// bound the step to a sixteenth. Eight did to an eighth, and a checkpoint bench gap still held 19 ms
// inside one `set` (a shard of ~50k entries growing, 400k cached); a microbenchmark of 3M
// get/set/delete with churn on 400k entries gave the same mean (1.84–1.95 µs per operation) with 8
// and 16 shards and a worst step of 13–14 ms instead of 26–27 ms. (64 shards chosen by three chars
// cost 20–30% per lookup.)
import type { CacheEntry } from './object-cache.ts'

const SHARDS = 16

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
