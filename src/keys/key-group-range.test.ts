import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { KeyGroupRange } from './key-group-range.ts'

const range = fc
  .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }))
  .map(([a, b]) => KeyGroupRange.of(Math.min(a, b), Math.max(a, b)))
const maybeEmpty = fc.oneof(range, fc.constant(KeyGroupRange.EMPTY))

describe('KeyGroupRange', () => {
  test('is inclusive at both ends', () => {
    const r = new KeyGroupRange(0, 63)
    expect(r.getNumberOfKeyGroups()).toBe(64)
    expect([r.contains(-1), r.contains(0), r.contains(63), r.contains(64)]).toEqual([false, true, true, false])
    expect([r.getStartKeyGroup(), r.getEndKeyGroup(), r.startKeyGroup, r.endKeyGroup]).toEqual([0, 63, 0, 63])
  })

  test('prints like Flink and serialises as {start, end}', () => {
    expect(String(KeyGroupRange.of(0, 63))).toBe('KeyGroupRange{startKeyGroup=0, endKeyGroup=63}')
    expect(JSON.stringify(KeyGroupRange.of(5, 9))).toBe('{"start":5,"end":9}')
  })

  test('EMPTY is [0, -1] with no key groups', () => {
    expect(KeyGroupRange.EMPTY.getNumberOfKeyGroups()).toBe(0)
    expect([...KeyGroupRange.EMPTY]).toEqual([])
    expect(KeyGroupRange.EMPTY.contains(0)).toBe(false)
    expect(KeyGroupRange.of(3, 2)).toBe(KeyGroupRange.EMPTY)
  })

  test('iterates over its key groups in order', () => {
    expect([...KeyGroupRange.of(3, 6)]).toEqual([3, 4, 5, 6])
  })

  test('equals compares bounds', () => {
    expect(KeyGroupRange.of(1, 2).equals(new KeyGroupRange(1, 2))).toBe(true)
    expect(KeyGroupRange.of(1, 2).equals(KeyGroupRange.of(1, 3))).toBe(false)
    expect(KeyGroupRange.of(1, 2).equals({ startKeyGroup: 1, endKeyGroup: 2 })).toBe(false)
  })

  test.each([
    [-1, 5, RangeError],
    [5, 4, RangeError],
    [0.5, 4, TypeError],
    [0, Number.NaN, TypeError],
  ])('constructor rejects [%d, %d]', (start, end, error) => {
    expect(() => new KeyGroupRange(start, end)).toThrow(error)
  })

  test.prop([maybeEmpty, maybeEmpty])('intersection holds exactly the key groups in both', (a, b) => {
    const both = a.getIntersection(b)
    const groups = Array.from({ length: 302 }, (_, kg) => kg)
    expect(groups.filter((kg) => both.contains(kg))).toEqual(groups.filter((kg) => a.contains(kg) && b.contains(kg)))
    if (both.getNumberOfKeyGroups() === 0) expect(both).toBe(KeyGroupRange.EMPTY)
    expect(both.equals(b.getIntersection(a))).toBe(true)
  })
})
