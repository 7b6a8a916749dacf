// SortedChunks against a reference sorted Map, with enough keys to split and merge chunks and with
// frozen views taken mid-way that must never change.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { resolveRange } from '../key-range.ts'
import type { Bytes } from '../ordered-store.ts'
import { HeapScan } from './heap-scan.ts'
import { compareBytes, concatBytes } from '../bytes.ts'
import { type Chunk, MAX_CHUNK, SortedChunks, searchKey } from './sorted-chunks.ts'

const key = (n: number): Bytes => Uint8Array.of(n >> 8, n & 0xff)
const num = (k: Bytes): number => (k[0]! << 8) | k[1]!

function contents(chunks: readonly Chunk[]): [number, number][] {
  return new HeapScan(chunks, resolveRange(undefined), (k, v): [number, number] => [num(k), v[0]!]).read(
    Number.POSITIVE_INFINITY,
  )
}

function expected(model: Map<number, number>): [number, number][] {
  return [...model.entries()].sort((a, b) => a[0] - b[0])
}

type Op = { kind: 'set'; k: number; v: number } | { kind: 'del'; k: number } | { kind: 'freeze' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), k: fc.nat(3000), v: fc.nat(255) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('del' as const), k: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'freeze' as const }) },
)

describe('searchKey', () => {
  it('orders like the bytes, for short keys and for long ones (> 64 bytes)', () => {
    const tail = fc.uint8Array({ maxLength: 4 })
    const pairArb = fc.oneof(
      fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 })),
      fc
        .tuple(fc.uint8Array({ minLength: 62, maxLength: 70 }), tail, tail)
        .map(([p, a, b]) => [concatBytes(p, a), concatBytes(p, b)]),
    )
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const [x, y] = [searchKey(a), searchKey(b)]
        expect(x < y ? -1 : x > y ? 1 : 0).toBe(Math.sign(compareBytes(a, b)))
        expect(x.length).toBe(a.length)
      }),
    )
  })
})

describe('SortedChunks', () => {
  it('matches a sorted Map through splits, merges and frozen views', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 500, maxLength: 4000 }), (ops) => {
        const map = new SortedChunks()
        const model = new Map<number, number>()
        const views: { chunks: readonly Chunk[]; release: () => void; expected: [number, number][] }[] = []
        for (const op of ops) {
          if (op.kind === 'set') {
            map.set(key(op.k), Uint8Array.of(op.v))
            model.set(op.k, op.v)
          } else if (op.kind === 'del') {
            expect(map.delete(key(op.k))).toBe(model.delete(op.k))
          } else {
            views.push({ ...map.freeze(), expected: expected(model) })
            if (views.length > 3) views.shift()?.release()
          }
        }
        expect(map.size).toBe(model.size)
        expect(contents(map.chunks)).toEqual(expected(model))
        for (const view of views) expect(contents(view.chunks)).toEqual(view.expected)
        for (const [k, v] of model) expect(map.get(key(k))?.[0]).toBe(v)
        for (const c of map.chunks) expect(c.keys.length).toBeGreaterThan(0)
        for (const c of map.chunks) expect(c.keys.length).toBeLessThanOrEqual(MAX_CHUNK)
      }),
      { numRuns: 25 },
    )
  })

  it('splits sequential inserts into bounded chunks', () => {
    const map = new SortedChunks()
    for (let i = 0; i < 10_000; i++) map.set(key(i), Uint8Array.of(1))
    expect(map.chunks.length).toBeGreaterThan(10_000 / MAX_CHUNK)
    expect(contents(map.chunks).length).toBe(10_000)
  })
})
