// The StateTable conformance suite (Hono's runTest pattern): the five state kinds through a
// KeyedStateBackend over each kind of table, TTL, snapshot → restore into the other kind, and a
// model-based test of the table itself with a tiny object cache. Each table kind runs it from a
// 3-line test file; results must be identical across kinds.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { splitMemoryBudget } from '../../storage/memory-budget.ts'
import { count } from '../api/aggregates.ts'
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  type StateTtlConfig,
  ValueStateDescriptor,
} from '../api/state-descriptors.ts'
import { encodeKeyToBinaryString, type Key } from '../keys/key-codec.ts'
import { KeyGroupRange } from '../keys/key-group-range.ts'
import { assignToKeyGroup } from '../keys/key-group-range-assignment.ts'
import { HeapStateTable } from './heap/heap-state-table.ts'
import { KeyedStateBackend, type KeyedStateBackendOptions } from './keyed-state-backend.ts'
import type { AbstractKeyedState } from './kinds/abstract-keyed-state.ts'
import type { InternalListState } from './kinds/list-state.ts'
import type { InternalMapState } from './kinds/map-state.ts'
import type { InternalAggregatingState, InternalReducingState, InternalValueState } from './kinds/value-state.ts'
import type { BatchOp } from '../../storage/ordered-store.ts'
import { LevelStateBackend } from './leveldb/level-state-backend.ts'
import { LevelStateTable } from './leveldb/level-state-table.ts'
import { sublevelPrefix } from './leveldb/table-keys.ts'
import { runStateTableModel } from './state-table.model.ts'
import { keyGroupChars, VOID_NAMESPACE, windowNamespace } from './namespace.ts'
import { fullEntries, type StateTable, type StateTableFactory } from './state-table.ts'

const MiB = 1024 * 1024
const MAX_PARALLELISM = 128
const ALL_GROUPS = new KeyGroupRange(0, MAX_PARALLELISM - 1)

export interface TablesFixture {
  readonly tables: StateTableFactory
  /** Puts and deletes written to the byte store so far; undefined when the kind has no store. */
  storeOps(): Promise<number | undefined>
  /** Keys physically stored (after writing everything down); undefined without a store. */
  storedKeys(): Promise<number | undefined>
  cleanup(): Promise<void>
}

export interface TablesOptions {
  /** Object-cache budget in bytes (write-back caches; others ignore it). */
  objectCacheBytes?: number
  /** Dirty entries per batch (write-back caches). */
  flushAtOps?: number
  /**
   * Batches reach the store a macrotask late: LevelDB often applies a batch before its callback
   * runs, which would hide a read that skips batches in flight; this keeps them truly in flight.
   */
  delayBatches?: boolean
}

export type OpenTables = (options?: TablesOptions) => Promise<TablesFixture>

export const openHeapTables: OpenTables = async () => ({
  tables: { create: () => new HeapStateTable() },
  storeOps: async () => undefined,
  storedKeys: async () => undefined,
  cleanup: async () => {},
})

