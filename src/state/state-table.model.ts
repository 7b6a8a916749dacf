// The model-based part of the StateTable suite: random command sequences (put, remove, putEntry,
// removeEntry, get, getEntry, entries, primaryKeys, clearEntries, snapshot-then-mutate, flushes in the
// foreground and background) against a Map model, with a tiny object cache so that eviction, the
// pending batch and batches in flight are exercised all the time. fast-check shrinks a failure.
import { decodeMsgpack } from '@livestate/client'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeKeyToBinaryString, type Key } from '../keys/key-codec.ts'
import { keyGroupChars, VOID_NAMESPACE } from './namespace.ts'
import { fullEntries, type StateTable } from './state-table.ts'
import type { OpenTables, TablesFixture } from './state-table.suite.ts'

export function runStateTableModel(name: string, open: OpenTables): void {
  describe(`${name}: table against a Map model (tiny object cache: eviction, pending and in-flight batches)`, () => {
    let f: TablesFixture
    beforeAll(async () => {
      f = await open({ objectCacheBytes: 700, flushAtOps: 2, delayBatches: true })
    })
    afterAll(async () => {
      await f.cleanup()
    })

    it('reads are never stale: put, remove, putEntry, removeEntry, get, entries, primaryKeys, snapshot, flush', async () => {
      let run = 0
      await fc.assert(
        fc.asyncProperty(fc.commands(modelCommands, { maxCommands: 80, size: 'max' }), async (cmds) => {
          const table = f.tables.create('model', `t${++run}`, { start: 0, end: 0xffff })
          const real: Real = { table, background: [] }
          await fc.asyncModelRun(() => ({ model: { values: new Map(), groups: new Map() }, real }), cmds)
          await Promise.all(real.background)
          await table.dispose()
        }),
        { numRuns: 120 },
      )
    }, 120_000)
  })
}

interface Model {
  values: Map<string, unknown>
  groups: Map<string, Map<string, unknown>>
}
interface Real {
  table: StateTable
  background: Promise<void>[]
}
type Command = fc.AsyncCommand<Model, Real>

const KEY_GROUPS = [0, 1, 2, 300]
const primaryArb = fc
  .tuple(fc.constantFrom(...KEY_GROUPS), fc.constantFrom<Key>('a', 'b', 'c', 7, -1))
  .map(([kg, k]) => keyGroupChars(kg) + encodeKeyToBinaryString(k) + VOID_NAMESPACE)
const secondaryArb = fc.constantFrom<Key>('x', 'y', 5, 9).map((k) => encodeKeyToBinaryString(k))
const valueArb = fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.array(fc.integer(), { maxLength: 3 }))
const kgRangeArb = fc
  .tuple(fc.constantFrom(...KEY_GROUPS), fc.constantFrom(...KEY_GROUPS))
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const)

type Mutation =
  | { op: 'put'; p: string; v: unknown }
  | { op: 'remove'; p: string }
  | { op: 'putEntry'; p: string; s: string; v: unknown }
  | { op: 'removeEntry'; p: string; s: string }
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), p: primaryArb, v: valueArb }),
  fc.record({ op: fc.constant('remove' as const), p: primaryArb }),
  fc.record({ op: fc.constant('putEntry' as const), p: primaryArb, s: secondaryArb, v: valueArb }),
  fc.record({ op: fc.constant('removeEntry' as const), p: primaryArb, s: secondaryArb }),
)

function applyMutation(m: Mutation, model: Model, table: StateTable): void {
  switch (m.op) {
    case 'put':
      table.put(m.p, m.v)
      model.values.set(m.p, m.v)
      return
    case 'remove':
      table.remove(m.p)
      model.values.delete(m.p)
      return
    case 'putEntry': {
      table.putEntry(m.p, m.s, m.v)
      let g = model.groups.get(m.p)
      if (!g) model.groups.set(m.p, (g = new Map()))
      g.set(m.s, m.v)
      return
    }
    case 'removeEntry': {
      table.removeEntry(m.p, m.s)
      const g = model.groups.get(m.p)
      g?.delete(m.s)
      if (g?.size === 0) model.groups.delete(m.p)
    }
  }
}

