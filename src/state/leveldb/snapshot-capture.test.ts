// Copy-on-access snapshots: whatever the task does after the barrier — writes, in-place changes of an
// object it got from get(), removes, evictions through a tiny cache, flushes, further snapshots —
// each snapshot's entries are exactly the table as it was at its barrier. Checked against a model.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeMsgpack } from '@livestate/client'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LevelStore } from '../../../storage/leveldb/level-store.ts'
import { fullEntries, type TableSnapshot } from '../state-table.ts'
import { keyGroupChars } from '../namespace.ts'
import { LevelStateTable } from './level-state-table.ts'
import { ObjectCache } from './object-cache.ts'

type Op =
  | { op: 'put'; k: number; n: number }
  | { op: 'remove'; k: number }
  | { op: 'bump'; k: number } // get, change the object in place, put it back
  | { op: 'get'; k: number }
  | { op: 'flush' }
  | { op: 'snapshot'; from: number; to: number }
  | { op: 'read'; steps: number } // advance the oldest open snapshot by some entries

const KEY_GROUPS = 4
const key = (k: number) => `${keyGroupChars(k % KEY_GROUPS)}k${String(k).padStart(3, '0')}`

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put' as const), k: fc.nat(40), n: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), k: fc.nat(40) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('bump' as const), k: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), k: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat(KEY_GROUPS - 1), fc.nat(KEY_GROUPS - 1))
      .map(([a, b]) => ({ op: 'snapshot' as const, from: Math.min(a, b), to: Math.max(a, b) })),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('read' as const), steps: fc.integer({ min: 1, max: 30 }) }) },
)

interface Open {
  view: TableSnapshot
  it: AsyncIterator<[Uint8Array, Uint8Array]>
  got: [string, unknown][]
  expected: [string, unknown][]
  done: boolean
}

async function advance(s: Open, steps: number): Promise<void> {
  for (let i = 0; i < steps && !s.done; i++) {
    const r = await s.it.next()
    if (r.done) {
      s.done = true
      await s.view.release()
    } else s.got.push([Buffer.from(r.value[0]).toString('latin1'), decodeMsgpack(r.value[1])])
  }
}

describe('LevelStateTable snapshots (copy-on-access)', () => {
  it('every snapshot holds exactly the values at its barrier, whatever happens before it is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livestate-capture-'))
    try {
      let run = 0
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.nat(3), async (ops, cacheSize) => {
          const store = await LevelStore.open(join(dir, `db-${run++}`))
          // from an entry or two to all of them: evictions of frozen entries are exercised too
          const cache = new ObjectCache([400, 900, 2_000, 50_000][cacheSize]!)
          const table = new LevelStateTable(store, cache, undefined, { flushAtOps: 3 })
          const model = new Map<string, { n: number }>()
          const open: Open[] = []
          try {
            for (const o of ops) {
              if (o.op === 'put') {
                table.put(key(o.k), { n: o.n })
                model.set(key(o.k), { n: o.n })
              } else if (o.op === 'remove') {
                table.remove(key(o.k))
                model.delete(key(o.k))
              } else if (o.op === 'bump') {
                const v = table.get(key(o.k)) as { n: number } | undefined
                if (v === undefined) continue
                v.n++ // in place, as user code may do with a value it read
                table.put(key(o.k), v)
                model.set(key(o.k), { n: model.get(key(o.k))!.n + 1 })
              } else if (o.op === 'get') {
                expect(table.get(key(o.k))).toEqual(model.get(key(o.k)))
              } else if (o.op === 'flush') {
                await table.flush()
              } else if (o.op === 'snapshot') {
                const view = table.snapshot(o.from, o.to)
                const lower = keyGroupChars(o.from)
                const upper = keyGroupChars(o.to + 1)
                const expected = [...model]
                  .filter(([k]) => k >= lower && k < upper)
                  .sort(([a], [b]) => (a < b ? -1 : 1))
                  .map(([k, v]) => [k, { ...v }] as [string, unknown])
                open.push({ view, it: fullEntries(view)[Symbol.asyncIterator](), got: [], expected, done: false })
              } else {
                const s = open.find((x) => !x.done)
                if (s) await advance(s, o.steps)
              }
            }
            for (const s of open) {
              await advance(s, Number.POSITIVE_INFINITY)
              expect(s.got).toEqual(s.expected)
            }
            // and the table itself ends equal to the model
            for (const [k, v] of model) expect(table.get(k)).toEqual(v)
          } finally {
            for (const s of open) if (!s.done) await s.view.release()
            await table.dispose()
            await store.close()
          }
        }),
        { numRuns: 150 },
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
