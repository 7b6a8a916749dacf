// Incremental snapshots of a LevelStateTable (change-log.ts): a checkpoint's delta applied to the
// state of the checkpoint it names as base must give exactly the table at the barrier, whatever ran
// in between — writes, in-place changes, removes, evictions through a tiny cache, flushes, aborted
// checkpoints, savepoints, restarts from the latest completed checkpoint, a change log that
// overflows its pool. Checked against a model, as the coordinator drives it: one checkpoint at a time.
// Captured values wait in memory until evicted or flushed, and then go down once.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeMsgpack, encodeMsgpack } from '@livestate/client'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LevelStore } from '../../../storage/leveldb/level-store.ts'
import { keyGroupChars } from '../namespace.ts'
import { fullEntries, type TableSnapshot } from '../state-table.ts'
import type { ChangeLogPool } from './change-log.ts'
import { LevelStateTable } from './level-state-table.ts'
import { ObjectCache } from './object-cache.ts'

type Op =
  | { op: 'put'; k: number; n: number }
  | { op: 'remove'; k: number }
  | { op: 'bump'; k: number }
  | { op: 'flush' }
  | { op: 'checkpoint' }
  | { op: 'finish'; complete: boolean }
  | { op: 'savepoint' }
  | { op: 'restart' }

const KEY_GROUPS = 4
const key = (k: number) => `${keyGroupChars(k % KEY_GROUPS)}k${String(k).padStart(3, '0')}`
type State = Map<string, number>

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('put' as const), k: fc.nat(40), n: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), k: fc.nat(40) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('bump' as const), k: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('checkpoint' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('finish' as const), complete: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('savepoint' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const) }) },
)

async function read(view: TableSnapshot): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>()
  try {
    for await (const chunk of view.entries())
      for (const [k, v] of chunk)
        out.set(
          typeof k === 'string' ? k : Buffer.from(k).toString('latin1'),
          v === null ? null : (decodeMsgpack(v) as { n: number }).n,
        )
  } finally {
    await view.release()
  }
  return out
}

