// The write-back object cache of one TaskManager: the part of --memory that holds decoded values of
// hot keys. Each table indexes its own entries (a Map by key, no per-access string concatenation);
// the cache owns the byte budget and one CLOCK ring over the entries of all tables. The hand sweeps
// the ring: an entry used since its last visit gets a second chance, any other is evicted and handed
// back to its owner, which batches it to LevelDB when dirty.
//
// Adaptive size. Decoded objects cost more than their bytes: every entry that lives long enough is
// promoted to V8's old space, and what the cache turns over becomes old-space garbage that V8 lets
// grow to several times the live heap before a full GC. A cache that hits is worth that; one that
// does not (uniform access over far more keys than fit) only adds RSS. So, per window of lookups:
//
//   full ──(hit rate < USEFUL_HIT_RATE)──► floor (1/64 of the budget, entries die young)
//   floor ─(hits + ghost hits ≥ USEFUL_HIT_RATE)──► full
//
// At the floor the cache remembers the keys it evicted (ghosts, as in ARC; a Bloom filter), as many as
// the full budget would hold: a miss on a ghost is a hit the full-size cache would have had, so a hot
// set that fits brings the cache back to full size.

export interface CacheOwner {
  /** The entry left the cache: unlink it and, when it is dirty, persist it. */
  evicted(entry: CacheEntry): void
}

export interface CacheEntry {
  readonly owner: CacheOwner
  readonly key: string
  value: unknown
  size: number
  dirty: boolean
  /** Used since the hand last passed (CLOCK's reference bit). */
  hot: boolean
  /** Position in the ring; -1 once removed. */
  slot: number
  /** Updates since the size was last estimated. */
  writes: number
  /** Links of the owner's DirtyList, and the list the entry is on (undefined: clean). */
  prevDirty: CacheEntry | undefined
  nextDirty: CacheEntry | undefined
  dirtyList: DirtyList | undefined
}

/**
 * The dirty entries of one owner: an intrusive doubly-linked list through the entries, so marking
 * an entry dirty or clean allocates and hashes nothing.
 */
export class DirtyList {
  private head: CacheEntry | undefined
  size = 0

  add(e: CacheEntry): void {
    e.dirty = true
    e.dirtyList = this
    e.prevDirty = undefined
    e.nextDirty = this.head
    if (this.head) this.head.prevDirty = e
    this.head = e
    this.size++
  }

  remove(e: CacheEntry): void {
    e.dirty = false
    e.dirtyList = undefined
    if (e.prevDirty) e.prevDirty.nextDirty = e.nextDirty
    else this.head = e.nextDirty
    if (e.nextDirty) e.nextDirty.prevDirty = e.prevDirty
    e.prevDirty = e.nextDirty = undefined
    this.size--
  }

  /** Empties the list, marking every entry clean and handing it to `fn` (newest first). */
  drain(fn?: (e: CacheEntry) => void): void {
    let e = this.head
    this.head = undefined
    this.size = 0
    while (e !== undefined) {
      const next = e.nextDirty
      e.dirty = false
      e.dirtyList = undefined
      e.prevDirty = e.nextDirty = undefined
      fn?.(e)
      e = next
    }
  }

  /** The newest entry, still on the list; undefined when empty. */
  peek(): CacheEntry | undefined {
    return this.head
  }
}

/**
 * Bytes an entry costs beyond its value: the CacheEntry object (~104 with its dirty-list links), its
 * slot in the ring (8), the owner's Map entry (~32) and the key string's header (16). Checked against
 * V8's heap usage by object-cache.test.ts (within 2×).
 */
export const ENTRY_OVERHEAD = 160

/** Bytes an eviction pass frees beyond what is needed: a few hundred typical entries. */
const EVICT_SLACK = 64 * 1024
/** Most entries one eviction pass evicts (about a millisecond of work when all are dirty). */
export const EVICT_STEP = 1024
/** Writes between two size estimates of an object value (a power of two). */
const RESIZE_EVERY = 8
/** Lookups per adaptation window. */
const WINDOW = 1 << 15
/** Share of lookups that must hit (at full size) for the cache to be worth its full budget. */
export const USEFUL_HIT_RATE = 0.1
/** The floor: the share of the budget kept when the cache does not pay off. */
const FLOOR_SHARE = 1 / 64

