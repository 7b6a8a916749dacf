import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { splitMemoryBudget } from '../../../storage/memory-budget.ts'
import type { OrderedStore } from '../../../storage/ordered-store.ts'
import { StorageError } from '../../../storage/storage-error.ts'
import { LevelStore } from '../../../storage/leveldb/level-store.ts'
import { defineJob } from '../../api/job.ts'
import { MapStateDescriptor, ValueStateDescriptor } from '../../api/state-descriptors.ts'
import { MiniCluster } from '../../cluster/mini-cluster.ts'
import { KeyGroupRange } from '../../keys/key-group-range.ts'
import { encodeKeyToBinaryString } from '../../keys/key-codec.ts'
import { KeyedStateBackend } from '../keyed-state-backend.ts'
import type { InternalMapState } from '../kinds/map-state.ts'
import type { InternalValueState } from '../kinds/value-state.ts'
import { keyGroupChars, VOID_NAMESPACE } from '../namespace.ts'
import { registerBackendMetrics } from './backend-metrics.ts'
import { MAX_PERCENT, MIN_PERCENT } from './heap-growth.ts'
import { LevelStateBackend } from './level-state-backend.ts'
import { LevelStateTable, StateBackendError } from './level-state-table.ts'
import { ObjectCache } from './object-cache.ts'

const MiB = 1024 * 1024
const budget = splitMemoryBudget(64 * MiB, { slots: 1 })
const ALL = { start: 0, end: 127 }

const primary = (kg: number, key: string) => keyGroupChars(kg) + encodeKeyToBinaryString(key) + VOID_NAMESPACE