/** A table over a fresh LevelDB with a roomy cache and change log, disposed after `fn`. */
async function withTable(fn: (table: LevelStateTable, store: LevelStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'livestate-incremental-'))
  const store = await LevelStore.open(join(dir, 'db'))
  const pool: ChangeLogPool = { used: 0, limit: 1 << 30 }
  const table = new LevelStateTable(store, new ObjectCache(1 << 20), undefined, { flushAtOps: 50, changeLog: pool })
  try {
    await fn(table, store)
  } finally {
    await table.dispose()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('LevelStateTable incremental snapshots', () => {
  it('a delta applied to its base checkpoint gives exactly the table at the barrier', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livestate-incremental-'))
    let deltas = 0
    let fulls = 0
    try {
      let run = 0
      await fc.assert(
        fc.asyncProperty(
          fc.array(opArb, { minLength: 20, maxLength: 150, size: 'max' }),
          fc.nat(2),
          fc.constantFrom(600, 1 << 30),
          async (ops, cacheSize, poolLimit) => {
            const pool: ChangeLogPool = { used: 0, limit: poolLimit }
            const cache = new ObjectCache([400, 2_000, 50_000][cacheSize]!)
            let store = await LevelStore.open(join(dir, `db-${run++}`))
            let table = new LevelStateTable(store, cache, undefined, { flushAtOps: 3, changeLog: pool })
            const model: State = new Map()
            let latest: { id: number; state: State } | undefined
            let pending: { id: number; base: number | undefined; view: TableSnapshot; expected: State } | undefined
            let nextId = 1
            try {
              for (const o of ops) {
                if (o.op === 'put') {
                  table.put(key(o.k), { n: o.n })
                  model.set(key(o.k), o.n)
                } else if (o.op === 'remove') {
                  table.remove(key(o.k))
                  model.delete(key(o.k))
                } else if (o.op === 'bump') {
                  const v = table.get(key(o.k)) as { n: number } | undefined
                  if (v === undefined) continue
                  v.n++
                  table.put(key(o.k), v)
                  model.set(key(o.k), model.get(key(o.k))! + 1)
                } else if (o.op === 'flush') {
                  await table.flush()
                } else if (o.op === 'checkpoint' && !pending) {
                  const id = nextId++
                  const base = latest?.id
                  const view = table.snapshot(0, KEY_GROUPS - 1, { checkpointId: id, base })
                  pending = { id, base, view, expected: new Map(model) }
                } else if (o.op === 'finish' && pending) {
                  const p = pending
                  pending = undefined
                  const entries = await read(p.view)
                  let state: State
                  if (p.view.deltaOf !== undefined) {
                    deltas++
                    expect(p.view.deltaOf).toBe(p.base)
                    state = new Map(latest!.state)
                    for (const [k, v] of entries) v === null ? state.delete(k) : state.set(k, v)
                  } else {
                    fulls++
                    expect([...entries.values()]).not.toContain(null)
                    state = entries as State
                  }
                  expect(new Map([...state].sort())).toEqual(new Map([...p.expected].sort()))
                  if (o.complete) latest = { id: p.id, state }
                } else if (o.op === 'savepoint') {
                  const view = table.snapshot(0, KEY_GROUPS - 1)
                  expect(view.deltaOf).toBeUndefined()
                  const got = new Map<string, number>()
                  for await (const [k, v] of fullEntries(view))
                    got.set(Buffer.from(k).toString('latin1'), (decodeMsgpack(v) as { n: number }).n)
                  await view.release()
                  expect(got).toEqual(new Map([...model].sort()))
                } else if (o.op === 'restart' && latest) {
                  // a failure: everything since the latest completed checkpoint is lost
                  if (pending) await pending.view.release()
                  pending = undefined
                  await table.fence('restart')
                  await store.close()
                  store = await LevelStore.open(join(dir, `db-${run++}`))
                  table = new LevelStateTable(store, cache, undefined, { flushAtOps: 3, changeLog: pool })
                  const sorted = [...latest.state].sort(([a], [b]) => (a < b ? -1 : 1))
                  await table.restore(
                    sorted.map(
                      ([k, n]) => [Buffer.from(k, 'latin1'), encodeMsgpack({ n })] as [Uint8Array, Uint8Array],
                    ),
                  )
                  table.restoredFrom(latest.id)
                  model.clear()
                  for (const [k, n] of latest.state) model.set(k, n)
                }
              }
              for (const [k, v] of model) expect((table.get(k) as { n: number }).n).toBe(v)
            } finally {
              if (pending) await pending.view.release()
              await table.dispose()
              await store.close()
            }
            expect(pool.used, 'the pool gets every byte back').toBe(0)
          },
        ),
        { numRuns: 150 },
      )
      // both kinds really ran
      expect(deltas).toBeGreaterThan(50)
      expect(fulls).toBeGreaterThan(10)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)

  it('a delta holds only the keys changed since its base, not the values that base captured; against an older base it is full', () =>
    withTable(async (table) => {
      const keys = Array.from({ length: 200 }, (_, k) => key(k))
      const putAll = (ks: string[], n: number) => {
        for (const k of ks) table.put(k, { n })
      }
      // checkpoint 1 (full) captures 200 dirty values
      putAll(keys, 1)
      const first = await read(table.snapshot(0, KEY_GROUPS - 1, { checkpointId: 1, base: undefined }))
      expect(first.size).toBe(200)
      // checkpoint 2 against 1: only the 10 keys changed since
      putAll(keys.slice(0, 10), 2)
      const second = table.snapshot(0, KEY_GROUPS - 1, { checkpointId: 2, base: 1 })
      expect(second.deltaOf).toBe(1)
      expect(await read(second)).toEqual(new Map(keys.slice(0, 10).map((k) => [k, 2])))
      // checkpoint 3 against 1 (2 was not completed): 2's captures were not kept, so it is a full one
      putAll(keys.slice(10, 15), 3)
      const third = table.snapshot(0, KEY_GROUPS - 1, { checkpointId: 3, base: 1 })
      expect(third.deltaOf).toBeUndefined()
      const all = await read(third)
      expect(all.size).toBe(200)
      expect(new Map([...all].filter(([, n]) => n !== 1))).toEqual(
        new Map([...keys.slice(0, 10).map((k) => [k, 2] as const), ...keys.slice(10, 15).map((k) => [k, 3] as const)]),
      )
      // checkpoint 4 against 3 (completed): a delta again, of the keys changed since 3 only
      putAll(keys.slice(15, 17), 4)
      const fourth = table.snapshot(0, KEY_GROUPS - 1, { checkpointId: 4, base: 3 })
      expect(fourth.deltaOf).toBe(3)
      expect(await read(fourth)).toEqual(new Map(keys.slice(15, 17).map((k) => [k, 4])))
    }))

  it('a value a checkpoint captured goes to LevelDB once, when evicted or flushed, not also when captured', () =>
    withTable(async (table, store) => {
      const keys = Array.from({ length: 200 }, (_, k) => key(k))
      for (const k of keys) table.put(k, { n: 1 })
      expect((await read(table.snapshot(0, KEY_GROUPS - 1, { checkpointId: 1, base: undefined }))).size).toBe(200)
      // captured: nothing written yet (they wait until evicted or flushed)
      expect(table.stats.flushedOps).toBe(0)
      // changed again after the capture, then flushed: each key is written once, with its newest value
      for (const k of keys.slice(0, 50)) table.put(k, { n: 2 })
      await table.flush()
      expect(table.stats.flushedOps).toBe(200)
      const onDisk = new Map<string, number>()
      for await (const [k, v] of store.iterator())
        onDisk.set(Buffer.from(k).toString('latin1'), (decodeMsgpack(v) as { n: number }).n)
      expect(onDisk).toEqual(new Map(keys.map((k, i) => [k, i < 50 ? 2 : 1])))
      // checkpoint 2 against 1: the 50 changed keys only, though the other 150 went down since 1
      const second = table.snapshot(0, KEY_GROUPS - 1, { checkpointId: 2, base: 1 })
      expect(second.deltaOf).toBe(1)
      expect(await read(second)).toEqual(new Map(keys.slice(0, 50).map((k) => [k, 2])))
    }))
})
