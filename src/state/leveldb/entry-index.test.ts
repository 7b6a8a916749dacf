// EntryIndex behaves as one Map of its keys, whatever shard a key falls in.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EntryIndex } from './entry-index.ts'
import type { CacheEntry } from './object-cache.ts'

const entry = (key: string) => ({ key }) as CacheEntry

describe('EntryIndex', () => {
  it('any sequence of set, delete and clear leaves the same entries as a Map', () => {
    const key = fc.string({ unit: 'binary', minLength: 2, maxLength: 6 })
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), key }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const index = new EntryIndex()
        const model = new Map<string, CacheEntry>()
        for (const o of ops) {
          if (o.op === 'set') {
            const e = entry(o.key)
            index.set(o.key, e)
            model.set(o.key, e)
          } else if (o.op === 'delete') {
            index.delete(o.key)
            model.delete(o.key)
          } else {
            index.clear()
            model.clear()
          }
        }
        for (const k of model.keys()) expect(index.get(k)).toBe(model.get(k))
        expect(new Set(index.values())).toEqual(new Set(model.values()))
      }),
      { numRuns: 200 },
    )
  })
})