const byKey = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
const kgOf = (p: string) => (p.charCodeAt(0) << 8) | p.charCodeAt(1)

function modelEntries(model: Model, p: string): [string, unknown][] {
  return [...(model.groups.get(p) ?? [])].sort(byKey)
}

function modelPrimaryKeys(model: Model, lo: number, hi: number, after?: string): string[] {
  const all = new Set([...model.values.keys(), ...model.groups.keys()])
  return [...all].filter((p) => kgOf(p) >= lo && kgOf(p) <= hi && (after === undefined || p > after)).sort()
}

function modelSnapshot(model: Model, lo: number, hi: number): [string, unknown][] {
  const out: [string, unknown][] = []
  for (const [p, v] of model.values) if (kgOf(p) >= lo && kgOf(p) <= hi) out.push([p, v])
  for (const [p, g] of model.groups) if (kgOf(p) >= lo && kgOf(p) <= hi) for (const [s, v] of g) out.push([p + s, v])
  return out.sort(byKey)
}

function command(name: string, args: unknown, run: (model: Model, real: Real) => Promise<void> | void): Command {
  return {
    check: () => true,
    run: async (model, real) => run(model, real),
    toString: () =>
      `${name}(${JSON.stringify(args, (_, v) => (typeof v === 'string' ? [...v].map((c) => c.charCodeAt(0).toString(16)).join('.') : v))})`,
  }
}

const modelCommands: fc.Arbitrary<Command>[] = [
  mutationArb.map((m) => command(m.op, m, (model, real) => applyMutation(m, model, real.table))),
  mutationArb.map((m) => command(m.op, m, (model, real) => applyMutation(m, model, real.table))),
  primaryArb.map((p) =>
    command('get', p, (model, real) => {
      expect(real.table.get(p)).toEqual(model.values.get(p))
    }),
  ),
  fc.tuple(primaryArb, secondaryArb).map(([p, s]) =>
    command('getEntry', [p, s], (model, real) => {
      expect(real.table.getEntry(p, s)).toEqual(model.groups.get(p)?.get(s))
    }),
  ),
  fc.tuple(primaryArb, fc.option(secondaryArb, { nil: undefined })).map(([p, after]) =>
    command('entries', [p, after], async (model, real) => {
      const expected = modelEntries(model, p).filter(([s]) => after === undefined || s > after)
      expect(await collect(real.table.entries(p, after))).toEqual(expected)
    }),
  ),
  fc.tuple(kgRangeArb, fc.option(primaryArb, { nil: undefined })).map(([[lo, hi], after]) =>
    command('primaryKeys', [lo, hi, after], async (model, real) => {
      expect(await collect(real.table.primaryKeys(lo, hi, after))).toEqual(modelPrimaryKeys(model, lo, hi, after))
    }),
  ),
  primaryArb.map((p) =>
    command('clearEntries', p, async (model, real) => {
      await real.table.clearEntries(p)
      model.groups.delete(p)
    }),
  ),
  fc.tuple(kgRangeArb, fc.array(mutationArb, { maxLength: 5 })).map(([[lo, hi], after]) =>
    command('snapshot', [lo, hi, after], async (model, real) => {
      const expected = modelSnapshot(model, lo, hi)
      const view = real.table.snapshot(lo, hi)
      for (const m of after) applyMutation(m, model, real.table)
      const got: [string, unknown][] = []
      for await (const [k, v] of fullEntries(view)) got.push([Buffer.from(k).toString('latin1'), decodeMsgpack(v)])
      await view.release()
      expect(got).toEqual(expected)
    }),
  ),
  fc.constant(
    command('flush', null, async (_model, real) => {
      await real.table.flush()
    }),
  ),
  fc.constant(
    command('flushInBackground', null, (_model, real) => {
      real.background.push(real.table.flush())
    }),
  ),
]

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