export const openLevelTables: OpenTables = async (options = {}) => {
  const dir = await mkdtemp(join(tmpdir(), 'livestate-state-'))
  const budget = splitMemoryBudget(64 * MiB, { slots: 1 })
  const backend = await LevelStateBackend.open(
    join(dir, 'tm-1'),
    { ...budget, objectCache: options.objectCacheBytes ?? budget.objectCache },
    options.flushAtOps === undefined ? {} : { flushAtOps: options.flushAtOps },
  )
  const root = backend.orderedStore
  const late = new Proxy(root, {
    get(target, prop) {
      if (prop === 'batch') {
        return (ops: BatchOp[]) => new Promise<void>((resolve) => setTimeout(resolve, 1)).then(() => target.batch(ops))
      }
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
  const delayed: StateTableFactory = {
    create: (uid, name) =>
      new LevelStateTable(late, backend.cache, undefined, {
        name: `${uid}/${name}`,
        keyPrefix: sublevelPrefix([uid, name]),
        ...(options.flushAtOps === undefined ? {} : { flushAtOps: options.flushAtOps }),
      }),
  }
  return {
    tables: options.delayBatches ? delayed : backend,
    storeOps: async () => (await backend.metrics()).flushedOps,
    storedKeys: async () => {
      let n = 0
      for await (const _ of backend.orderedStore.keys()) n++
      return n
    },
    cleanup: async () => {
      await backend.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface StateTableSuiteOptions {
  name: string
  open: OpenTables
  /** The other kind: restores go there, and iteration orders must match it. */
  other: { name: string; open: OpenTables }
  /** Entries of the big MapState test. */
  bigMapEntries: number
}

type BackendExtras = Pick<KeyedStateBackendOptions, 'now' | 'restoredTables' | 'mailbox' | 'ttlSweeper'>

function keyed(tables: StateTableFactory, extra: BackendExtras = {}) {
  return new KeyedStateBackend({
    operatorUid: 'op',
    operatorName: 'op',
    keyGroupRange: ALL_GROUPS,
    maxParallelism: MAX_PARALLELISM,
    tables,
    ...extra,
  })
}

const value = (b: KeyedStateBackend, name = 'v', ttl?: StateTtlConfig) =>
  b.getOrCreateState<InternalValueState<unknown>>(new ValueStateDescriptor(name, ttl ? { ttl } : {}))
const list = (b: KeyedStateBackend, name = 'l', ttl?: StateTtlConfig) =>
  b.getOrCreateState<InternalListState<unknown>>(new ListStateDescriptor(name, ttl ? { ttl } : {}))
const map = (b: KeyedStateBackend, name = 'm', ttl?: StateTtlConfig) =>
  b.getOrCreateState<InternalMapState<Key, unknown>>(new MapStateDescriptor(name, ttl ? { ttl } : {}))
const reducing = (b: KeyedStateBackend) =>
  b.getOrCreateState<InternalReducingState<number>>(new ReducingStateDescriptor<number>('r', (a, x) => a + x))
const aggregating = (b: KeyedStateBackend) =>
  b.getOrCreateState<InternalAggregatingState<unknown, number, number>>(new AggregatingStateDescriptor('a', count()))

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** Mixed user keys whose canonical order differs from JS order in several ways. */
const MIXED_KEYS: Key[] = [
  'b',
  'a',
  '',
  'ab',
  'é',
  '\u0000',
  10,
  -1,
  0,
  2.5,
  -1e9,
  3n,
  -5n,
  true,
  false,
  ['a', 1],
  ['a'],
  [1, 'a'],
]

function primaryOf(key: Key, ns = VOID_NAMESPACE): string {
  return keyGroupChars(assignToKeyGroup(key, MAX_PARALLELISM)) + encodeKeyToBinaryString(key) + ns
}

/** Every write of a table counted (ListState append must not rewrite the list). */
function countingTables(tables: StateTableFactory): { tables: StateTableFactory; writes: () => number } {
  let writes = 0
  const counted = new Set(['put', 'remove', 'putEntry', 'removeEntry'])
  return {
    writes: () => writes,
    tables: {
      create(uid, name, groups) {
        const table = tables.create(uid, name, groups)
        return new Proxy(table, {
          get(target, prop) {
            const v = Reflect.get(target, prop, target)
            if (typeof v !== 'function') return v
            return (...args: unknown[]) => {
              if (counted.has(prop as string)) writes++
              return (v as (...a: unknown[]) => unknown).apply(target, args)
            }
          },
        })
      },
    },
  }
}

/** All states of the round-trip test, as plain data. */
async function readAll(b: KeyedStateBackend, keys: Key[]) {
  const out: Record<string, unknown> = {}
  for (const k of keys) {
    b.setCurrentKey(k)
    b.setCurrentNamespace(VOID_NAMESPACE)
    const m = map(b)
    const plain = {
      value: value(b).value(),
      list: list(b).get(),
      map: await collect(m.entries()),
      reducing: reducing(b).get(),
      aggregating: aggregating(b).get(),
    }
    b.setCurrentNamespace(windowNamespace({ start: 0, end: 10 }))
    out[JSON.stringify(String(k))] = { ...plain, windowed: value(b).value() }
  }
  b.setCurrentNamespace(VOID_NAMESPACE)
  return out
}

export function runStateTableSuite(o: StateTableSuiteOptions): void {
  describe(`${o.name}: the five state kinds through a KeyedStateBackend`, () => {
    let f: TablesFixture
    beforeEach(async () => {
      f = await o.open()
    })
    afterEach(async () => {
      await f.cleanup()
    })

    it('ValueState: absent is undefined; update, value and clear per key; update(undefined) clears', () => {
      const b = keyed(f.tables)
      const v = value(b)
      b.setCurrentKey('k1')
      expect(v.value()).toBeUndefined()
      v.update({ n: 1 })
      b.setCurrentKey('k2')
      expect(v.value()).toBeUndefined()
      v.update('two')
      b.setCurrentKey('k1')
      expect(v.value()).toEqual({ n: 1 })
      v.clear()
      expect(v.value()).toBeUndefined()
      b.setCurrentKey('k2')
      v.update(undefined)
      expect(v.value()).toBeUndefined()
    })

    it('ListState: [] when empty; add and addAll keep order; update replaces; clear empties', () => {
      const b = keyed(f.tables)
      const l = list(b)
      b.setCurrentKey(7)
      expect(l.get()).toEqual([])
      l.add('a')
      l.addAll(['b', 'c'])
      l.add({ d: 4 })
      expect(l.get()).toEqual(['a', 'b', 'c', { d: 4 }])
      l.update(['x'])
      expect(l.get()).toEqual(['x'])
      l.update([])
      expect(l.get()).toEqual([])
      l.addAll([1, 2])
      l.clear()
      expect(l.get()).toEqual([])
    })

    it('MapState: put, get, contains, remove, putAll; entries, keys and values in user-key order; isEmpty; clear', async () => {
      const b = keyed(f.tables)
      const m = map(b)
      b.setCurrentKey('user')
      expect(await m.isEmpty()).toBe(true)
      m.put('b', 2)
      m.putAll([
        ['a', 1],
        ['c', 3],
      ])
      expect(m.get('a')).toBe(1)
      expect(m.get('zz')).toBeUndefined()
      expect(m.contains('c')).toBe(true)
      m.remove('c')
      expect(m.contains('c')).toBe(false)
      expect(await collect(m.entries())).toEqual([
        ['a', 1],
        ['b', 2],
      ])
      expect(await collect(m.keys())).toEqual(['a', 'b'])
      expect(await collect(m.values())).toEqual([1, 2])
      expect(await m.isEmpty()).toBe(false)
      b.setCurrentKey('other')
      expect(await m.isEmpty()).toBe(true)
      b.setCurrentKey('user')
      await m.clear()
      expect(await m.isEmpty()).toBe(true)
      expect(m.get('a')).toBeUndefined()
    })

    it('ReducingState and AggregatingState fold per key; queries answer getResult', async () => {
      const b = keyed(f.tables)
      const r = reducing(b)
      const a = aggregating(b)
      for (const [k, x] of [
        ['p', 1],
        ['q', 10],
        ['p', 2],
        ['p', 3],
      ] as const) {
        b.setCurrentKey(k)
        r.add(x)
        a.add(x)
      }
      b.setCurrentKey('p')
      expect(r.get()).toBe(6)
      expect(a.get()).toBe(3)
      expect(await a.queryValue(primaryOf('p'))).toBe(3)
      b.setCurrentKey('q')
      expect(r.get()).toBe(10)
      expect(a.get()).toBe(1)
      a.clear()
      expect(a.get()).toBeUndefined()
    })

    it('namespaces keep the same key apart: values, lists and maps per window', async () => {
      const b = keyed(f.tables)
      const [v, l, m] = [value(b), list(b), map(b)]
      const w1 = windowNamespace({ start: 0, end: 10 })
      const w2 = windowNamespace({ start: 10, end: 20 })
      b.setCurrentKey('k')
      for (const [ns, tag] of [
        [VOID_NAMESPACE, 'void'],
        [w1, 'w1'],
        [w2, 'w2'],
      ] as const) {
        b.setCurrentNamespace(ns)
        v.update(tag)
        l.add(tag)
        m.put('x', tag)
      }
      b.setCurrentNamespace(w1)
      expect([v.value(), l.get(), await collect(m.entries())]).toEqual(['w1', ['w1'], [['x', 'w1']]])
      v.clear()
      b.setCurrentNamespace(w2)
      expect([v.value(), l.get(), await collect(m.entries())]).toEqual(['w2', ['w2'], [['x', 'w2']]])
      b.setCurrentNamespace(VOID_NAMESPACE)
      expect(v.value()).toBe('void')
    })

    it(`MapState iterates mixed user keys in canonical key order, identical to ${o.other.name}`, async () => {
      const orderIn = async (tables: StateTableFactory) => {
        const b = keyed(tables)
        const m = map(b)
        b.setCurrentKey('k')
        for (const [i, k] of MIXED_KEYS.entries()) m.put(k, i)
        return collect(m.keys())
      }
      const mine = await orderIn(f.tables)
      const g = await o.other.open()
      try {
        expect(mine).toEqual(await orderIn(g.tables))
      } finally {
        await g.cleanup()
      }
      const canonical = [...MIXED_KEYS].sort((a, b) => {
        const [x, y] = [encodeKeyToBinaryString(a), encodeKeyToBinaryString(b)]
        return x < y ? -1 : x > y ? 1 : 0
      })
      expect(mine).toEqual(canonical)
    })

    it('ListState add appends one element: 2 writes per add (element + count), whatever the length', async () => {
      const counting = countingTables(f.tables)
      const b = keyed(counting.tables)
      const l = list(b)
      b.setCurrentKey('long')
      l.addAll(Array.from({ length: 5_000 }, (_, i) => i))
      await b.flush()
      const writes0 = counting.writes()
      const ops0 = await f.storeOps()
      l.add('one more')
      await b.flush()
      expect(counting.writes() - writes0).toBe(2)
      const ops1 = await f.storeOps()
      if (ops0 !== undefined) expect(ops1! - ops0).toBe(2)
      expect(l.get()).toHaveLength(5_001)
    })

    it('primaryKeys: byte order across key groups, only the asked key groups, after a key, once per map or list', async () => {
      const b = keyed(f.tables)
      const [v, l, m] = [value(b), list(b), map(b)]
      const keys: Key[] = Array.from({ length: 200 }, (_, i) => `key-${i}`)
      for (const k of keys) {
        b.setCurrentKey(k)
        v.update(k)
        l.addAll([1, 2, 3])
        for (let i = 0; i < 40; i++) m.put(i, i)
      }
      const expected = keys.map((k) => primaryOf(k)).sort()
      for (const name of ['v', 'l', 'm']) {
        const table = b.tableOf(name)!
        expect(await collect(table.primaryKeys(0, MAX_PARALLELISM - 1))).toEqual(expected)
        const some = expected.filter(
          (p) => (p.charCodeAt(0) << 8) + p.charCodeAt(1) >= 20 && (p.charCodeAt(0) << 8) + p.charCodeAt(1) <= 60,
        )
        expect(await collect(table.primaryKeys(20, 60))).toEqual(some)
        expect(await collect(table.primaryKeys(20, 60, some[10]))).toEqual(some.slice(11))
        expect(await collect(table.primaryKeys(0, MAX_PARALLELISM - 1, expected.at(-1)))).toEqual([])
      }
      b.setCurrentKey('key-0')
      v.clear()
      l.clear()
      await m.clear()
      for (const name of ['v', 'l', 'm'])
        expect(await collect(b.tableOf(name)!.primaryKeys(0, MAX_PARALLELISM - 1))).toEqual(
          expected.filter((p) => p !== primaryOf('key-0')),
        )
    })

    it(`snapshot → restore into ${o.other.name}: every kind round-trips; later writes stay out`, async () => {
      const b = keyed(f.tables)
      const keys: Key[] = ['a', 'b', 42, -3n, ['c', 1], ...Array.from({ length: 50 }, (_, i) => `k${i}`)]
      for (const [i, k] of keys.entries()) {
        b.setCurrentKey(k)
        value(b).update({ i })
        list(b).addAll([i, `${i}`])
        map(b).putAll([
          ['x', i],
          [i, 'y'],
        ])
        reducing(b).add(i)
        aggregating(b).add(i)
        b.setCurrentNamespace(windowNamespace({ start: 0, end: 10 }))
        value(b).update(`w${i}`)
        b.setCurrentNamespace(VOID_NAMESPACE)
      }
      const before = await readAll(b, keys)
      const views = b.tableNames().map((name) => ({ name, view: b.tableOf(name)!.snapshot(0, MAX_PARALLELISM - 1) }))
      // Written after the synchronous phase: not part of the snapshot.
      b.setCurrentKey('a')
      value(b).update('later')
      list(b).add('later')
      map(b).put('later', 1)
      b.setCurrentKey('late-key')
      value(b).update(1)
      const g = await o.other.open()
      try {
        const restored = new Map<string, StateTable>()
        for (const { name, view } of views) {
          const t = g.tables.create('op', name, { start: 0, end: MAX_PARALLELISM - 1 })
          await t.restore(fullEntries(view))
          await view.release()
          restored.set(name, t)
        }
        const r = keyed(g.tables, { restoredTables: restored })
        expect(await readAll(r, keys)).toEqual(before)
        r.setCurrentKey('late-key')
        expect(value(r).value()).toBeUndefined()
        // …and back again: the other kind's snapshot restores here.
        const back = new Map<string, StateTable>()
        for (const name of r.tableNames()) {
          const view = r.tableOf(name)!.snapshot(0, MAX_PARALLELISM - 1)
          const t = f.tables.create('back', name, { start: 0, end: MAX_PARALLELISM - 1 })
          await t.restore(fullEntries(view))
          await view.release()
          back.set(name, t)
        }
        expect(await readAll(keyed(f.tables, { restoredTables: back }), keys)).toEqual(before)
      } finally {
        await g.cleanup()
      }
    })

    it('a scan yields the value current when it reaches a key, also one written down while it ran', async () => {
      const g = await o.open({ objectCacheBytes: 2_000, flushAtOps: 4 })
      try {
        const t = g.tables.create('op', 'scan', { start: 0, end: 0xffff })
        const p = primaryOf('map')
        const secondary = (i: number) => encodeKeyToBinaryString(i)
        for (let i = 0; i < 100; i++) t.putEntry(p, secondary(i), i)
        await t.flush()
        const it = t.entries(p)[Symbol.asyncIterator]()
        expect((await it.next()).value).toEqual([secondary(0), 0])
        t.putEntry(p, secondary(50), 'new')
        t.removeEntry(p, secondary(60))
        for (let i = 0; i < 50; i++) t.put(primaryOf(`other-${i}`), i) // evicts both: they go to disk
        await t.flush()
        const rest: [string, unknown][] = []
        for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value)
        expect(rest.find(([s2]) => s2 === secondary(50))?.[1]).toBe('new')
        expect(rest.some(([s2]) => s2 === secondary(60))).toBe(false)
        expect(rest).toHaveLength(98)
      } finally {
        await g.cleanup()
      }
    })

    it(`MapState with ${o.bigMapEntries.toLocaleString('en')} entries under one key: put, point get, iterate in order`, async () => {
      const b = keyed(f.tables)
      const m = map(b)
      b.setCurrentKey('big')
      const n = o.bigMapEntries
      const t0 = performance.now()
      for (let i = 0; i < n; i++) m.put(i, i * 2)
      const t1 = performance.now()
      for (let i = 0; i < n; i += 9973) expect(m.get(i)).toBe(i * 2)
      let seen = 0
      let sum = 0
      for await (const [k, v] of m.entries()) {
        if (k !== seen || v !== seen * 2) throw new Error(`entry ${seen} is [${String(k)}, ${String(v)}]`)
        seen++
        sum += v as number
      }
      const t2 = performance.now()
      expect(seen).toBe(n)
      expect(sum).toBe(n * (n - 1))
      console.info(
        `${o.name}: MapState ${n} entries: put ${(t1 - t0).toFixed(0)} ms, get + iterate ${(t2 - t1).toFixed(0)} ms`,
      )
    }, 120_000)
  })

  describe(`${o.name}: TTL`, () => {
    let f: TablesFixture
    let now = 0
    beforeEach(async () => {
      f = await o.open()
      now = 1_000
    })
    afterEach(async () => {
      await f.cleanup()
    })
    const ttl = { ttl: 100 }

    it('expired values are never returned: point reads, queries, map and list reads, scans', async () => {
      const b = keyed(f.tables, { now: () => now })
      const [v, l, m] = [value(b, 'v', ttl), list(b, 'l', ttl), map(b, 'm', ttl)]
      for (const k of ['a', 'b']) {
        b.setCurrentKey(k)
        v.update(k)
        l.add(`${k}0`)
        m.put('x', 1)
      }
      now += 60
      b.setCurrentKey('b')
      v.update('b2')
      l.add('b1')
      m.put('y', 2)
      now += 40 // 'a' and the first writes of 'b' are 100 ms old now: expired
      b.setCurrentKey('a')
      expect(v.value()).toBeUndefined()
      expect(l.get()).toEqual([])
      expect(m.get('x')).toBeUndefined()
      expect(await collect(m.entries())).toEqual([])
      expect(await v.queryValue(primaryOf('a'))).toBeUndefined()
      b.setCurrentKey('b')
      expect(v.value()).toBe('b2')
      expect(l.get()).toEqual(['b1'])
      expect(await collect(m.entries())).toEqual([['y', 2]])
      // A scan as the query server runs it: primary keys, then the query value of each.
      const scanned: unknown[] = []
      for await (const p of b.tableOf('v')!.primaryKeys(0, MAX_PARALLELISM - 1)) {
        const x = await v.queryValue(p)
        if (x !== undefined) scanned.push(x)
      }
      expect(scanned).toEqual(['b2'])
      expect(await m.queryValue(primaryOf('b'))).toEqual([['y', 2]])
      expect(await l.queryValue(primaryOf('b'))).toEqual(['b1'])
    })

    it("'onReadAndWrite' refreshes on read; 'onCreateAndWrite' does not", () => {
      const b = keyed(f.tables, { now: () => now })
      const refreshed = value(b, 'r', { ttl: 100, update: 'onReadAndWrite' })
      const plain = value(b, 'p', { ttl: 100 })
      b.setCurrentKey('k')
      refreshed.update(1)
      plain.update(1)
      now += 90
      expect([refreshed.value(), plain.value()]).toEqual([1, 1])
      now += 90
      expect([refreshed.value(), plain.value()]).toEqual([1, undefined])
    })

    it('the background sweeper deletes expired values, map entries and list elements in bounded slices on the mailbox', async () => {
      const queued: (() => Promise<void>)[] = []
      const b = keyed(f.tables, {
        now: () => now,
        mailbox: (action) => queued.push(action),
        ttlSweeper: { sliceSize: 25, passIntervalMs: 1, minSlicePauseMs: 1 },
      })
      const [v, l, m] = [value(b, 'v', ttl), list(b, 'l', ttl), map(b, 'm', ttl)]
      const plain = value(b, 'plain')
      const keys = Array.from({ length: 60 }, (_, i) => `k${i}`)
      for (const k of keys) {
        b.setCurrentKey(k)
        v.update(k)
        l.addAll([1, 2])
        m.putAll([
          ['x', 1],
          ['y', 2],
        ])
        plain.update(k)
      }
      b.setCurrentKey('fresh')
      await b.flush()
      now += 50
      v.update('fresh')
      l.add('fresh')
      m.put('z', 3)
      now += 60 // everything but 'fresh' expired
      const sweeper = b.ttlSweeper!
      expect(sweeper).toBeDefined()
      // Drain the mailbox as the task would, between "records", until one pass has completed.
      const deadline = Date.now() + 20_000
      while (sweeper.stats.passes < 1) {
        if (Date.now() > deadline) throw new Error(`no sweep pass completed: ${JSON.stringify(sweeper.stats)}`)
        const action = queued.shift()
        if (action) await action()
        else await new Promise((r) => setTimeout(r, 2))
      }
      sweeper.stop()
      expect(sweeper.stats.slices).toBeGreaterThan(1)
      // Each slice looks at no more than sliceSize keys (slightly more for one state switch).
      expect(sweeper.stats.examined / sweeper.stats.slices).toBeLessThanOrEqual(25)
      expect(await collect(b.tableOf('v')!.primaryKeys(0, MAX_PARALLELISM - 1))).toEqual([primaryOf('fresh')])
      expect(await collect(b.tableOf('l')!.primaryKeys(0, MAX_PARALLELISM - 1))).toEqual([primaryOf('fresh')])
      expect(await collect(b.tableOf('m')!.primaryKeys(0, MAX_PARALLELISM - 1))).toEqual([primaryOf('fresh')])
      expect(await collect(b.tableOf('plain')!.primaryKeys(0, MAX_PARALLELISM - 1))).toHaveLength(keys.length)
      b.setCurrentKey('fresh')
      expect([v.value(), l.get(), await collect(m.entries())]).toEqual(['fresh', ['fresh'], [['z', 3]]])
      // Physically gone: what is stored is the fresh key's (value, list count + element, map marker
      // + entry) and the 60 values of the state without TTL.
      await b.flush()
      const stored = await f.storedKeys()
      if (stored !== undefined) expect(stored).toBe(1 + 2 + 2 + keys.length)
    })

    it('a sweep slice never looks at more keys than its budget', async () => {
      const b = keyed(f.tables, { now: () => now })
      const v = value(b, 'v', ttl)
      const m = map(b, 'm', ttl)
      for (let i = 0; i < 100; i++) {
        b.setCurrentKey(i)
        v.update(i)
        for (let j = 0; j < 30; j++) m.put(j, j)
      }
      await b.flush()
      now += 200
      let from: Parameters<AbstractKeyedState['sweepExpired']>[3]
      let removed = 0
      let slices = 0
      for (const s of [v, m]) {
        do {
          const r = await s.sweepExpired(0, MAX_PARALLELISM - 1, 17, from)
          expect(r.examined).toBeLessThanOrEqual(17)
          removed += r.removed
          from = r.next
          slices++
        } while (from !== undefined)
      }
      expect(removed).toBe(100 + 100 * 30 + 100) // values, map entries, then the emptied maps
      expect(slices).toBeGreaterThan(150)
    })
  })

  runStateTableModel(o.name, o.open)
}
