import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { booleanHashCode, doubleHashCode, longHashCode, stringHashCode } from './java-hash.ts'
import type { Key } from './key.ts'
import { anyKey } from './key-arbitraries.ts'
import { keyHashCode } from './key-hash.ts'

describe('keyHashCode picks the Java type Flink would see', () => {
  test.prop([fc.string()])('string → String.hashCode', (s) => {
    expect(keyHashCode(s)).toBe(stringHashCode(s))
  })

  test.prop([fc.integer()])('integer in int32 → Integer.hashCode (the value)', (n) => {
    expect(keyHashCode(n)).toBe(n)
  })

  test('-0 hashes like 0, as the same key must', () => {
    expect(Object.is(keyHashCode(-0), 0)).toBe(true)
  })

  test.prop([fc.maxSafeInteger().filter((n) => (n | 0) !== n)])(
    'integer beyond int32 but safe → Long.hashCode',
    (n) => {
      expect(keyHashCode(n)).toBe(longHashCode(BigInt(n)))
    },
  )

  test('2^31 as a number is a Long, not a wrapped Integer', () => {
    expect(keyHashCode(2 ** 31)).toBe(longHashCode(2n ** 31n))
    expect(keyHashCode(2 ** 32)).toBe(1)
  })

  test.each([0.5, -1.25, 1e-300, 2 ** 53, -(2 ** 60), 1e20, Number.MAX_VALUE])(
    'fraction or integer beyond 2^53 (%d) → Double.hashCode',
    (n) => {
      expect(keyHashCode(n)).toBe(doubleHashCode(n))
    },
  )

  test.prop([fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })])('bigint → Long.hashCode', (b) => {
    expect(keyHashCode(b)).toBe(longHashCode(b))
  })

  test('boolean → Boolean.hashCode', () => {
    expect(keyHashCode(true)).toBe(booleanHashCode(true))
    expect(keyHashCode(false)).toBe(1237)
  })

  test.each<[string, Key, number]>([
    ['List.of()', [], 1],
    ['List.of("a", "b")', ['a', 'b'], 4066],
    ['List.of(1, 2)', [1, 2], 994],
    ['List.of(List.of())', [[]], 32],
  ])('array → java.util.List.hashCode: %s', (_, key, h) => {
    expect(keyHashCode(key)).toBe(h)
  })

  test.prop([fc.array(anyKey, { maxLength: 5 })])('array hash is 31*h + hash(e) from 1, in int32', (items) => {
    let h = 1
    for (const item of items) h = (Math.imul(31, h) + keyHashCode(item)) | 0
    expect(keyHashCode(items)).toBe(h)
  })

  test.prop([anyKey])('is an int32', (key) => {
    const h = keyHashCode(key)
    expect(h).toBe(h | 0)
  })

  test.each<[string, unknown, RegExp]>([
    ['NaN', Number.NaN, /finite number/],
    ['Infinity', Number.NEGATIVE_INFINITY, /finite number/],
    ['bigint beyond int64', 1n << 64n, /int64 range/],
    ['object', {}, /got object/],
    ['bad element', [1, [null]], /key\[1\]\[0\] .* got null/],
  ])('rejects %s with a TypeError', (_, value, message) => {
    expect(() => keyHashCode(value as Key)).toThrow(TypeError)
    expect(() => keyHashCode(value as Key)).toThrow(message)
  })
})