async function count(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const _ of it) n++
  return n
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livestate-backend-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('LevelStateBackend', () => {
  it('a clean stop and a reopen with { clear: false } keep every value; the default reopen starts empty', async () => {
    const location = join(dir, 'tm-1')
    const first = await LevelStateBackend.open(location, budget)
    const b = new KeyedStateBackend({
      operatorUid: 'op',
      operatorName: 'op',
      keyGroupRange: new KeyGroupRange(0, 127),
      maxParallelism: 128,
      tables: first,
    })
    const v = b.getOrCreateState<InternalValueState<unknown>>(new ValueStateDescriptor('v'))
    const m = b.getOrCreateState<InternalMapState<string, number>>(new MapStateDescriptor('m'))
    for (let i = 0; i < 5_000; i++) {
      b.setCurrentKey(`k${i}`)
      v.update({ i })
      m.put('x', i)
    }
    await first.close() // flushes every table

    const reopened = await LevelStateBackend.open(location, budget, { clear: false })
    const r = new KeyedStateBackend({
      operatorUid: 'op',
      operatorName: 'op',
      keyGroupRange: new KeyGroupRange(0, 127),
      maxParallelism: 128,
      tables: reopened,
    })
    const rv = r.getOrCreateState<InternalValueState<unknown>>(new ValueStateDescriptor('v'))
    const rm_ = r.getOrCreateState<InternalMapState<string, number>>(new MapStateDescriptor('m'))
    for (const i of [0, 1, 2_500, 4_999]) {
      r.setCurrentKey(`k${i}`)
      expect(rv.value()).toEqual({ i })
      expect(rm_.get('x')).toBe(i)
    }
    expect(await count(r.tableOf('v')!.primaryKeys(0, 127))).toBe(5_000)
    await reopened.close()

    const cleared = await LevelStateBackend.open(location, budget)
    expect(await count(cleared.orderedStore.keys())).toBe(0)
    await cleared.close()
  })

  it('a second open of the same directory fails at once with STORE_LOCKED naming the directory', async () => {
    const location = join(dir, 'tm-1')
    const first = await LevelStateBackend.open(location, budget)
    const started = Date.now()
    const second = LevelStateBackend.open(location, budget)
    await expect(second).rejects.toMatchObject({ code: 'STORE_LOCKED', message: expect.stringContaining(location) })
    expect(Date.now() - started).toBeLessThan(2_000)
    await first.close()
  })

  it('a table re-created for the same key groups (a restarted task) fences the old one; its data is never read back', async () => {
    const backend = await LevelStateBackend.open(join(dir, 'tm-1'), budget)
    const old = backend.create('op', 's', { start: 0, end: 63 })
    const neighbour = backend.create('op', 's', { start: 64, end: 127 })
    for (let i = 0; i < 100; i++) old.put(primary(i % 64, `k${i}`), i)
    await old.flush()
    old.put(primary(1, 'dirty'), 'in cache only')
    neighbour.put(primary(64, 'n'), 'stays')
    await neighbour.flush()

    const fresh = backend.create('op', 's', { start: 0, end: 63 })
    // At once, before the old range is cleared: nothing of the failed attempt is visible.
    expect(fresh.get(primary(5, 'k5'))).toBeUndefined()
    expect(fresh.get(primary(1, 'dirty'))).toBeUndefined()
    expect(() => old.put(primary(2, 'late'), 1)).toThrow(StateBackendError)
    expect(() => old.get(primary(3, 'k3'))).toThrow(/closed/)
    fresh.put(primary(7, 'new'), 'fresh')
    await fresh.flush()
    expect(await count(fresh.primaryKeys(0, 63))).toBe(1)
    expect(fresh.get(primary(7, 'new'))).toBe('fresh')
    // The other key groups of the same state belong to another live table: untouched.
    expect(neighbour.get(primary(64, 'n'))).toBe('stays')
    expect(await count(backend.orderedStore.keys())).toBe(2)
    expect(backend.tableCount).toBe(2)
    await backend.close()
  })

  it('metrics(): budget split, cache hits and misses, flushes, bytes on disk; exported to Prometheus', async () => {
    const backend = await LevelStateBackend.open(join(dir, 'tm-1'), budget)
    const t = backend.create('op', 's', ALL)
    for (let i = 0; i < 1_000; i++) t.put(primary(i % 128, `k${i}`), { i })
    for (let i = 0; i < 1_000; i++) t.get(primary(i % 128, `k${i}`))
    t.get(primary(0, 'absent'))
    await t.flush()
    const m = await backend.metrics()
    expect(m.budget).toEqual(budget)
    expect(m.cacheHits).toBe(1_000)
    expect(m.cacheMisses).toBe(1)
    expect(m.flushedOps).toBe(1_000)
    expect(m.flushes).toBeGreaterThanOrEqual(1)
    expect(m.objectCacheEntries).toBe(1_001)
    expect(m.objectCacheBytes).toBeGreaterThan(0)
    expect(m.objectCacheBytes).toBeLessThanOrEqual(budget.objectCache)

    const registry = new Registry()
    registerBackendMetrics(registry, () => [backend])
    const text = await registry.metrics()
    expect(text).toContain(
      `livestate_state_memory_budget_bytes{taskmanager="tm-1",part="object_cache"} ${budget.objectCache}`,
    )
    expect(text).toContain(
      `livestate_state_memory_budget_bytes{taskmanager="tm-1",part="block_cache"} ${budget.blockCache}`,
    )
    expect(text).toContain(
      `livestate_state_memory_budget_bytes{taskmanager="tm-1",part="mapped_tables"} ${budget.mappedTables}`,
    )
    expect(text).toContain(`livestate_state_table_cache_tables{taskmanager="tm-1"} ${budget.tableCache}`)
    expect(m.heapGrowingPercent).toBeGreaterThanOrEqual(MIN_PERCENT)
    expect(m.heapGrowingPercent).toBeLessThanOrEqual(MAX_PERCENT)
    expect(text).toMatch(/livestate_state_heap_growing_percent (\d+)/)
    expect(text).toContain(
      `livestate_state_memory_used_bytes{taskmanager="tm-1",part="object_cache"} ${m.objectCacheBytes}`,
    )
    expect(text).toMatch(/livestate_state_memory_used_bytes\{taskmanager="tm-1",part="leveldb"\} \d+/)
    expect(text).toContain('livestate_state_cache_hits_total{taskmanager="tm-1"} 1000')
    expect(text).toContain('livestate_state_cache_misses_total{taskmanager="tm-1"} 1')
    expect(text).toMatch(/livestate_state_cache_hit_ratio\{taskmanager="tm-1"\} 0\.99/)
    expect(text).toContain('livestate_state_flushed_ops_total{taskmanager="tm-1"} 1000')
    expect(text).toMatch(/livestate_state_disk_bytes\{taskmanager="tm-1"\} \d+/)
    // Registering again (a restarted server on one registry) replaces the metrics instead of throwing.
    registerBackendMetrics(registry, () => [])
    expect(await registry.metrics()).not.toContain('taskmanager="tm-1"')
    await backend.close()
  })
})

