import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { anyKey, naturalCompare, normalizeKey } from './key-arbitraries.ts'
import { compareBytes, encodeKey } from './key-codec.ts'
import { KeyGroupRange } from './key-group-range.ts'
import { composeStoredKey, keyGroupPrefix, keyGroupRangeBounds, readKeyGroup, splitStoredKey } from './stored-key.ts'

const keyGroup = fc.integer({ min: 0, max: 32767 })
const bytes = fc.uint8Array({ maxLength: 10 })
const optionalBytes = fc.option(bytes, { nil: undefined })
const sign = (n: number) => Math.sign(n) || 0

describe('stored key layout', () => {
  test('is [key group BE][key][namespace][user key]', () => {
    const stored = composeStoredKey(0x0102, encodeKey(true), Uint8Array.of(9), Uint8Array.of(8, 7))
    expect([...stored]).toEqual([0x01, 0x02, 0x27, 9, 8, 7])
    expect([...keyGroupPrefix(300)]).toEqual([0x01, 0x2c])
  })

  test.prop([keyGroup, anyKey, optionalBytes, optionalBytes])(
    'splitStoredKey gives back key group, key, and namespace + user key',
    (kg, key, ns, uk) => {
      const stored = composeStoredKey(kg, encodeKey(key), ns, uk)
      expect(readKeyGroup(stored)).toBe(kg)
      const { keyGroup: kg2, key: key2, rest } = splitStoredKey(stored)
      expect(kg2).toBe(kg)
      expect(key2).toEqual(normalizeKey(key))
      expect([...rest]).toEqual([...(ns ?? []), ...(uk ?? [])])
    },
  )

  test.prop([keyGroup, keyGroup, anyKey, anyKey, bytes, bytes], { numRuns: 1000 })(
    'stored keys sort by key group, then key, whatever namespace and user key follow',
    (kgA, kgB, a, b, restA, restB) => {
      const sa = composeStoredKey(kgA, encodeKey(a), restA)
      const sb = composeStoredKey(kgB, encodeKey(b), restB)
      const expected = kgA !== kgB ? kgA - kgB : naturalCompare(a, b)
      if (expected !== 0) expect(sign(compareBytes(sa, sb))).toBe(sign(expected))
    },
  )

  test.prop([
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 41 }),
    anyKey,
  ])('keyGroupRangeBounds covers exactly the key groups of the range', (a, b, kg, key) => {
    const range = KeyGroupRange.of(Math.min(a, b), Math.max(a, b))
    const { gte, lt } = keyGroupRangeBounds(range)
    const stored = composeStoredKey(kg, encodeKey(key))
    const inside = compareBytes(stored, gte) >= 0 && compareBytes(stored, lt) < 0
    expect(inside).toBe(range.contains(kg))
  })

  test('bounds of the last key group and of EMPTY', () => {
    const last = keyGroupRangeBounds(KeyGroupRange.of(32767, 32767))
    expect([...last.gte, ...last.lt]).toEqual([0x7f, 0xff, 0x80, 0x00])
    const empty = keyGroupRangeBounds(KeyGroupRange.EMPTY)
    expect(compareBytes(empty.gte, empty.lt)).toBe(0)
  })

  test.each([-1, 32768, 1.5])('rejects key group %d', (kg) => {
    expect(() => keyGroupPrefix(kg)).toThrow(RangeError)
    expect(() => composeStoredKey(kg, encodeKey('a'))).toThrow(RangeError)
  })

  test('rejects stored keys too short or with malformed key bytes', () => {
    expect(() => readKeyGroup(Uint8Array.of(1))).toThrow(TypeError)
    expect(() => splitStoredKey(Uint8Array.of(0, 1, 0x99))).toThrow(/unknown type tag/)
  })
})
