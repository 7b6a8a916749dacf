// Conformance: iteration order is byte order (0x00 and 0xFF bytes, keys that prefix each other)
// and every range option (bounds, reverse, limit) answers like the reference filter.

import { describe, expect, it } from 'vitest'
import type { Bytes, KeyRange, OrderedStore } from './ordered-store.ts'
import { b, caught, entriesHex, hex, keysHex, referenceScan } from './store-test-support.ts'

/** Written shuffled; listed here in the byte order every store must yield. */
export const ORDERED_KEYS: Bytes[] = [
  b(),
  b(0x00),
  b(0x00, 0x00),
  b(0x00, 0xff),
  b(0x01),
  b('a'),
  b('a', 0x00),
  b('ab'),
  b('abc'),
  b('ab', 0xff),
  b('b'),
  b(0x7f),
  b(0x80),
  b(0xfe, 0xff, 0xff),
  b(0xff),
  b(0xff, 0x00),
  b(0xff, 0xff),
  b(0xff, 0xff, 0xff),
]

const RANGES: KeyRange[] = [
  {},
  { reverse: true },
  { gte: b('a') },
  { gt: b('a') },
  { lt: b('ab') },
  { lte: b('ab') },
  { gt: b(0x00), lt: b(0xff) },
  { gte: b(0x00), lte: b(0xff), reverse: true },
  { gt: b('a'), lte: b('abc'), reverse: true },
  { gte: b('a'), lt: b('a') },
  { gt: b('b'), lt: b('a') },
  { gte: b('aa') },
  { lt: b('aa'), reverse: true },
  { gte: b(0xff, 0xff, 0xff, 0xff) },
  { lte: b() },
  { gt: b() },
  { limit: 0 },
  { limit: 1 },
  { limit: 3, reverse: true },
  { gte: b('a'), limit: 2 },
  { lt: b(0xff), limit: 4, reverse: true },
  { limit: Number.POSITIVE_INFINITY },
]

function shuffled<T>(items: T[]): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919 + 13) % (i + 1) // deterministic shuffle
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

export async function fillOrderedKeys(store: OrderedStore): Promise<[Bytes, Bytes][]> {
  const entries = ORDERED_KEYS.map((k, i): [Bytes, Bytes] => [k, b(i)])
  for (const [k, v] of shuffled(entries)) await store.put(k, v)
  return entries
}

export function runStoreRangeTests(open: () => Promise<OrderedStore>): void {
  describe('byte order and ranges', () => {
    it('iterates in unsigned byte order, shorter key first on a common prefix', async () => {
      const store = await open()
      await fillOrderedKeys(store)
      expect(await keysHex(store.keys())).toEqual(ORDERED_KEYS.map((k) => hex(k)))
      expect(await keysHex(store.keys({ reverse: true }))).toEqual(ORDERED_KEYS.map((k) => hex(k)).reverse())
    })

    it.each(RANGES.map((range) => [describeRange(range), range] as const))('answers range %s', async (_, range) => {
      const store = await open()
      const entries = await fillOrderedKeys(store)
      const expected = referenceScan(entries, range)
      expect(await entriesHex(store.iterator(range))).toEqual(expected)
      expect(await keysHex(store.keys(range))).toEqual(expected.map(([k]) => k))
    })

    it('yields every entry in order across internal batches, forward, reverse and limited', async () => {
      const store = await open()
      const n = 5000
      const key = (i: number) => b((i >> 8) & 0xff, i & 0xff)
      await store.batch(Array.from({ length: n }, (_, i) => ({ type: 'put', key: key(i), value: b(i & 0xff) })))
      const forward = await keysHex(store.keys())
      expect(forward.length).toBe(n)
      expect(forward.every((k, i) => k === hex(key(i)))).toBe(true)
      const reverse = await keysHex(store.keys({ reverse: true, gte: key(10), limit: 2000 }))
      expect(reverse.length).toBe(2000)
      expect(reverse.every((k, i) => k === hex(key(n - 1 - i)))).toBe(true)
      const middle = await keysHex(store.keys({ gt: key(999), lte: key(3500) }))
      expect(middle.length).toBe(2501)
      expect(middle[0]).toBe(hex(key(1000)))
    })

    it('rejects malformed ranges with TypeError when the iterator is made', async () => {
      const store = await open()
      expect(await caught(() => store.iterator({ gt: b(1), gte: b(1) }))).toBeInstanceOf(TypeError)
      expect(await caught(() => store.iterator({ lt: b(1), lte: b(1) }))).toBeInstanceOf(TypeError)
      expect(await caught(() => store.keys({ limit: -1 }))).toBeInstanceOf(TypeError)
      expect(await caught(() => store.keys({ limit: 1.5 }))).toBeInstanceOf(TypeError)
      expect(await caught(() => store.keys({ gt: 'a' as never }))).toBeInstanceOf(TypeError)
      expect(await caught(() => store.clear({ reverse: 'yes' as never }))).toBeInstanceOf(TypeError)
    })
  })
}

function describeRange(range: KeyRange): string {
  const parts = Object.entries(range).map(([k, v]) => `${k}=${v instanceof Uint8Array ? hex(v) || "''" : String(v)}`)
  return parts.length === 0 ? '(full)' : parts.join(' ')
}
