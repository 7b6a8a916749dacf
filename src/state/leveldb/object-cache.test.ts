import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { type CacheEntry, type CacheOwner, EVICT_STEP, GhostFilter, ObjectCache } from './object-cache.ts'

class Owner implements CacheOwner {
  readonly index = new Map<string, CacheEntry>()
  readonly written: [string, unknown][] = []
  evicted(e: CacheEntry): void {
    this.index.delete(e.key)
    if (e.dirty) this.written.push([e.key, e.value])
  }
  put(cache: ObjectCache, key: string, value: unknown, dirty = true): void {
    const e = this.index.get(key)
    if (e) {
      e.dirty ||= dirty
      cache.update(e, value)
    } else this.index.set(key, cache.admit(this, key, value, dirty))
  }
  touch(key: string): void {
    const e = this.index.get(key)
    if (e) e.hot = true
  }
}

describe('ObjectCache', () => {
  it('stays within its byte budget and hands every evicted dirty entry back exactly once', () => {
    const cache = new ObjectCache(50_000)
    const owner = new Owner()
    for (let i = 0; i < 10_000; i++) {
      owner.put(cache, `key-${i}`, { i, name: `value ${i}` })
      expect(cache.used).toBeLessThanOrEqual(cache.limit)
    }
    expect(cache.count).toBe(owner.index.size)
    expect(owner.written.length + owner.index.size).toBe(10_000)
    expect(new Set(owner.written.map(([k]) => k)).size).toBe(owner.written.length)
    expect(cache.evictions).toBe(owner.written.length)
  })

  it('a full cache evicts a few hundred entries per pass, not a share of itself (each dirty one is encoded on the task thread)', () => {
    const cache = new ObjectCache(8 << 20)
    const owner = new Owner()
    let i = 0
    while (cache.evictions === 0) owner.put(cache, `key-${i++}`, { i, name: `value ${i}` })
    const perEntry = cache.used / cache.count
    expect(cache.count).toBeGreaterThan(20_000)
    // every pass from now on, one per admitted key that does not fit
    let largest = cache.evictions
    for (let n = 0; n < 5_000; n++) {
      const before = cache.evictions
      owner.put(cache, `key-${i++}`, { i, name: `value ${i}` })
      largest = Math.max(largest, cache.evictions - before)
    }
    // entry sizes vary a little around the mean; 10% of the cache would be thousands
    expect(largest).toBeLessThanOrEqual(Math.ceil((1.1 * 64 * 1024) / perEntry))
    expect(cache.used).toBeLessThanOrEqual(cache.limit)
  })

  it('bytes held outside it (change logs) count against its budget: it evicts to make room', () => {
    const cache = new ObjectCache(50_000)
    const external = { used: 0 }
    cache.external = external
    const owner = new Owner()
    for (let i = 0; i < 2_000; i++) owner.put(cache, `key-${i}`, { i })
    const full = cache.used
    expect(full).toBeGreaterThan(40_000)
    external.used = 30_000
    for (let i = 2_000; i < 2_100; i++) owner.put(cache, `key-${i}`, { i })
    expect(cache.used + external.used).toBeLessThanOrEqual(cache.limit)
    expect(cache.used).toBeLessThan(full - 25_000)
  })

  it('a large jump of outside bytes is made up over the next admissions, at most EVICT_STEP entries a pass', () => {
    const cache = new ObjectCache(16 << 20)
    const external = { used: 0 }
    cache.external = external
    const owner = new Owner()
    let i = 0
    while (cache.evictions === 0) owner.put(cache, `key-${i++}`, { i })
    const count = cache.count
    expect(count).toBeGreaterThan(8 * EVICT_STEP)
    // a change log keeps a batch of half the budget at once
    external.used = 8 << 20
    const passes: number[] = []
    while (cache.used + external.used > cache.limit) {
      const before = cache.evictions
      owner.put(cache, `key-${i++}`, { i })
      passes.push(cache.evictions - before)
    }
    expect(Math.max(...passes)).toBe(EVICT_STEP)
    // about half the entries go, in a few dozen passes rather than one
    expect(passes.length).toBeGreaterThan(count / 2 / EVICT_STEP - 2)
    expect(passes.length).toBeLessThan(count / EVICT_STEP)
    expect(cache.count).toBe(owner.index.size)
    expect(new Set(owner.written.map(([k]) => k)).size).toBe(owner.written.length)
  })

  it('entries removed anywhere leave the ring dense: the remaining ones are all evictable, each once', () => {
    const cache = new ObjectCache(1 << 20)
    const owner = new Owner()
    for (let i = 0; i < 3_000; i++) owner.put(cache, `key-${i}`, i)
    // the owner drops every third entry itself (a fenced table drops all of its own)
    for (let i = 0; i < 3_000; i += 3) {
      cache.remove(owner.index.get(`key-${i}`)!)
      owner.index.delete(`key-${i}`)
    }
    expect(cache.count).toBe(2_000)
    const slots = [...owner.index.values()].map((e) => e.slot).sort((a, b) => a - b)
    expect(slots).toEqual(Array.from({ length: 2_000 }, (_, i) => i))
    // evictions from here on hand back each of the 2,000 at most once, and keep the ring dense
    cache.external = { used: (1 << 20) - 50_000 }
    owner.put(cache, 'last', 0)
    expect(owner.written.length).toBeGreaterThan(500)
    expect(new Set(owner.written.map(([k]) => k)).size).toBe(owner.written.length)
    expect(owner.written.every(([k]) => k !== 'last' && Number(k.slice(4)) % 3 !== 0)).toBe(true)
    expect([...owner.index.values()].map((e) => e.slot).sort((a, b) => a - b)).toEqual(
      Array.from({ length: cache.count }, (_, i) => i),
    )
  })

  it('CLOCK: entries used since the hand last passed survive a pass of new keys', () => {
    const cache = new ObjectCache(40_000)
    const owner = new Owner()
    for (let i = 0; i < 100; i++) owner.put(cache, `hot-${i}`, i, false)
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) owner.touch(`hot-${i}`)
      for (let i = 0; i < 20; i++) owner.put(cache, `cold-${round}-${i}`, i, false)
    }
    const hot = [...owner.index.keys()].filter((k) => k.startsWith('hot-'))
    expect(hot).toHaveLength(100)
    expect(cache.used).toBeLessThanOrEqual(cache.limit)
  })

  it('shrinks to its floor when it does not pay off (uniform keys), and grows back for a hot set that fits', () => {
    const cache = new ObjectCache(1_000_000)
    const owner = new Owner()
    const access = (key: string) => {
      const e = owner.index.get(key)
      if (e) {
        e.hot = true
        cache.hits++
      } else {
        cache.missed(key)
        owner.put(cache, key, 1, false)
      }
    }
    let seed = 1
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let i = 0; i < 200_000; i++) access(`k${Math.floor(random() * 1_000_000)}`)
    expect(cache.target).toBeLessThan(cache.limit / 32)
    expect(cache.used).toBeLessThanOrEqual(cache.target)
    expect(cache.ghostBytes).toBeGreaterThan(0)
    // 3,000 keys fit the full budget (~170 B each), not the floor (~15 kB): ghost hits bring it back.
    for (let i = 0; i < 200_000; i++) access(`hot${i % 3_000}`)
    expect(cache.target).toBe(cache.limit)
    expect(cache.resizes).toBe(2)
    const before = cache.hits
    for (let i = 0; i < 30_000; i++) access(`hot${i % 3_000}`)
    expect(cache.hits - before).toBe(30_000)
  })

  it('GhostFilter remembers at least the last capacity/2 keys, with under 2% false positives', () => {
    const f = new GhostFilter(10_000)
    for (let i = 0; i < 25_000; i++) f.add(`key-${i}`)
    for (let i = 20_000; i < 25_000; i++) expect(f.has(`key-${i}`)).toBe(true)
    let fp = 0
    for (let i = 0; i < 100_000; i++) if (f.has(`other-${i}`)) fp++
    expect(fp / 100_000).toBeLessThan(0.02)
    expect(f.bytes).toBeLessThanOrEqual(2 * 10_000 * 4)
  })

  it('its size estimate is within 2× of what V8 really holds for typical state values', () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const cache = new ObjectCache(Number.MAX_SAFE_INTEGER)
    const owner = new Owner()
    const n = 100_000
    const keys = Array.from({ length: n }, (_, i) => `\u0000\u0012\u0002user-${i}\u0000\u0001\u0000`)
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < n; i++) owner.put(cache, keys[i]!, { key: `user-${i}`, count: i })
    gc()
    const held = process.memoryUsage().heapUsed - before
    const ratio = cache.used / held
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(2)
    console.info(`object cache estimate ${(cache.used / n).toFixed(0)} B/entry, V8 ${(held / n).toFixed(0)} B/entry`)
  })
})
