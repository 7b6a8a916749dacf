// The OrderedStore conformance suite: every implementation runs it (see heap/ and leveldb/ tests),
// so byte order, ranges, sublevels, snapshots and close behave identically everywhere.

import { afterEach, describe, expect, it } from 'vitest'
import type { OrderedStore } from './ordered-store.ts'
import { runStoreModelTests } from './ordered-store.model.ts'
import { runStoreRangeTests } from './ordered-store.range-suite.ts'
import { runStoreSublevelTests } from './ordered-store.sublevel-suite.ts'
import { b, caught, collect, entriesHex, hex, type StoreFixture } from './store-test-support.ts'

export function runStoreSuite(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`${name} conformance`, () => {
    const cleanups: (() => Promise<void>)[] = []
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup()
    })
    const open = async (): Promise<OrderedStore> => {
      const fixture = await factory()
      cleanups.push(fixture.cleanup)
      return fixture.store
    }

    describe('point operations', () => {
      it('reads back what was put, through get, getSync and getMany', async () => {
        const store = await open()
        await store.put(b('k'), b('v1'))
        expect(hex(await store.get(b('k')))).toBe(hex(b('v1')))
        expect(hex(store.getSync(b('k')))).toBe(hex(b('v1')))
        await store.put(b('k'), b('v2'))
        expect(hex(store.getSync(b('k')))).toBe(hex(b('v2')))
        const many = await store.getMany([b('k'), b('missing'), b('k')])
        expect(many.map(hex)).toEqual([hex(b('v2')), undefined, hex(b('v2'))])
      })

      it('answers undefined, not an error, for a missing key', async () => {
        const store = await open()
        expect(await store.get(b('nope'))).toBeUndefined()
        expect(store.getSync(b('nope'))).toBeUndefined()
        expect(await store.getMany([b('nope')])).toEqual([undefined])
      })

      it('stores empty keys and empty values', async () => {
        const store = await open()
        await store.put(b(), b())
        expect(hex(store.getSync(b()))).toBe('')
        expect(await entriesHex(store.iterator())).toEqual([['', '']])
      })

      it('deletes, and deleting a missing key is not an error', async () => {
        const store = await open()
        await store.put(b('k'), b('v'))
        await store.del(b('k'))
        await store.del(b('never'))
        expect(await store.get(b('k'))).toBeUndefined()
        expect(store.getSync(b('k'))).toBeUndefined()
      })

      it('keeps its own copy of written bytes, so callers may reuse their buffers', async () => {
        const store = await open()
        const key = b('k')
        const value = b(1, 2, 3)
        await store.put(key, value)
        await store.batch([{ type: 'put', key: b('j'), value }])
        value.fill(9)
        key.fill(0)
        expect(hex(store.getSync(b('k')))).toBe('010203')
        expect(hex(store.getSync(b('j')))).toBe('010203')
      })

      it('rejects keys and values that are not Uint8Array with TypeError', async () => {
        const store = await open()
        expect(await caught(() => store.put('k' as never, b('v')))).toBeInstanceOf(TypeError)
        expect(await caught(() => store.put(b('k'), 'v' as never))).toBeInstanceOf(TypeError)
        expect(await caught(() => store.get(null as never))).toBeInstanceOf(TypeError)
        expect(await caught(() => store.getSync(42 as never))).toBeInstanceOf(TypeError)
        expect(await caught(() => store.batch([{ type: 'nope' } as never]))).toBeInstanceOf(TypeError)
      })

      it('publishes a supports manifest', async () => {
        const store = await open()
        expect(store.supports).toMatchObject({ getSync: true, snapshots: true })
        expect(typeof store.supports.persistent).toBe('boolean')
        expect(typeof store.supports.approximateSize).toBe('boolean')
      })

      it('reports approximateSize as a non-negative number', async () => {
        const store = await open()
        await store.put(b('k'), b('v'))
        expect(await store.approximateSize()).toBeGreaterThanOrEqual(0)
        expect(await store.approximateSize({ gte: b('a'), lt: b('z') })).toBeGreaterThanOrEqual(0)
      })
    })

    describe('batch', () => {
      it('applies puts and deletes together, the later op on a key winning', async () => {
        const store = await open()
        await store.put(b('gone'), b('x'))
        await store.batch([
          { type: 'put', key: b('a'), value: b('1') },
          { type: 'del', key: b('gone') },
          { type: 'put', key: b('b'), value: b('2') },
          { type: 'del', key: b('b') },
          { type: 'del', key: b('c') },
          { type: 'put', key: b('c'), value: b('3') },
        ])
        expect(await entriesHex(store.iterator())).toEqual([
          [hex(b('a')), hex(b('1'))],
          [hex(b('c')), hex(b('3'))],
        ])
      })

      it('accepts the sync option and an empty batch', async () => {
        const store = await open()
        await store.batch([{ type: 'put', key: b('s'), value: b('1') }], { sync: true })
        await store.batch([])
        expect(hex(store.getSync(b('s')))).toBe(hex(b('1')))
      })
    })

    runStoreRangeTests(open)
    runStoreSublevelTests(open)

    describe('snapshot', () => {
      it('keeps the point-in-time view while the store changes', async () => {
        const store = await open()
        await store.batch([
          { type: 'put', key: b('a'), value: b('1') },
          { type: 'put', key: b('b'), value: b('1') },
        ])
        const snapshot = store.snapshot()
        await store.put(b('c'), b('new'))
        await store.del(b('a'))
        await store.put(b('b'), b('2'))
        await store.clear({ gte: b('b') })
        expect(hex(await snapshot.get(b('a')))).toBe(hex(b('1')))
        expect(await snapshot.get(b('c'))).toBeUndefined()
        expect((await snapshot.getMany([b('b'), b('c')])).map(hex)).toEqual([hex(b('1')), undefined])
        expect(await entriesHex(snapshot.iterator())).toEqual([
          [hex(b('a')), hex(b('1'))],
          [hex(b('b')), hex(b('1'))],
        ])
        expect((await collect(snapshot.keys({ reverse: true }))).map(hex)).toEqual([hex(b('b')), hex(b('a'))])
        expect(await entriesHex(store.iterator())).toEqual([])
        await snapshot.close()
      })

      it('keeps a large view intact across many writes (beyond one iteration batch)', async () => {
        const store = await open()
        const n = 3000
        await store.batch(Array.from({ length: n }, (_, i) => ({ type: 'put', key: u32(i), value: u32(i) })))
        const snapshot = store.snapshot()
        await store.batch(Array.from({ length: n }, (_, i) => ({ type: 'put', key: u32(i), value: b('x') })))
        await store.batch(Array.from({ length: n / 2 }, (_, i) => ({ type: 'del', key: u32(i * 2) })))
        const seen = await collect(snapshot.iterator())
        expect(seen.length).toBe(n)
        expect(seen.every(([k, v], i) => hex(k) === hex(u32(i)) && hex(v) === hex(u32(i)))).toBe(true)
        await snapshot.close()
        expect((await collect(store.keys())).length).toBe(n / 2)
      })

      it('fails with STORE_CLOSED after close, and close is idempotent', async () => {
        const store = await open()
        const snapshot = store.snapshot()
        await snapshot.close()
        await snapshot.close()
        expect((await caught(() => snapshot.get(b('a')))).code).toBe('STORE_CLOSED')
        expect((await caught(() => collect(snapshot.iterator()))).code).toBe('STORE_CLOSED')
      })
    })

    describe('iteration while writing', () => {
      it('does not see writes made after iteration started', async () => {
        const store = await open()
        const n = 2500
        await store.batch(Array.from({ length: n }, (_, i) => ({ type: 'put', key: u32(i * 2), value: b('v') })))
        let count = 0
        for await (const [key] of store.iterator()) {
          if (count === 10) {
            await store.put(u32(4001), b('late')) // ahead of the cursor
            await store.del(u32(4000))
          }
          expect(hex(key)).toBe(hex(u32(count * 2)))
          count++
        }
        expect(count).toBe(n)
        expect(hex(await store.get(u32(4001)))).toBe(hex(b('late')))
      })

      it('can stop early and keep using the store', async () => {
        const store = await open()
        await store.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put', key: u32(i), value: b('v') })))
        for await (const [key] of store.iterator()) {
          if (hex(key) === hex(u32(100))) break
        }
        await store.put(u32(5), b('w'))
        expect(hex(store.getSync(u32(5)))).toBe(hex(b('w')))
      })
    })

    describe('clear', () => {
      it('removes a range, honouring limit and reverse', async () => {
        const store = await open()
        await store.batch(Array.from({ length: 10 }, (_, i) => ({ type: 'put', key: b(i), value: b('v') })))
        await store.clear({ gte: b(2), lt: b(4) })
        await store.clear({ gt: b(5), limit: 1 })
        await store.clear({ reverse: true, limit: 2 })
        expect((await collect(store.keys())).map((k) => k[0])).toEqual([0, 1, 4, 5, 7])
        await store.clear()
        expect(await collect(store.keys())).toEqual([])
      })

      it('clears the empty key whenever the range holds it (lte bounds included), never with lt empty', async () => {
        const store = await open()
        const cases: [Parameters<typeof store.clear>[0], boolean][] = [
          [{ lte: b() }, true],
          [{ lte: b('a') }, true],
          [{ gte: b(), lte: b() }, true],
          [{ lt: b('a') }, true],
          [{ lt: b() }, false],
          [{ gt: b() }, false],
        ]
        for (const [range, cleared] of cases) {
          await store.put(b(), b('v'))
          await store.clear(range)
          expect(store.getSync(b()) === undefined, JSON.stringify(range)).toBe(cleared)
          const [many] = await store.getMany([b()])
          expect(many === undefined ? undefined : hex(many), JSON.stringify(range)).toBe(
            cleared ? undefined : hex(b('v')),
          )
        }
      })
    })

    describe('close', () => {
      it('fails every operation with STORE_CLOSED afterwards; close is idempotent', async () => {
        const store = await open()
        await store.put(b('k'), b('v'))
        const iterator = store.iterator()
        await store.close()
        await store.close()
        const attempts: (() => unknown)[] = [
          () => store.get(b('k')),
          () => store.getSync(b('k')),
          () => store.getMany([b('k')]),
          () => store.put(b('k'), b('v')),
          () => store.del(b('k')),
          () => store.batch([{ type: 'del', key: b('k') }]),
          () => store.clear(),
          () => store.snapshot(),
          () => store.sublevel('s'),
          () => store.approximateSize(),
          () => collect(store.keys()),
          () => collect(iterator),
        ]
        for (const attempt of attempts) expect((await caught(attempt)).code).toBe('STORE_CLOSED')
      })

      it('closes open snapshots with the store', async () => {
        const store = await open()
        const snapshot = store.snapshot()
        await store.close()
        expect((await caught(() => snapshot.get(b('k')))).code).toBe('STORE_CLOSED')
        await snapshot.close()
      })
    })

    runStoreModelTests(factory)
  })
}

/** 4-byte big-endian: byte order equals numeric order. */
function u32(n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}