/**
 * The keys a cache evicted recently, as many as `capacity` (at least half of that): two generations
 * of a Bloom filter (3 bits per key, 16 bits per key per generation: ~0.5% false positives), so
 * remembering costs no JS objects at all — the point of shrinking is to spare the garbage collector.
 */
export class GhostFilter {
  private current: Int32Array
  private previous: Int32Array
  private readonly mask: number
  private added = 0

  constructor(private readonly capacity: number) {
    let bits = 1024
    while (bits < capacity * 16) bits *= 2
    this.mask = bits - 1
    this.current = new Int32Array(bits >>> 5)
    this.previous = new Int32Array(bits >>> 5)
  }

  get bytes(): number {
    return this.current.byteLength * 2
  }

  add(key: string): void {
    const h = hashString(key)
    const step = (h >>> 17) | (h << 15) | 1
    for (let i = 0, b = h; i < 3; i++, b = (b + step) | 0) this.current[(b & this.mask) >>> 5]! |= 1 << (b & 31)
    if (++this.added >= this.capacity / 2) {
      const old = this.previous
      this.previous = this.current
      this.current = old.fill(0)
      this.added = 0
    }
  }

  has(key: string): boolean {
    const h = hashString(key)
    const step = (h >>> 17) | (h << 15) | 1
    return this.test(this.current, h, step) || this.test(this.previous, h, step)
  }

  private test(bits: Int32Array, h: number, step: number): boolean {
    for (let i = 0, b = h; i < 3; i++, b = (b + step) | 0)
      if ((bits[(b & this.mask) >>> 5]! & (1 << (b & 31))) === 0) return false
    return true
  }
}

