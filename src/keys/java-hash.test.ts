import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import {
  booleanHashCode,
  doubleHashCode,
  intHashCode,
  longHashCode,
  longHashCodeOfSafeInteger,
  stringHashCode,
} from './java-hash.ts'

// Java's formulas written again over BigInt, as an independent oracle.
function javaLongHash(v: bigint): number {
  const u = BigInt.asUintN(64, v)
  return Number(BigInt.asIntN(32, u ^ (u >> 32n))) // (int) (value ^ (value >>> 32))
}
function javaDoubleHash(n: number): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, n)
  return javaLongHash(view.getBigUint64(0))
}
function javaStringHash(s: string): number {
  let h = 0n
  for (let i = 0; i < s.length; i++) h = BigInt.asIntN(32, 31n * h + BigInt(s.charCodeAt(i)))
  return Number(h)
}

describe('Java hashCodes', () => {
  test.each([
    ['', 0],
    ['a', 97],
    ['Aa', 2112],
    ['BB', 2112],
    ['hello', 99162322],
    ['\u{1f600}', 55357 * 31 + 56832], // two UTF-16 units, as Java sees them
  ])('String.hashCode(%j) = %i', (s, h) => {
    expect(stringHashCode(s)).toBe(h)
  })

  test.prop([fc.string({ unit: 'binary' })])('String.hashCode wraps like int32 arithmetic', (s) => {
    expect(stringHashCode(s)).toBe(javaStringHash(s))
  })

  test('Integer.hashCode is the int32 value', () => {
    expect(intHashCode(-7)).toBe(-7)
    expect(Object.is(intHashCode(-0), 0)).toBe(true)
    expect(intHashCode(2 ** 31)).toBe(-(2 ** 31))
  })

  test.each([
    [0n, 0],
    [-1n, 0],
    [-7n, 6],
    [1n << 32n, 1],
    [(1n << 63n) - 1n, -(2 ** 31)],
    [-(1n << 63n), -(2 ** 31)],
    [1234567890123n, 1912276436],
  ])('Long.hashCode(%s) = %i', (v, h) => {
    expect(longHashCode(v)).toBe(h)
  })

  test.prop([fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })])('Long.hashCode over int64', (v) => {
    expect(longHashCode(v)).toBe(javaLongHash(v))
  })

  test.prop([fc.oneof(fc.maxSafeInteger(), fc.integer())])(
    'Long.hashCode of a safe-integer number equals Long.hashCode of its bigint',
    (n) => {
      expect(longHashCodeOfSafeInteger(n)).toBe(longHashCode(BigInt(n)))
    },
  )

  test('Boolean.hashCode is 1231 / 1237', () => {
    expect(booleanHashCode(true)).toBe(1231)
    expect(booleanHashCode(false)).toBe(1237)
  })

  test.each([
    [1.5, 1073217536],
    [0.1, -1507852285],
    [-0, -(2 ** 31)],
    [Number.NaN, 2146959360], // Java's canonical NaN 0x7ff8000000000000
  ])('Double.hashCode(%d) = %i', (n, h) => {
    expect(doubleHashCode(n)).toBe(h)
  })

  test.prop([fc.double({ noNaN: true })])('Double.hashCode is bits ^ bits >>> 32', (n) => {
    expect(doubleHashCode(n)).toBe(javaDoubleHash(n))
  })
})
