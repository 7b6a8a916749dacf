import { fc, test } from '@fast-check/vitest'
import murmurhash from 'murmurhash'
import { describe, expect } from 'vitest'
import { murmurHash } from './murmur.ts'

// Flink's murmurHash(int) is MurmurHash3_x86_32 (seed 0) of the int's 4 little-endian bytes,
// then made non-negative: h >= 0 ? h : h == MIN_VALUE ? 0 : -h.
function reference(code: number): number {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setInt32(0, code, true)
  const h = murmurhash.v3(bytes, 0) | 0
  if (h >= 0) return h
  return h === -0x80000000 ? 0 : -h
}

// Inverse of the raw (pre-abs) hash, to reach the MIN_VALUE branch: every step is a bijection.
function inverseOdd(c: number): number {
  let inv = c // Newton's iteration for c^-1 mod 2^32 (c odd)
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(c, inv))
  return inv
}
function rawPreimage(raw: number): number {
  let h = raw | 0
  h ^= h >>> 16
  h = Math.imul(h, inverseOdd(0xc2b2ae35))
  h = h ^ (h >>> 13) ^ (h >>> 26)
  h = Math.imul(h, inverseOdd(0x85ebca6b))
  h ^= h >>> 16
  h ^= 4
  h = Math.imul((h - 0xe6546b64) | 0, inverseOdd(5))
  h = (h >>> 13) | (h << 19)
  h = Math.imul(h, inverseOdd(0x1b873593))
  h = (h >>> 15) | (h << 17)
  return Math.imul(h, inverseOdd(0xcc9e2d51))
}

describe('murmurHash', () => {
  test.prop([fc.integer({ min: -0x80000000, max: 0x7fffffff })], { numRuns: 5000 })(
    'equals MurmurHash3 of the int bytes (murmurhash npm) made non-negative',
    (code) => {
      expect(murmurHash(code)).toBe(reference(code))
    },
  )

  test.prop([fc.integer({ min: -0x80000000, max: 0x7fffffff })])('is always in 0..2^31-1', (code) => {
    const h = murmurHash(code)
    expect(Number.isInteger(h) && h >= 0 && h <= 0x7fffffff).toBe(true)
  })

  test('maps a raw hash of Integer.MIN_VALUE to 0 (Flink has no abs overflow)', () => {
    const code = rawPreimage(-0x80000000)
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setInt32(0, code, true)
    expect(murmurhash.v3(bytes, 0)).toBe(0x80000000) // the preimage is right
    expect(murmurHash(code)).toBe(0)
  })

  test('negates a negative raw hash', () => {
    const code = rawPreimage(-5)
    expect(murmurHash(code)).toBe(5)
  })

  test('takes its argument as int32', () => {
    expect(murmurHash(2 ** 32 + 7)).toBe(murmurHash(7))
    expect(murmurHash(0x80000000)).toBe(murmurHash(-0x80000000))
  })
})