/** A LevelStore sublevel whose batch() fails like a full disk; counts the attempts. */
async function failingStore(
  location: string,
): Promise<{ store: OrderedStore; batches: () => number; close: () => Promise<void> }> {
  const root = await LevelStore.open(location)
  const sub = root.sublevel('s')
  let batches = 0
  const store = new Proxy(sub, {
    get(target, prop) {
      if (prop === 'batch') {
        return async () => {
          batches++
          throw new StorageError(
            'STORE_IO_ERROR',
            `LevelDB failed in ${location}: IO error: No space left on device (injected)`,
          )
        }
      }
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
  return { store, batches: () => batches, close: () => root.close() }
}

describe('LevelStateTable write failures', () => {
  it('a failed batch poisons the table with the store code; writes, flushes and snapshots throw; nothing is retried', async () => {
    const f = await failingStore(join(dir, 'db'))
    const t = new LevelStateTable(f.store, new ObjectCache(4_000), undefined, { name: 'op/counts', flushAtOps: 5 })
    let i = 0
    const write = () => t.put(primary(i % 128, `k${i++}`), i)
    for (let n = 0; n < 200; n++) write() // the cache holds ~20: evictions start batches, which fail
    await new Promise((r) => setTimeout(r, 20))
    const attempts = f.batches()
    expect(attempts).toBeGreaterThanOrEqual(1)
    expect(attempts).toBeLessThanOrEqual(4) // the batches in flight when the first one failed
    let thrown: unknown
    try {
      for (let n = 0; n < 100; n++) write()
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(StateBackendError)
    expect(thrown).toMatchObject({
      code: 'STORE_IO_ERROR',
      message: expect.stringMatching(/writing state 'op\/counts' to LevelDB failed: .*No space left/),
    })
    await expect(t.flush()).rejects.toMatchObject({ code: 'STORE_IO_ERROR' })
    expect(() => t.snapshot(0, 127)).toThrow(StateBackendError)
    expect(f.batches()).toBe(attempts)
    // What the failed batch held is still readable: nothing is read stale or lost from memory.
    expect(t.get(primary(0, 'k0'))).toBe(1)
    await f.close()
  })

  it('a batch-write failure fails the job with a clear error', async () => {
    const f = await failingStore(join(dir, 'db'))
    const cluster = new MiniCluster({
      stateTables: () => ({
        create: (uid, name) =>
          new LevelStateTable(f.store, new ObjectCache(8_000), undefined, { name: `${uid}/${name}`, flushAtOps: 10 }),
      }),
    })
    const job = defineJob({ name: 'fails' }, (env) => {
      env
        .fromCollection(Array.from({ length: 20_000 }, (_, i) => ({ k: `key-${i}`, n: 1 })))
        .keyBy((e) => e.k)
        .reduce((a, b) => ({ k: a.k, n: a.n + b.n }))
    })
    await expect(cluster.execute(job)).rejects.toThrow(
      /writing state '.*_reduce' to LevelDB failed: .*No space left on device/,
    )
    await cluster.close()
    expect(f.batches()).toBeLessThanOrEqual(4)
    await f.close()
  })
})