/** FNV-1a over UTF-16 units, with a murmur3 finalizer to spread the bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

export class ObjectCache {
  /** Every entry, densely: a removed entry's slot takes the last one, so no step renumbers them all. */
  private ring: CacheEntry[] = []
  private hand = 0
  used = 0
  count = 0
  hits = 0
  misses = 0
  evictions = 0
  /** The size the cache keeps to now: `limit`, or the floor while it does not pay off. */
  target: number
  /** Times the cache went to its floor or back to full size. */
  resizes = 0
  private windowEnd = WINDOW
  private windowStart = { hits: 0, misses: 0, ghostHits: 0 }
  private ghostHits = 0
  private ghosts: GhostFilter | undefined
  /**
   * Bytes held elsewhere that count against this cache's budget (the change logs of incremental
   * checkpoints): the cache evicts to keep its entries plus these under its target.
   */
  external: { readonly used: number } = { used: 0 }

  constructor(readonly limit: number) {
    if (!(limit >= 0)) throw new TypeError(`object cache limit must be a non-negative number of bytes, got ${limit}`)
    this.target = limit
  }

  /** Counts a lookup that missed (the owner loads the value itself); checks the ghosts. */
  missed(key: string): void {
    this.misses++
    if (this.ghosts?.has(key)) this.ghostHits++
    if (this.hits + this.misses >= this.windowEnd) this.adapt()
  }

  /** Bytes held by the ghost filter (while at the floor). */
  get ghostBytes(): number {
    return this.ghosts?.bytes ?? 0
  }

  private adapt(): void {
    const w = this.windowStart
    const lookups = this.hits + this.misses - w.hits - w.misses
    const hits = this.hits - w.hits
    const ghostHits = this.ghostHits - w.ghostHits
    this.windowStart = { hits: this.hits, misses: this.misses, ghostHits: this.ghostHits }
    this.windowEnd = this.hits + this.misses + WINDOW
    if (this.target === this.limit) {
      // A filling cache hits less than it will when full, so it is judged only once half full — or
      // in its very first window: waiting for a cache that does not pay off to fill would make its
      // garbage peak first. A hot set misjudged at a cold start comes back through its ghosts.
      const isFirstWindow = w.hits + w.misses === 0
      if (hits / lookups >= USEFUL_HIT_RATE || (!isFirstWindow && this.used < this.limit / 2)) return
      const floor = Math.floor(this.limit * FLOOR_SHARE)
      const perEntry = this.count > 0 ? this.used / this.count : ENTRY_OVERHEAD
      this.ghosts = new GhostFilter(Math.ceil((this.limit - floor) / perEntry))
      this.target = floor
      this.resizes++
      if (this.used > this.target) this.evict(0)
    } else if ((hits + ghostHits) / lookups >= USEFUL_HIT_RATE) {
      this.ghosts = undefined
      this.target = this.limit
      this.resizes++
    }
  }

  /** Adds an entry (the owner indexes it); makes room first, so the new entry is never the victim. */
  admit(owner: CacheOwner, key: string, value: unknown, dirty: boolean): CacheEntry {
    const size = ENTRY_OVERHEAD + key.length + estimateSize(value)
    if (this.used + this.external.used + size > this.target) this.evict(size)
    const slot = this.ring.length
    const e: CacheEntry = {
      owner,
      key,
      value,
      size,
      dirty,
      hot: false,
      slot,
      writes: 0,
      prevDirty: undefined,
      nextDirty: undefined,
      dirtyList: undefined,
    }
    this.ring.push(e)
    this.used += size
    this.count++
    return e
  }

  /**
   * Replaces the value of a live entry (a write); may evict others, or this one, to stay in budget.
   * Objects are re-measured every RESIZE_EVERY writes only (walking them is the costly part of a
   * write to a hot key); values of a key rarely change size much between two measurements.
   */
  update(e: CacheEntry, value: unknown): void {
    e.value = value
    e.hot = true
    if (typeof value !== 'object' || value === null || (++e.writes & (RESIZE_EVERY - 1)) === 0) this.resize(e)
  }

  /** Re-estimates the size of an entry whose value changed. */
  resize(e: CacheEntry): void {
    const size = ENTRY_OVERHEAD + e.key.length + estimateSize(e.value)
    this.used += size - e.size
    e.size = size
    if (this.used + this.external.used > this.target) this.evict(0)
  }

  /** Drops an entry without handing it back (the owner discards it); the last entry takes its slot. */
  remove(e: CacheEntry): void {
    if (e.slot < 0) return
    const last = this.ring.pop()!
    if (last !== e) {
      this.ring[e.slot] = last
      last.slot = e.slot
    }
    e.slot = -1
    this.used -= e.size
    this.count--
  }

  /**
   * Moves the hand until `room` more bytes fit under the target less EVICT_SLACK (a little
   * hysteresis), evicting at most EVICT_STEP entries: every dirty entry evicted is encoded and queued
   * on the task's thread, so evicting 10% of a 300k-entry cache at once stalled processing for
   * 40–60 ms. A jump of the external bytes (a change log keeping a large batch) is therefore made up
   * over the next few admissions, not in one step.
   */
  private evict(room: number): void {
    const target = Math.max(0, this.target - Math.min(this.target * 0.1, EVICT_SLACK) - room - this.external.used)
    const ring = this.ring
    let visited = 0
    let evicted = 0
    // Two full turns clear every reference bit, so the loop ends even when every entry is hot.
    const maxVisits = 2 * ring.length + 1
    while (this.used > target && this.count > 0 && visited++ < maxVisits && evicted < EVICT_STEP) {
      if (this.hand >= ring.length) this.hand = 0
      const e = ring[this.hand++]!
      if (e.hot) {
        e.hot = false
        continue
      }
      // The last entry (often the newest) takes this slot, just behind the hand: as in CLOCK, where
      // a new entry goes in behind the hand, it is looked at again only after a full turn.
      this.remove(e)
      evicted++
      this.evictions++
      this.ghosts?.add(e.key)
      e.owner.evicted(e)
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
      for (const k in v as Record<string, unknown>)
        n += 16 + k.length + estimateSize((v as Record<string, unknown>)[k], depth + 1)
      return n
    }
    default:
      return 32
  }
}
