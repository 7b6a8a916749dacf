import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { binaryStringToBytes, bytesToBinaryString, compareBytes, prefixUpperBound } from './bytes.ts'

const bytes = fc.uint8Array({ maxLength: 8 })
const startsWith = (a: Uint8Array, p: Uint8Array) => a.length >= p.length && p.every((x, i) => a[i] === x)

describe('byte helpers', () => {
  test.prop([bytes, bytes])('compareBytes agrees with Buffer.compare', (a, b) => {
    expect(Math.sign(compareBytes(a, b)) || 0).toBe(Buffer.compare(a, b))
  })

  test.prop([fc.uint8Array({ maxLength: 3 }), bytes])(
    'prefixUpperBound: x >= prefix and x < bound exactly when x starts with prefix',
    (prefix, x) => {
      const bound = prefixUpperBound(prefix)
      const inside = compareBytes(x, prefix) >= 0 && (bound === undefined || compareBytes(x, bound) < 0)
      expect(inside).toBe(startsWith(x, prefix))
    },
  )

  test('prefixUpperBound carries over 0xFF and has no bound for all-0xFF', () => {
    expect([...(prefixUpperBound(Uint8Array.of(1, 0xff, 0xff)) ?? [])]).toEqual([2])
    expect(prefixUpperBound(Uint8Array.of(0xff))).toBeUndefined()
    expect(prefixUpperBound(Uint8Array.of())).toBeUndefined()
  })

  test.prop([fc.uint8Array({ maxLength: 20_000 })], { numRuns: 50 })('binary strings round-trip as latin1', (b) => {
    const s = bytesToBinaryString(b)
    expect(s).toBe(Buffer.from(b).toString('latin1'))
    expect(binaryStringToBytes(s)).toEqual(b)
  })

  test('binaryStringToBytes rejects chars above 0xFF', () => {
    expect(() => binaryStringToBytes('a\u0100')).toThrow(TypeError)
  })
})
