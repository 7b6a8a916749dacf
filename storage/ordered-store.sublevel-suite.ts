// Conformance: sublevels are isolated namespaces with the byte order of their unprefixed keys,
// nest, validate their names, and close independently of the root.

import { describe, expect, it } from 'vitest'
import type { OrderedStore } from './ordered-store.ts'
import { fillOrderedKeys, ORDERED_KEYS } from './ordered-store.range-suite.ts'
import { b, caught, collect, entriesHex, hex, keysHex, referenceScan } from './store-test-support.ts'

export function runStoreSublevelTests(open: () => Promise<OrderedStore>): void {
  describe('sublevel', () => {
    it('isolates the same key in the root, siblings and nested sublevels', async () => {
      const root = await open()
      // 'a' is a byte prefix of 'ab'; 'a' > 'b' nests: none may see another's keys.
      const views = [
        root,
        root.sublevel('a'),
        root.sublevel('ab'),
        root.sublevel('a').sublevel('b'),
        root.sublevel('b'),
      ]
      for (const [i, view] of views.entries()) await view.put(b('k'), b(i))
      for (const [i, view] of views.entries()) {
        expect(hex(view.getSync(b('k')))).toBe(hex(b(i)))
        expect(hex(await view.get(b('k')))).toBe(hex(b(i)))
      }
      for (const view of views.slice(2)) expect(await keysHex(view.keys())).toEqual([hex(b('k'))])
      // A parent's keyspace holds its children's entries (prefixed), as the root holds all of them.
      expect((await collect(views[1]!.keys())).length).toBe(2)
    })

    it('keeps byte order and answers ranges like an unprefixed store', async () => {
      const root = await open()
      await root.sublevel('a').put(b(0x00), b('neighbour'))
      await root.sublevel('c').put(b(0xff), b('neighbour'))
      await root.put(b(0xff, 0xff), b('root'))
      const store = root.sublevel('b')
      const entries = await fillOrderedKeys(store)
      expect(await keysHex(store.keys())).toEqual(ORDERED_KEYS.map((k) => hex(k)))
      for (const range of [{ reverse: true }, { gt: b('a'), limit: 3 }, { lte: b(0x80), reverse: true }, { gt: b() }]) {
        expect(await entriesHex(store.iterator(range))).toEqual(referenceScan(entries, range))
      }
    })

    it('writes, batches, clears and snapshots inside its namespace only', async () => {
      const root = await open()
      const one = root.sublevel('one')
      const two = root.sublevel('two')
      await two.put(b('x'), b('2'))
      await one.batch([
        { type: 'put', key: b('x'), value: b('1') },
        { type: 'put', key: b('y'), value: b('1') },
      ])
      const snapshot = one.snapshot()
      await one.del(b('y'))
      await one.clear()
      expect(await collect(one.keys())).toEqual([])
      expect(hex(two.getSync(b('x')))).toBe(hex(b('2')))
      expect(await keysHex(snapshot.keys())).toEqual([hex(b('x')), hex(b('y'))])
      expect(hex(await snapshot.get(b('y')))).toBe(hex(b('1')))
      expect(await snapshot.get(b('missing'))).toBeUndefined()
      await snapshot.close()
    })

    it("lives inside the parent's keyspace, as in Level: the parent sees and clears it", async () => {
      const root = await open()
      await root.sublevel('s').put(b('k'), b('v'))
      expect((await collect(root.keys())).length).toBe(1)
      await root.clear()
      expect(await root.sublevel('s').get(b('k'))).toBeUndefined()
    })

    it('validates names with TypeError', async () => {
      const root = await open()
      for (const name of ['', 'a/b', 'x'.repeat(256), '\ud800', 7 as never]) {
        expect(await caught(() => root.sublevel(name))).toBeInstanceOf(TypeError)
      }
      expect(() => root.sublevel('é'.repeat(127))).not.toThrow()
    })

    it('closes as a view: the root stays open; closing the root closes every view', async () => {
      const root = await open()
      const view = root.sublevel('v')
      const other = root.sublevel('w')
      await view.close()
      const error = await caught(() => view.get(b('k')))
      expect(error.code).toBe('STORE_CLOSED')
      expect(error.message).toContain("'v'")
      await root.put(b('k'), b('v'))
      await other.put(b('k'), b('w'))
      await root.close()
      expect((await caught(() => other.get(b('k')))).code).toBe('STORE_CLOSED')
      expect((await caught(() => other.getSync(b('k')))).code).toBe('STORE_CLOSED')
    })
  })
}
